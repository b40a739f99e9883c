//! System configuration as operators use it: views with state, validated and versioned saves,
//! rollback, history with masked diffs, export/import, and secrets sealed at rest.
//!
//! Everything that leaves this module for display is masked. The only way to see a secret in clear
//! is [`SysConfig::reveal`], which is audited and refused in read-only mode. The engine reads
//! decrypted values with [`SysConfig::effective`] and never logs them.

mod diff;
pub mod estate_key;
pub mod scrub;
mod secretbox;
mod service;
mod view;

pub use diff::{DiffLine, diff_lines};
pub use scrub::Scrubber;
pub use secretbox::{SecretBox, SecretError, is_sealed, sealed_pointers};
pub use service::{ImportReport, Input, SetRequest, SysConfig};
pub use view::{ConfigView, HistoryEntry};

use crate::domain::sysconfig::ConfigProblem;
use crate::store::StoreError;

/// Who generated the first-start credentials (`RMS_CONFIG`, `NW_EMBEDDED_AK`).
pub const GENERATOR: &str = "nightwatch (generated)";

/// Why a configuration operation was refused. Nothing is saved when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("unknown key {key:?}{}", suggestion.as_ref().map(|s| format!(": did you mean {s}?")).unwrap_or_else(|| " (add --new to create a key of your own)".into()))]
    UnknownKey {
        key: String,
        suggestion: Option<String>,
    },
    #[error("{key}: {problem}")]
    Invalid { key: String, problem: ConfigProblem },
    #[error("{key}: {message}")]
    BadName { key: String, message: String },
    #[error("{key} has no version {version} (it has versions 1 to {latest})")]
    NoSuchVersion {
        key: String,
        version: i64,
        latest: i64,
    },
    #[error("{key}: no change (version {version} already has this value)")]
    NoChange { key: String, version: i64 },
    #[error("{0} is refused in read-only mode")]
    ReadOnly(String),
    #[error("changing {0} is a G2 operation: give a reason (it goes into the audit log)")]
    ReasonRequired(String),
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// This process does not hold the estate's key (see [`estate_key`]).
    #[error("{0}")]
    Key(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ConfigError {
    /// The conflict details when another operator saved first: (current version, by, at).
    pub fn conflict(&self) -> Option<(i64, &str, i64)> {
        match self {
            ConfigError::Store(StoreError::VersionConflict {
                current, by, at, ..
            }) => Some((*current, by.as_str(), *at)),
            _ => None,
        }
    }
}
