//! The risk-event filters of `RISK_DASHBOARD_CONFIG` and their documented defaults: unconfigured,
//! `STACK#tianjimachine` is filtered and every other data-source type kept; P0 and P1 kept, P2 and
//! P3 filtered.

use serde_json::{Value, json};

/// The known data-source types of incoming alerts.
pub const DS_TYPES: &[&str] = &[
    "STACK#ecs",
    "STACK#eip",
    "STACK#rds",
    "STACK#redis",
    "STACK#obcloud",
    "STACK#tianjimachine",
    "STACK#oss",
    "STACK#slb",
    "CP#SM",
    "CP#MM",
    "STACK#basic#cluster",
    "STACK#basic#namespace",
    "STACK#basic#nc",
    "STACK#basic#pod",
    "STACK#basic#container",
];

/// The default `RISK_DASHBOARD_CONFIG`: the filter defaults written out.
pub fn default_risk_dashboard() -> Value {
    let ds: serde_json::Map<String, Value> = DS_TYPES
        .iter()
        .map(|t| ((*t).to_owned(), json!(*t != "STACK#tianjimachine")))
        .collect();
    json!({
        "bizMap": {},
        "antProductMap": {},
        "bizUrl": {},
        "dsTypeMap": ds,
        "riskLevelMap": {"P0": true, "P1": true, "P2": false, "P3": false},
    })
}

/// Whether an alert of data-source type `ds` passes `dsTypeMap` (`config` = the whole
/// `RISK_DASHBOARD_CONFIG`, or `Null` when unconfigured).
pub fn keeps_ds_type(config: &Value, ds: &str) -> bool {
    match config
        .pointer("/dsTypeMap")
        .and_then(|m| m.get(ds))
        .and_then(Value::as_bool)
    {
        Some(keep) => keep,
        None => ds != "STACK#tianjimachine",
    }
}

/// Whether an alert of level `level` (P0..P3) passes `riskLevelMap`.
pub fn keeps_level(config: &Value, level: &str) -> bool {
    match config
        .pointer("/riskLevelMap")
        .and_then(|m| m.get(level))
        .and_then(Value::as_bool)
    {
        Some(keep) => keep,
        None => matches!(level, "P0" | "P1"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unconfigured_filters_follow_the_documented_defaults() {
        let none = Value::Null;
        assert!(!keeps_ds_type(&none, "STACK#tianjimachine"));
        for t in DS_TYPES.iter().filter(|t| **t != "STACK#tianjimachine") {
            assert!(keeps_ds_type(&none, t), "{t} kept by default");
        }
        assert!(keeps_ds_type(&none, "SOMETHING#new"), "unknown types kept");
        assert!(keeps_level(&none, "P0") && keeps_level(&none, "P1"));
        assert!(!keeps_level(&none, "P2") && !keeps_level(&none, "P3"));
    }

    #[test]
    fn the_default_document_says_the_same_as_unconfigured() {
        let d = default_risk_dashboard();
        for t in DS_TYPES {
            assert_eq!(keeps_ds_type(&d, t), keeps_ds_type(&Value::Null, t), "{t}");
        }
        for l in ["P0", "P1", "P2", "P3"] {
            assert_eq!(keeps_level(&d, l), keeps_level(&Value::Null, l), "{l}");
        }
    }

    #[test]
    fn configured_values_win() {
        let c = json!({"dsTypeMap": {"STACK#tianjimachine": true, "STACK#rds": false},
                       "riskLevelMap": {"P2": true, "P0": false}});
        assert!(keeps_ds_type(&c, "STACK#tianjimachine"));
        assert!(!keeps_ds_type(&c, "STACK#rds"));
        assert!(keeps_level(&c, "P2") && !keeps_level(&c, "P0"));
        assert!(
            keeps_level(&c, "P1"),
            "unlisted level falls back to its default"
        );
    }
}
