//! Risk events (DOMAIN.md §1: the hub): levels, statuses, what an incoming alert looks like once
//! normalised, its identity, and how it changes an existing event. Pure: no IO.

mod query;
mod transition;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use query::{EventQuery, KeyValue, Keyset, SortKey};
pub use transition::{FLAP_THRESHOLD, FLAP_WINDOW_MS, Prior, Transition, apply};

/// Risk level, P0 the most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    P0,
    P1,
    P2,
    P3,
}

impl Level {
    pub const ALL: [Level; 4] = [Level::P0, Level::P1, Level::P2, Level::P3];

    pub fn parse(s: &str) -> Option<Level> {
        match s.trim().to_ascii_uppercase().as_str() {
            "P0" => Some(Level::P0),
            "P1" => Some(Level::P1),
            "P2" => Some(Level::P2),
            "P3" => Some(Level::P3),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::P0 => "P0",
            Level::P1 => "P1",
            Level::P2 => "P2",
            Level::P3 => "P3",
        }
    }

    /// P0 and P1 ring the bell in the console.
    pub fn is_urgent(self) -> bool {
        self <= Level::P1
    }
}

/// Where an event is in its lifecycle: open → acked → resolved → closed; `suppressed` when the
/// `RISK_DASHBOARD_CONFIG` filters keep it out of sight (kept, countable, viewable; never dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Open,
    Acked,
    Resolved,
    Closed,
    Suppressed,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Open,
        Status::Acked,
        Status::Resolved,
        Status::Closed,
        Status::Suppressed,
    ];

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s.trim().to_ascii_lowercase())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Acked => "acked",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
            Status::Suppressed => "suppressed",
        }
    }
}

/// One alert, normalised from any source, ready to be stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incoming {
    pub fingerprint: String,
    /// `alertmanager`, `rms`, `api`, `inspection`.
    pub source: String,
    pub ds_type: String,
    pub level: Level,
    pub title: String,
    pub summary: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub component: String,
    /// `false`: the source says it is resolved.
    pub firing: bool,
    /// When the source says it started (epoch ms).
    pub starts_at: i64,
    pub source_url: String,
}

/// A stored risk event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: i64,
    pub fingerprint: String,
    pub source: String,
    pub ds_type: String,
    pub level: Level,
    pub title: String,
    pub summary: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub component: String,
    pub status: Status,
    pub firing: bool,
    pub first_seen: i64,
    pub last_seen: i64,
    pub count: i64,
    pub flapping: bool,
    pub assignee: String,
    /// The level the source gave; differs from `level` after an operator re-graded it.
    pub original_level: Level,
    pub source_url: String,
    pub updated_at: i64,
}

/// One entry of an event's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub id: i64,
    pub event_id: i64,
    pub at: i64,
    /// received, repeated, suppressed, reopened, resolved, flapping, acked, assigned, commented,
    /// regraded, closed, notified.
    pub kind: String,
    pub actor: String,
    pub message: String,
}

/// Alertmanager's fingerprint of a label set: FNV-1a 64 over the labels sorted by name, each name
/// and value followed by the 0xFF separator byte; printed as 16 hex digits. Using the same function
/// means an alert keeps its identity whether or not the sender includes `fingerprint`.
pub fn fingerprint(labels: &BTreeMap<String, String>) -> String {
    const OFFSET: u64 = 14_695_981_039_346_656_037;
    const PRIME: u64 = 1_099_511_628_211;
    let mut h = OFFSET;
    let mut add = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(PRIME);
        }
    };
    for (name, value) in labels {
        add(name.as_bytes());
        add(&[0xFF]);
        add(value.as_bytes());
        add(&[0xFF]);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_matches_alertmanager() {
        // The vectors of Prometheus' TestMetricToFingerprint (common/model).
        let empty = BTreeMap::new();
        assert_eq!(
            fingerprint(&empty),
            format!("{:016x}", 14_695_981_039_346_656_037_u64)
        );
        let set: BTreeMap<String, String> =
            [("name", "garland, briggs"), ("fear", "love is not enough")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
        assert_eq!(
            fingerprint(&set),
            format!("{:016x}", 5_799_056_148_416_392_346_u64)
        );
    }

    #[test]
    fn fingerprint_ignores_insertion_order() {
        let a: BTreeMap<String, String> = [("a", "1"), ("b", "2")]
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        let b: BTreeMap<String, String> = [("b", "2"), ("a", "1")]
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        assert_eq!(fingerprint(&a), fingerprint(&b));
    }

    #[test]
    fn levels_and_statuses_parse() {
        assert_eq!(Level::parse("p1"), Some(Level::P1));
        assert_eq!(Level::parse("P4"), None);
        assert!(Level::P0.is_urgent() && !Level::P2.is_urgent());
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
    }
}
