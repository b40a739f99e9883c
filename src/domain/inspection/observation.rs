//! What one probe run gave, as the runner sees it (the probe library's output, adapted).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One measurement of one target.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Condition placeholders (`STATUS`, `VALUE`, …) and their values.
    pub values: BTreeMap<String, Value>,
    pub message: String,
    /// Bounded output (stdout, body excerpt, …).
    pub output: String,
    pub duration_ms: i64,
}
