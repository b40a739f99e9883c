//! From each source's shape to one [`Incoming`]: level (a `level` label, else `severity` through
//! the configured map), ds_type (a label, else the source's default), identity (the sender's
//! fingerprint, else Alertmanager's FNV-1a over the sorted labels, computed from the labels as
//! sent), then made storable on every backend by [`super::clean`] (NUL removed, values bounded
//! with a marker, long identities hashed), so one odd alert can never fail a whole batch.

use std::collections::BTreeMap;

use super::alertmanager::Alert;
use super::clean;
use super::generic::GenericEvent;
use crate::domain::event::{Incoming, Level, fingerprint};
use crate::settings::IngestSettings;

/// The level of an alert from its labels: `level` (P0..P3) first, then `severity` mapped.
pub fn level_of(labels: &BTreeMap<String, String>, settings: &IngestSettings) -> Level {
    labels
        .get("level")
        .and_then(|l| Level::parse(l))
        .or_else(|| {
            let sev = labels.get("severity")?.to_ascii_lowercase();
            settings.severity.get(&sev).and_then(|l| Level::parse(l))
        })
        .unwrap_or(Level::P2)
}

fn ds_type_of(labels: &BTreeMap<String, String>, default: &str) -> String {
    labels
        .get("ds_type")
        .or_else(|| labels.get("dsType"))
        .cloned()
        .unwrap_or_else(|| default.to_owned())
}

fn component_of(labels: &BTreeMap<String, String>) -> String {
    ["component", "instance", "service", "job"]
        .iter()
        .find_map(|k| labels.get(*k).cloned())
        .unwrap_or_default()
}

/// RFC 3339 to epoch ms; `None` for year 1 (Alertmanager's "not set") or unparsable text.
pub fn parse_time(s: Option<&str>) -> Option<i64> {
    parse_time_set(s?).unwrap_or_default()
}

/// RFC 3339 to epoch ms: `Ok(None)` for a time before 1970-01-01T00:00:01Z (Alertmanager's
/// `0001-01-01T00:00:00Z` means "not set"), `Err` for text that is not RFC 3339.
fn parse_time_set(s: &str) -> Result<Option<i64>, ()> {
    let t = chrono::DateTime::parse_from_rfc3339(s).map_err(|_| ())?;
    Ok((t.timestamp() > 0).then(|| t.timestamp_millis()))
}

/// One Alertmanager alert.
pub fn from_alertmanager(a: Alert, settings: &IngestSettings, now: i64) -> Incoming {
    let fp = if a.fingerprint.is_empty() {
        fingerprint(&a.labels)
    } else {
        a.fingerprint.clone()
    };
    let ends = parse_time(a.ends_at.as_deref());
    // Firing unless Alertmanager says resolved, or gives an end time already in the past.
    let firing = a.status != "resolved" && ends.is_none_or(|e| e > now);
    let title = a
        .annotations
        .get("summary")
        .or_else(|| a.labels.get("alertname"))
        .cloned()
        .unwrap_or_else(|| "alert".to_owned());
    clean::alert(Incoming {
        fingerprint: format!("am:{fp}"),
        source: "alertmanager".to_owned(),
        ds_type: ds_type_of(&a.labels, "prometheus"),
        level: level_of(&a.labels, settings),
        title,
        summary: a
            .annotations
            .get("description")
            .cloned()
            .unwrap_or_default(),
        component: component_of(&a.labels),
        firing,
        starts_at: parse_time(a.starts_at.as_deref()).unwrap_or(now),
        source_url: a.generator_url,
        labels: a.labels,
        annotations: a.annotations,
    })
}

/// One generic event. `Err` names the field.
pub fn from_generic(
    e: GenericEvent,
    source: &str,
    settings: &IngestSettings,
    now: i64,
) -> Result<Incoming, String> {
    let labels: BTreeMap<String, String> = e
        .labels
        .into_iter()
        .map(|(k, v)| (k, v.into_text()))
        .collect();
    let annotations: BTreeMap<String, String> = e
        .annotations
        .into_iter()
        .map(|(k, v)| (k, v.into_text()))
        .collect();
    if e.title.trim().is_empty() {
        return Err("title: must not be empty".to_owned());
    }
    let level = match e.level.as_deref() {
        Some(l) => {
            Level::parse(l).ok_or_else(|| format!("level: {l:?} is not one of P0, P1, P2, P3"))?
        }
        None => level_of(&labels, settings),
    };
    let firing = match e.status.as_deref().unwrap_or("firing") {
        "firing" => true,
        "resolved" => false,
        other => return Err(format!("status: {other:?} is not firing or resolved")),
    };
    // Year 1 (`0001-01-01T00:00:00Z`, how Go and Alertmanager write "not set") means now.
    let starts_at = match e.starts_at.as_deref() {
        Some(t) => parse_time_set(t)
            .map_err(|()| format!("starts_at: {t:?} is not an RFC 3339 time"))?
            .unwrap_or(now),
        None => now,
    };
    let fp = match e.fingerprint.filter(|f| !f.is_empty()) {
        Some(f) => f,
        None => {
            let mut with_title = labels.clone();
            with_title.insert("__title__".to_owned(), e.title.clone());
            fingerprint(&with_title)
        }
    };
    Ok(clean::alert(Incoming {
        fingerprint: format!("{source}:{fp}"),
        source: source.to_owned(),
        ds_type: e.ds_type.unwrap_or_else(|| ds_type_of(&labels, source)),
        level,
        title: e.title,
        summary: e.summary,
        component: if e.component.is_empty() {
            component_of(&labels)
        } else {
            e.component
        },
        firing,
        starts_at,
        source_url: e.source_url,
        labels,
        annotations,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn level_label_wins_then_severity_then_p2() {
        let s = IngestSettings::default();
        assert_eq!(
            level_of(&labels(&[("level", "P0"), ("severity", "info")]), &s),
            Level::P0
        );
        assert_eq!(
            level_of(&labels(&[("severity", "Critical")]), &s),
            Level::P0
        );
        assert_eq!(level_of(&labels(&[("severity", "warning")]), &s), Level::P2);
        assert_eq!(level_of(&labels(&[("severity", "weird")]), &s), Level::P2);
        assert_eq!(level_of(&labels(&[]), &s), Level::P2);
    }

    #[test]
    fn year_one_end_means_firing() {
        assert_eq!(parse_time(Some("0001-01-01T00:00:00Z")), None);
        assert_eq!(parse_time(Some("1970-01-01T00:00:01Z")), Some(1000));
        assert_eq!(parse_time(Some("yesterday")), None);
    }

    #[test]
    fn generic_year_one_start_means_now_and_garbage_is_named() {
        let s = IngestSettings::default();
        let event = |starts: &str| -> GenericEvent {
            serde_json::from_value(serde_json::json!({"title": "t", "starts_at": starts})).unwrap()
        };
        let i = from_generic(event("0001-01-01T00:00:00Z"), "api", &s, 42).unwrap();
        assert_eq!(i.starts_at, 42);
        let err = from_generic(event("soon"), "api", &s, 42).unwrap_err();
        assert!(err.starts_with("starts_at:"), "{err}");
    }

    #[test]
    fn alerts_come_out_storable() {
        let s = IngestSettings::default();
        let e: GenericEvent = serde_json::from_value(serde_json::json!({
            "title": "disk\0 full", "fingerprint": "x".repeat(300),
            "annotations": {"big": "z".repeat(70_000)}
        }))
        .unwrap();
        let i = from_generic(e, "api", &s, 0).unwrap();
        assert_eq!(i.title, "disk full");
        assert!(i.fingerprint.chars().count() <= 128 && i.fingerprint.contains("#sha256:"));
        assert!(i.annotations["big"].len() <= clean::VALUE_MAX);
    }
}
