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

/// Why a probe run gave no observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unobserved {
    /// The probe could not measure (a timeout, an unparsable answer, its configuration): an
    /// `error` verdict.
    Failed(String),
    /// The probe runs on the target's host and could not get there over SSH (connection refused
    /// or timed out, host key unknown or changed, authentication failed): an `unreach` verdict.
    Unreachable(String),
    /// The component's own port took no connection (refused, reset, no route): an `error`
    /// verdict for an inspection, the `unreach` branch of a diagnosis node.
    NoConnection(String),
}

impl Unobserved {
    /// The reason, as stored with the result.
    pub fn message(&self) -> &str {
        match self {
            Unobserved::Failed(m) | Unobserved::Unreachable(m) | Unobserved::NoConnection(m) => m,
        }
    }

    /// The same kind with another text (the reason scrubbed of secrets).
    pub fn map(self, f: impl FnOnce(&str) -> String) -> Unobserved {
        match self {
            Unobserved::Failed(m) => Unobserved::Failed(f(m.as_str())),
            Unobserved::Unreachable(m) => Unobserved::Unreachable(f(m.as_str())),
            Unobserved::NoConnection(m) => Unobserved::NoConnection(f(m.as_str())),
        }
    }
}

impl From<String> for Unobserved {
    fn from(message: String) -> Unobserved {
        Unobserved::Failed(message)
    }
}
