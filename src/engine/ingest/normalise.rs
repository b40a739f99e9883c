//! From each source's shape to one [`Incoming`]: level (a `level` label, else `severity` through
//! the configured map), ds_type (a label, else the source's default), identity (the sender's
//! fingerprint, else Alertmanager's FNV-1a over the sorted labels), field lengths bounded to the
//! columns so one oversized alert can never fail a whole batch.

use std::collections::BTreeMap;

use super::alertmanager::Alert;
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

/// Cut `s` to at most `max` characters (on a char boundary).
pub fn bounded(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        s.chars().take(max).collect()
    }
}

/// RFC 3339 to epoch ms; `None` for year 1 (Alertmanager's "not set") or unparsable text.
pub fn parse_time(s: Option<&str>) -> Option<i64> {
    let t = chrono::DateTime::parse_from_rfc3339(s?).ok()?;
    (t.timestamp() > 0).then(|| t.timestamp_millis())
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
    Incoming {
        fingerprint: bounded(&format!("am:{fp}"), 128),
        source: "alertmanager".to_owned(),
        ds_type: bounded(&ds_type_of(&a.labels, "prometheus"), 64),
        level: level_of(&a.labels, settings),
        title: bounded(&title, 512),
        summary: a
            .annotations
            .get("description")
            .cloned()
            .unwrap_or_default(),
        component: bounded(&component_of(&a.labels), 255),
        firing,
        starts_at: parse_time(a.starts_at.as_deref()).unwrap_or(now),
        source_url: a.generator_url,
        labels: a.labels,
        annotations: a.annotations,
    }
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
    let starts_at = match e.starts_at.as_deref() {
        Some(t) => parse_time(Some(t))
            .ok_or_else(|| format!("starts_at: {t:?} is not an RFC 3339 time"))?,
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
    Ok(Incoming {
        fingerprint: bounded(&format!("{source}:{fp}"), 128),
        source: source.to_owned(),
        ds_type: bounded(
            &e.ds_type.unwrap_or_else(|| ds_type_of(&labels, source)),
            64,
        ),
        level,
        title: bounded(&e.title, 512),
        summary: e.summary,
        component: bounded(
            &if e.component.is_empty() {
                component_of(&labels)
            } else {
                e.component
            },
            255,
        ),
        firing,
        starts_at,
        source_url: e.source_url,
        labels,
        annotations,
    })
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
    fn fields_are_bounded() {
        assert_eq!(bounded("ééé", 2), "éé");
    }
}
