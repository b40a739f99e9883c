//! Water levels: how full a component is (connections, memory, disk) against warn/critical
//! thresholds per kind, which content or `DR_DASHBOARD_CONFIG` may override.

use serde::{Deserialize, Serialize};

use super::Severity;

/// What a water level measures.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    strum::EnumIter,
    strum::Display,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum LevelKind {
    /// Connections in use vs `max_connections` (MariaDB, PostgreSQL) or `maxclients` (Redis).
    Connections,
    /// Redis `used_memory` vs `maxmemory`; host memory from node_exporter.
    Memory,
    /// Host disk from node_exporter.
    Disk,
}

impl LevelKind {
    pub fn parse(s: &str) -> Option<LevelKind> {
        use strum::IntoEnumIterator;
        LevelKind::iter().find(|k| k.to_string() == s)
    }
}

/// Percentages at which a level warns and is critical.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    pub warn: f64,
    pub critical: f64,
}

/// A threshold per kind (defaults: 80 % warn, 95 % critical, as DOMAIN.md §3's disk rules).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Thresholds {
    pub connections: Threshold,
    pub memory: Threshold,
    pub disk: Threshold,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        let t = Threshold {
            warn: 80.0,
            critical: 95.0,
        };
        Thresholds {
            connections: t,
            memory: t,
            disk: t,
        }
    }
}

impl Thresholds {
    pub fn of(&self, kind: LevelKind) -> Threshold {
        match kind {
            LevelKind::Connections => self.connections,
            LevelKind::Memory => self.memory,
            LevelKind::Disk => self.disk,
        }
    }
}

/// One water level of one component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaterLevel {
    pub component: String,
    pub kind: LevelKind,
    pub at: i64,
    pub used: i64,
    /// 0 when unlimited (Redis without `maxmemory`): never a breach.
    pub max: i64,
}

impl WaterLevel {
    /// Percent used, `None` when there is no limit.
    pub fn percent(&self) -> Option<f64> {
        (self.max > 0).then(|| self.used as f64 * 100.0 / self.max as f64)
    }

    pub fn severity(&self, t: &Thresholds) -> Severity {
        let th = t.of(self.kind);
        match self.percent() {
            None => Severity::Ok,
            Some(p) if p >= th.critical => Severity::Critical,
            Some(p) if p >= th.warn => Severity::Warn,
            Some(_) => Severity::Ok,
        }
    }

    /// `orders-redis-b memory 97% (97.0 MiB of 100.0 MiB)`.
    pub fn describe(&self) -> String {
        let pct = self
            .percent()
            .map_or_else(|| "no limit".to_owned(), |p| format!("{p:.0}%"));
        let (u, m) = match self.kind {
            LevelKind::Connections => (self.used.to_string(), self.max.to_string()),
            _ => (bytes_text(self.used), bytes_text(self.max)),
        };
        format!("{} {} {pct} ({u} of {m})", self.component, self.kind)
    }
}

/// `97.0 MiB`.
pub fn bytes_text(b: i64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < units.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", units[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_follows_the_thresholds_and_no_limit_is_never_a_breach() {
        let t = Thresholds::default();
        let mut l = WaterLevel {
            component: "r".into(),
            kind: LevelKind::Memory,
            at: 0,
            used: 50,
            max: 100,
        };
        assert_eq!(l.severity(&t), Severity::Ok);
        l.used = 80;
        assert_eq!(l.severity(&t), Severity::Warn);
        l.used = 96;
        assert_eq!(l.severity(&t), Severity::Critical);
        l.max = 0;
        assert_eq!(l.severity(&t), Severity::Ok);
        assert_eq!(bytes_text(100 * 1024 * 1024), "100.0 MiB");
    }
}
