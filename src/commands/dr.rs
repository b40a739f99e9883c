//! `nightwatch dr status|links|levels|readiness`: the DR dashboard from a shell, and the DR part
//! of `nightwatch export`.

mod print;

use crate::cli::DrCommand;
use crate::domain::dr::{Direction, DrModel};
use crate::domain::time::now_ms;
use crate::settings::Settings;
use crate::store::Store;

use super::Failure;

pub async fn run(settings: Settings, cmd: DrCommand) -> Result<(), Failure> {
    let _log = crate::logging::init(
        &settings.paths.state_dir,
        &settings.log.level,
        crate::logging::Echo::FileOnly,
    );
    let store = super::open_store(&settings).await?;
    let result = dispatch(&store, cmd).await;
    store.close().await;
    result
}

async fn dispatch(store: &Store, cmd: DrCommand) -> Result<(), Failure> {
    let (filter, output) = match &cmd {
        DrCommand::Status { dir, output }
        | DrCommand::Links { dir, output }
        | DrCommand::Levels { dir, output }
        | DrCommand::Readiness { dir, output } => (direction(dir), *output),
    };
    let model = store.dr_model().await?;
    if model.is_empty() {
        return Err(Failure::Other(
            "no DR architecture described yet: apply [[datacenter]], [[dr_system]] and [[link]] content (see README, DR dashboard)".into(),
        ));
    }
    if let Some(d) = &filter {
        for dc in [&d.from, &d.to] {
            if !model.datacenters.iter().any(|x| &x.name == dc) {
                let known: Vec<&str> = model.datacenters.iter().map(|x| x.name.as_str()).collect();
                return Err(Failure::Other(format!(
                    "--from/--to: unknown datacenter {dc:?}; known: {}",
                    known.join(", ")
                )));
            }
        }
    }
    let config = crate::dr::dashboard_config(store).await;
    let now = now_ms();
    let view = crate::dr::snapshot(store, &model, &config, now).await?;
    let dirs: Vec<Direction> = match &filter {
        Some(d) => vec![d.clone()],
        None => model.directions(),
    };
    let verdicts: Vec<_> = dirs
        .iter()
        .map(|d| crate::domain::dr::assess(d, &view.input(&model, &config), now))
        .collect();
    match cmd {
        DrCommand::Status { .. } => {
            print::status(&model, &view, &verdicts, filter.as_ref(), output)
        }
        DrCommand::Links { .. } => print::links(&model, &view, filter.as_ref(), output),
        DrCommand::Levels { .. } => print::levels(&model, &view, &config, filter.as_ref(), output),
        DrCommand::Readiness { .. } => {
            print::readiness(&verdicts, output);
            // Scripts may rely on the exit code alone: 1 when any direction is not ready.
            if verdicts.iter().any(|v| !v.ready) {
                return Err(Failure::Other(format!(
                    "{} of {} direction(s) not ready",
                    verdicts.iter().filter(|v| !v.ready).count(),
                    verdicts.len()
                )));
            }
        }
    }
    Ok(())
}

/// Add the DR model to an export document (`[[datacenter]]`, `[[dr_system]]`, `[[link]]`).
pub fn export_into(doc: &mut toml::Table, m: &DrModel, duration: fn(i64) -> String) {
    let to_toml = |v: serde_json::Value| {
        toml::Value::try_from(v).unwrap_or(toml::Value::Table(toml::Table::new()))
    };
    let dcs = m
        .datacenters
        .iter()
        .map(|d| {
            to_toml(serde_json::json!({
                "name": d.name, "zone": d.zone, "city": d.city, "role": d.role.to_string(), "labels": d.labels,
            }))
        })
        .collect();
    let systems = m
        .systems
        .iter()
        .map(|s| {
            let plans: Vec<serde_json::Value> = s
                .plans
                .iter()
                .map(|p| {
                    serde_json::json!({"from": p.from, "to": p.to, "plan": p.plan,
                        "faulty_param": p.faulty_param, "available_param": p.available_param})
                })
                .collect();
            to_toml(serde_json::json!({
                "name": s.name, "architecture": s.architecture.to_string(), "datacenters": s.datacenters,
                "rpo": duration(s.rpo_ms), "rto": duration(s.rto_ms), "plan": plans, "labels": s.labels,
            }))
        })
        .collect();
    let links = m
        .links
        .iter()
        .map(|l| {
            let mut v = serde_json::json!({
                "name": l.name, "kind": l.kind.to_string(), "system": l.system, "source": l.source,
                "target": l.target, "rpo": duration(l.rpo_ms),
            });
            if let Some(p) = &l.probe {
                v["probe"] = p.clone();
                v["value"] = serde_json::json!(l.value);
            }
            to_toml(v)
        })
        .collect();
    doc.insert("datacenter".into(), toml::Value::Array(dcs));
    doc.insert("dr_system".into(), toml::Value::Array(systems));
    doc.insert("link".into(), toml::Value::Array(links));
}

fn direction(d: &crate::cli::DirArgs) -> Option<Direction> {
    match (&d.from, &d.to) {
        (Some(f), Some(t)) => Some(Direction::new(f, t)),
        _ => None,
    }
}
