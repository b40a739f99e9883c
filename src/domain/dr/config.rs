//! `DR_DASHBOARD_CONFIG`: how often and how the collectors run, how long samples are kept, the
//! water-level thresholds and where zone traffic comes from. Missing fields take their defaults,
//! so `{}` is a valid configuration.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Thresholds;

/// The collectors' configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DashboardConfig {
    pub interval_secs: u64,
    pub timeout_secs: u64,
    pub concurrency: usize,
    pub retention_days: u64,
    pub thresholds: Thresholds,
    pub prometheus_url: String,
    pub traffic_query: String,
}

impl Default for DashboardConfig {
    fn default() -> DashboardConfig {
        DashboardConfig {
            interval_secs: 10,
            timeout_secs: 5,
            concurrency: 16,
            retention_days: 7,
            thresholds: Thresholds::default(),
            prometheus_url: String::new(),
            traffic_query: String::new(),
        }
    }
}

impl DashboardConfig {
    /// From the key's value; a value that does not fit falls back to the defaults (the key's
    /// schema refuses such values when saved, so this only guards a hand-edited database).
    pub fn from_value(v: &Value) -> DashboardConfig {
        let mut c: DashboardConfig = serde_json::from_value(v.clone()).unwrap_or_default();
        c.interval_secs = c.interval_secs.max(1);
        c.timeout_secs = c.timeout_secs.max(1);
        c.concurrency = c.concurrency.max(1);
        c.retention_days = c.retention_days.max(1);
        c
    }
}

/// The documented default of `DR_DASHBOARD_CONFIG`.
pub fn default_dashboard_config() -> Value {
    json!({
        "intervalSecs": 10, "timeoutSecs": 5, "concurrency": 16, "retentionDays": 7,
        "thresholds": {
            "connections": {"warn": 80.0, "critical": 95.0},
            "memory": {"warn": 80.0, "critical": 95.0},
            "disk": {"warn": 80.0, "critical": 95.0}
        },
        "prometheusUrl": "", "trafficQuery": ""
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_value_parses_to_the_defaults_and_fields_override() {
        assert_eq!(
            DashboardConfig::from_value(&default_dashboard_config()),
            DashboardConfig::default()
        );
        let c = DashboardConfig::from_value(
            &json!({"intervalSecs": 1, "thresholds": {"memory": {"warn": 50, "critical": 60}}}),
        );
        assert_eq!(c.interval_secs, 1);
        assert_eq!(c.thresholds.memory.critical, 60.0);
        assert_eq!(c.thresholds.disk.critical, 95.0);
        assert_eq!(c.retention_days, 7);
    }
}
