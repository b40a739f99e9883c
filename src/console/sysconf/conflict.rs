//! A save refused because someone saved the key meanwhile: who, when, and their change (the diff
//! from the version the edit was based on to the current one, masked), loaded from the history.

use serde_json::Value;

use crate::sysconfig::{DiffLine, HistoryEntry, diff_lines};

/// The conflict shown over the editor.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictState {
    /// The version saved meanwhile.
    pub current: i64,
    /// Who saved it.
    pub by: String,
    /// When (epoch ms).
    pub at: i64,
    /// Their change (base → current), once the history arrived.
    pub theirs: Option<Vec<DiffLine>>,
    /// The current value (masked), once the history arrived: the base of a re-applied edit.
    pub current_value: Option<Value>,
    /// Reading the history failed.
    pub error: Option<String>,
    /// Lines scrolled off the top.
    pub scroll: u16,
}

impl ConflictState {
    /// A conflict with `current` saved by `by` at `at`; the diff comes with the history.
    pub fn new(current: i64, by: &str, at: i64) -> ConflictState {
        ConflictState {
            current,
            by: by.to_owned(),
            at,
            theirs: None,
            current_value: None,
            error: None,
            scroll: 0,
        }
    }

    /// Fill in their change from the key's history. `base` is the version the edit started from,
    /// `base_value` its masked value (used when `base` is 0, the never-saved default).
    pub fn fill(&mut self, history: &[HistoryEntry], base: i64, base_value: &Value) {
        let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default() + "\n";
        let Some(now) = history.iter().find(|e| e.version == self.current) else {
            self.error = Some(format!("version {} is not in the history", self.current));
            return;
        };
        let old = history
            .iter()
            .find(|e| e.version == base)
            .map_or_else(|| base_value.clone(), |e| e.value.clone());
        self.theirs = Some(diff_lines(&pretty(&old), &pretty(&now.value)));
        self.current_value = Some(now.value.clone());
    }
}
