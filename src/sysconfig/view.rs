//! What is shown of a key: its masked value, version, author, state.

use serde::Serialize;
use serde_json::Value;

use super::{DiffLine, GENERATOR, diff_lines, is_sealed, sealed_pointers};
use crate::domain::sysconfig::{Group, KeySpec, KeyState, Kind, MASK, mask, validate};
use crate::store::StoredConfig;

/// A key as the Config pane and `config list/get` show it. Secrets are masked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigView {
    pub key: String,
    pub group: Group,
    pub kind: Kind,
    pub description: String,
    /// Current value, masked.
    pub value: Value,
    /// The documented default, masked.
    pub default: Value,
    /// 0 when never saved.
    pub version: i64,
    pub updated_by: String,
    pub updated_at: i64,
    pub reason: String,
    pub state: KeyState,
    pub restart_required: bool,
    pub version_gated: bool,
    pub has_secrets: bool,
}

/// One version in a key's history, masked, with the diff from the version before it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub version: i64,
    pub updated_by: String,
    pub updated_at: i64,
    pub reason: String,
    pub action: String,
    pub value: Value,
    pub diff: Vec<DiffLine>,
}

/// What the live engines applied, for the state column.
#[derive(Debug, Default, Clone)]
pub struct EngineFacts {
    /// (started_at, applied {key: version}) of each live engine.
    pub engines: Vec<(i64, serde_json::Map<String, Value>)>,
}

/// Mask a stored (sealed) value: sealed leaves and secret-looking fields become the mask.
pub fn masked(spec: Option<&KeySpec>, stored: &Value) -> Value {
    let mut out = mask(spec, stored);
    for p in sealed_pointers(&out) {
        if let Some(leaf) = out.pointer_mut(&p) {
            *leaf = Value::String(MASK.to_owned());
        }
    }
    out
}

/// Build the view of one key from its spec (if documented) and its current row (if saved).
pub fn view(
    key: &str,
    spec: Option<&KeySpec>,
    row: Option<&StoredConfig>,
    facts: &EngineFacts,
) -> ConfigView {
    let stored: Option<Value> = row.map(|r| serde_json::from_str(&r.value).unwrap_or(Value::Null));
    let default = spec.map_or(Value::Null, |s| (s.default)());
    let current = stored.clone().unwrap_or_else(|| default.clone());
    let state = match (row, &stored) {
        (None, _) => KeyState::Default,
        (Some(r), Some(v)) => match validate(spec, v) {
            Err(problem) => KeyState::Invalid(problem.to_string()),
            Ok(()) if r.updated_by == GENERATOR => KeyState::Default,
            Ok(()) => engine_state(key, spec, r, facts),
        },
        (Some(_), None) => KeyState::Invalid("unreadable".into()),
    };
    ConfigView {
        key: key.to_owned(),
        group: spec.map_or(crate::domain::sysconfig::Group::User, |s| s.group),
        kind: spec.map_or(Kind::Json, |s| s.kind),
        description: spec.map_or("", |s| s.description).to_owned(),
        has_secrets: !sealed_pointers(&current).is_empty()
            || !crate::domain::sysconfig::secret_pointers(spec, &current).is_empty(),
        value: masked(spec, &current),
        default: masked(spec, &default),
        version: row.map_or(0, |r| r.version),
        updated_by: row.map_or_else(String::new, |r| r.updated_by.clone()),
        updated_at: row.map_or(0, |r| r.updated_at),
        reason: row.map_or_else(String::new, |r| r.reason.clone()),
        state,
        restart_required: spec.is_some_and(|s| s.restart_required),
        version_gated: spec.is_some_and(|s| s.version_gated),
    }
}

fn engine_state(
    key: &str,
    spec: Option<&KeySpec>,
    row: &StoredConfig,
    facts: &EngineFacts,
) -> KeyState {
    let Some(spec) = spec else {
        return KeyState::Modified;
    };
    if spec.restart_required
        && facts
            .engines
            .iter()
            .any(|(started, _)| *started < row.updated_at)
    {
        return KeyState::RestartNeeded;
    }
    // What a live engine adopted of this key (absent: never adopted, version 0).
    let behind = facts
        .engines
        .iter()
        .any(|(_, applied)| applied.get(key).and_then(Value::as_i64).unwrap_or(0) < row.version);
    if behind && spec.version_gated {
        return KeyState::NotApplied;
    }
    if behind {
        return KeyState::Pending;
    }
    KeyState::Modified
}

/// History entries (newest first) with masked values and diffs. A secret that changed between two
/// versions shows as `****** (changed)`, so a secret rotation is visible without being shown.
pub fn history(spec: Option<&KeySpec>, rows: &[StoredConfig]) -> Vec<HistoryEntry> {
    let values: Vec<Value> = rows
        .iter()
        .map(|r| serde_json::from_str(&r.value).unwrap_or(Value::Null))
        .collect();
    let shown: Vec<Value> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut m = masked(spec, v);
            if let Some(older) = values.get(i + 1) {
                for p in sealed_pointers(v) {
                    let changed = older.pointer(&p) != v.pointer(&p);
                    if let (true, Some(leaf)) = (changed, m.pointer_mut(&p)) {
                        *leaf = Value::String(format!("{MASK} (changed)"));
                    }
                }
            }
            m
        })
        .collect();
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default() + "\n";
            let old = shown.get(i + 1).map(pretty).unwrap_or_default();
            HistoryEntry {
                version: r.version,
                updated_by: r.updated_by.clone(),
                updated_at: r.updated_at,
                reason: r.reason.clone(),
                action: r.action.clone(),
                value: shown[i].clone(),
                diff: diff_lines(&old, &pretty(&shown[i])),
            }
        })
        .collect()
}

/// Whether any leaf of a value is sealed (the value holds secrets).
pub fn holds_secrets(v: &Value) -> bool {
    is_sealed(v) || !sealed_pointers(v).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sysconfig::lookup;

    fn row(key: &str, version: i64, value: &Value) -> StoredConfig {
        StoredConfig {
            key: key.to_owned(),
            value: value.to_string(),
            version,
            updated_by: "ops".into(),
            updated_at: 5_000,
            reason: "r".into(),
            action: String::new(),
        }
    }

    fn engine(applied: &[(&str, i64)]) -> (i64, serde_json::Map<String, Value>) {
        let m = applied
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
            .collect();
        (1_000, m)
    }

    /// A filter change is "modified" only once every live engine adopted that version: until
    /// then it says it is being applied (it takes effect within the engines' poll, ≤ 30 s).
    #[test]
    fn a_saved_key_reads_applying_until_every_live_engine_adopted_its_version() {
        let key = "RISK_DASHBOARD_CONFIG";
        let spec = lookup(key);
        let value = spec.map_or(Value::Null, |s| (s.default)());
        let r = row(key, 3, &value);
        let state = |engines: Vec<(i64, serde_json::Map<String, Value>)>| {
            view(key, spec, Some(&r), &EngineFacts { engines }).state
        };
        assert_eq!(state(vec![engine(&[(key, 2)])]), KeyState::Pending);
        assert_eq!(state(vec![engine(&[])]), KeyState::Pending, "never adopted");
        assert_eq!(
            state(vec![engine(&[(key, 3)]), engine(&[(key, 2)])]),
            KeyState::Pending,
            "one engine behind"
        );
        assert_eq!(state(vec![engine(&[(key, 3)])]), KeyState::Modified);
        assert_eq!(
            state(Vec::new()),
            KeyState::Modified,
            "no engine to wait for"
        );
        assert_eq!(KeyState::Pending.label(), "applying");
    }
}
