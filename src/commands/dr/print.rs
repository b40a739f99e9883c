//! How `nightwatch dr …` prints: aligned tables, or JSON with `-o json` (the same data).

use serde_json::json;

use crate::cli::Output;
use crate::domain::dr::{
    DashboardConfig, Direction, DrModel, DrView, Readiness, Severity, bytes_text, dc_traffic,
    secs_text, traffic_text,
};

fn json_out(v: &serde_json::Value) {
    crate::outln!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

/// Whether a component lies on `dir` (in its source or target datacenter); all when no filter.
fn on(model: &DrModel, view: &DrView, comp: &str, dir: Option<&Direction>) -> bool {
    let Some(d) = dir else { return true };
    view.components
        .iter()
        .find(|c| c.name == comp)
        .and_then(|c| model.dc_of(c))
        .is_some_and(|dc| dc == d.from || dc == d.to)
}

pub fn status(
    model: &DrModel,
    view: &DrView,
    verdicts: &[Readiness],
    dir: Option<&Direction>,
    output: Output,
) {
    let config = DashboardConfig::default();
    let cells = view.cells(model, &config);
    let dcs: Vec<&str> = model
        .datacenters
        .iter()
        .map(|d| d.name.as_str())
        .filter(|d| dir.is_none_or(|x| x.from == *d || x.to == *d))
        .collect();
    if output == Output::Json {
        let grid: Vec<serde_json::Value> = cells
            .iter()
            .filter(|((_, dc), _)| dcs.contains(&dc.as_str()))
            .map(|((layer, dc), c)| {
                json!({"layer": layer.to_string(), "datacenter": dc, "components": c.components,
                       "events": c.events, "worst_level": c.worst.map(|l| l.as_str()),
                       "state": c.severity.map(|s| s.to_string())})
            })
            .collect();
        let traffic: Vec<serde_json::Value> = model
            .datacenters
            .iter()
            .filter(|d| dcs.contains(&d.name.as_str()))
            .map(|d| {
                json!({"datacenter": d.name, "zone": d.zone,
                       "value": dc_traffic(model, &view.traffic, &d.name)})
            })
            .collect();
        json_out(
            &json!({"datacenters": model.datacenters, "grid": grid, "traffic": traffic,
                         "zones": view.traffic, "readiness": verdicts}),
        );
        return;
    }
    let mut head = format!("{:<10}", "LAYER");
    for d in &dcs {
        head.push_str(&format!(" {d:<18}"));
    }
    crate::outln!("{head}");
    use strum::IntoEnumIterator;
    for layer in crate::domain::Layer::iter() {
        let mut line = format!("{:<10}", layer.to_string());
        for d in &dcs {
            let c = cells
                .get(&(layer, (*d).to_owned()))
                .cloned()
                .unwrap_or_default();
            let sym = match (c.worst, c.severity) {
                (Some(l), _) if l.is_urgent() => "✗",
                (_, Some(Severity::Critical)) => "✗",
                (_, Some(Severity::Warn | Severity::Unknown)) | (Some(_), _) => "▲",
                _ if c.components == 0 => "·",
                _ => "●",
            };
            line.push_str(&format!(
                " {:<18}",
                format!("{sym} {} comp {} ev", c.components, c.events)
            ));
        }
        crate::outln!("{line}");
    }
    if !view.traffic.is_empty() {
        let mut line = format!("{:<10}", "traffic");
        for d in &dcs {
            let v = dc_traffic(model, &view.traffic, d).map_or("-".into(), traffic_text);
            line.push_str(&format!(" {:<18}", format!("⇅ {v}")));
        }
        crate::outln!("{line}");
    }
    crate::outln!("");
    readiness(verdicts, Output::Table);
}

pub fn links(model: &DrModel, view: &DrView, dir: Option<&Direction>, output: Output) {
    let rows: Vec<serde_json::Value> = model
        .links
        .iter()
        .filter(|l| on(model, view, &l.source, dir) && on(model, view, &l.target, dir))
        .map(|l| {
            let s = view.links.iter().find(|s| s.link == l.name);
            json!({
                "name": l.name, "kind": l.kind.to_string(), "system": l.system,
                "source": l.source, "target": l.target, "rpo_ms": l.rpo_ms,
                "state": s.map(|s| s.state.to_string()), "lag_ms": s.and_then(|s| s.lag_ms),
                "bytes": s.and_then(|s| s.bytes), "message": s.map(|s| s.message.clone()),
                "breach": s.map_or_else(|| Some("not measured yet".to_owned()), |s| s.breach(l.rpo_ms)),
                "at": s.map(|s| s.at), "detail": s.map(|s| s.detail.clone()),
            })
        })
        .collect();
    if output == Output::Json {
        json_out(&json!(rows));
        return;
    }
    crate::outln!(
        "{:<20} {:<19} {:<9} {:>8} {:>8} {:>10}  MESSAGE",
        "LINK",
        "KIND",
        "STATE",
        "LAG",
        "RPO",
        "BEHIND"
    );
    for r in &rows {
        let lag = r["lag_ms"].as_i64().map_or("-".into(), secs_text);
        let bytes = r["bytes"].as_i64().map_or("-".into(), bytes_text);
        let mark = if r["breach"].is_null() { " " } else { "✗" };
        crate::outln!(
            "{mark}{:<19} {:<19} {:<9} {:>8} {:>8} {:>10}  {}",
            r["name"].as_str().unwrap_or_default(),
            r["kind"].as_str().unwrap_or_default(),
            r["state"].as_str().unwrap_or("-"),
            lag,
            secs_text(r["rpo_ms"].as_i64().unwrap_or_default()),
            bytes,
            r["breach"]
                .as_str()
                .or(r["message"].as_str())
                .unwrap_or_default()
        );
    }
}

pub fn levels(
    model: &DrModel,
    view: &DrView,
    config: &DashboardConfig,
    dir: Option<&Direction>,
    output: Output,
) {
    let rows: Vec<serde_json::Value> = view
        .levels
        .iter()
        .filter(|w| on(model, view, &w.component, dir))
        .map(|w| {
            json!({"component": w.component, "kind": w.kind.to_string(), "used": w.used, "max": w.max,
                   "percent": w.percent(), "state": w.severity(&config.thresholds).to_string(), "at": w.at})
        })
        .collect();
    if output == Output::Json {
        json_out(&json!(rows));
        return;
    }
    crate::outln!(
        "{:<24} {:<12} {:>6}  {:<8}  USED",
        "COMPONENT",
        "KIND",
        "%",
        "STATE"
    );
    for w in view
        .levels
        .iter()
        .filter(|w| on(model, view, &w.component, dir))
    {
        let pct = w.percent().map_or("-".into(), |p| format!("{p:.0}%"));
        crate::outln!(
            "{:<24} {:<12} {:>6}  {:<8}  {}",
            w.component,
            w.kind.to_string(),
            pct,
            w.severity(&config.thresholds).to_string(),
            w.describe()
        );
    }
}

pub fn readiness(verdicts: &[Readiness], output: Output) {
    if output == Output::Json {
        json_out(&json!(verdicts));
        return;
    }
    for v in verdicts {
        let rto = match (v.est_rto_ms, v.rto_ms) {
            (Some(e), Some(t)) => format!(" (estimated RTO {} of {})", secs_text(e), secs_text(t)),
            _ => String::new(),
        };
        let load = v.load.as_ref().map_or(String::new(), |p| {
            let t = v.traffic.map_or(String::new(), |(s, d)| {
                format!("traffic {}→{}, ", traffic_text(s), traffic_text(d))
            });
            format!(" [{t}target connections after {:.0}%]", p.percent())
        });
        let rto = format!("{rto}{load}");
        if v.ready {
            crate::outln!("● {}→{}: ready{rto}", v.from, v.to);
        } else {
            crate::outln!("✗ {}→{}: not ready{rto}", v.from, v.to);
            for r in &v.reasons {
                crate::outln!("    - {r}");
            }
        }
    }
}
