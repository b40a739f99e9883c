//! Breaches become risk events through the normal pipeline (the `RISK_DASHBOARD_CONFIG` filters,
//! dedup by fingerprint, notification channels) and resolve themselves when they clear. One event
//! per link (`dr:link:NAME`) and per critical water level (`dr:level:COMPONENT/KIND`), on the
//! component that would lose data or run out.

use std::collections::BTreeMap;

use crate::domain::dr::{DashboardConfig, DrModel, LinkSample, Severity, WaterLevel};
use crate::domain::event::{EventQuery, Incoming, Level};
use crate::domain::notify::Channel;
use crate::dr::EVENT_SOURCE;
use crate::store::{IngestItem, Store, StoreError};

/// A breach as it becomes an event.
#[derive(Debug, Clone, PartialEq)]
pub struct Breach {
    pub fingerprint: String,
    pub component: String,
    pub title: String,
    pub summary: String,
}

/// The breaches of one round.
pub fn breaches(
    model: &DrModel,
    components: &[crate::domain::Component],
    links: &[LinkSample],
    levels: &[WaterLevel],
    config: &DashboardConfig,
) -> Vec<Breach> {
    let dc = |name: &str| {
        components
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| model.dc_of(c))
            .unwrap_or("?")
            .to_owned()
    };
    let mut out = Vec::new();
    for l in &model.links {
        let Some(s) = links.iter().find(|s| s.link == l.name) else {
            continue;
        };
        if let Some(why) = s.breach(l.rpo_ms) {
            out.push(Breach {
                fingerprint: format!("dr:link:{}", l.name),
                component: l.target.clone(),
                title: format!(
                    "DR link {} {}→{} {why}",
                    l.name,
                    dc(&l.source),
                    dc(&l.target)
                ),
                summary: format!("{} ({} → {}): {}", l.kind, l.source, l.target, s.message),
            });
        }
    }
    for w in levels {
        if w.severity(&config.thresholds) == Severity::Critical {
            out.push(Breach {
                fingerprint: format!("dr:level:{}/{}", w.component, w.kind),
                component: w.component.clone(),
                title: format!("DR water level critical: {}", w.describe()),
                summary: format!("critical at {}%", config.thresholds.of(w.kind).critical),
            });
        }
    }
    out
}

/// Raise new breaches and resolve DR events whose breach cleared. Returns (raised, resolved).
pub async fn reconcile(
    store: &Store,
    breaches: &[Breach],
    dashboard: &serde_json::Value,
    channels: &[Channel],
    now: i64,
) -> Result<(usize, usize), StoreError> {
    let mut q = EventQuery::parse(&format!("source:{EVENT_SOURCE} status:open,acked"), "")
        .unwrap_or_default();
    q.limit = 10_000;
    let open: BTreeMap<String, (String, String)> = store
        .list_events(&q)
        .await?
        .into_iter()
        .map(|e| (e.fingerprint, (e.component, e.title)))
        .collect();
    let item = |fingerprint: &str, component: &str, title: &str, summary: &str, firing: bool| {
        let incoming = Incoming {
            fingerprint: fingerprint.to_owned(),
            source: EVENT_SOURCE.to_owned(),
            ds_type: EVENT_SOURCE.to_owned(),
            level: Level::P1,
            title: title.to_owned(),
            summary: summary.to_owned(),
            labels: [("component".to_owned(), component.to_owned())].into(),
            annotations: Default::default(),
            component: component.to_owned(),
            firing,
            starts_at: now,
            source_url: String::new(),
        };
        let keep = crate::domain::sysconfig::keeps_ds_type(dashboard, &incoming.ds_type)
            && crate::domain::sysconfig::keeps_level(dashboard, incoming.level.as_str());
        IngestItem { incoming, keep }
    };
    let mut items = Vec::new();
    for b in breaches
        .iter()
        .filter(|b| !open.contains_key(&b.fingerprint))
    {
        items.push(item(
            &b.fingerprint,
            &b.component,
            &b.title,
            &b.summary,
            true,
        ));
    }
    let raised = items.len();
    for (fp, (component, title)) in &open {
        if !breaches.iter().any(|b| &b.fingerprint == fp) {
            items.push(item(fp, component, title, "cleared", false));
        }
    }
    let resolved = items.len() - raised;
    store.ingest_batch(&items, channels, now).await?;
    Ok((raised, resolved))
}
