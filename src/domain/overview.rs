//! What the Overview pane and `nightwatch info` show: the estate as far as it exists.

use serde::{Deserialize, Serialize};

use super::{Instance, MasterLease};

/// Which database, seen from outside (password masked).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbInfo {
    /// `sqlite`, `mysql` or `postgres`.
    pub backend: String,
    /// The URL with any password replaced by `***`.
    pub url: String,
    /// Highest applied migration, if any.
    pub schema_version: Option<i64>,
    /// Highest migration this binary knows.
    pub schema_latest: i64,
    pub read_only: bool,
}

/// The state of the engine as this process sees it (status bar, Overview).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum EngineState {
    /// Not started yet.
    #[default]
    Starting,
    /// Running inside this process, listening on the address.
    InProcess { listen: String },
    /// Another process on this database runs it (found by heartbeat or the port being taken).
    External { detail: String },
    /// Not run by this process by choice (shared database without `--engine on`, read-only).
    Off { why: String },
    /// Failed to start or crashed.
    Failed { error: String },
}

impl EngineState {
    /// One short line for the status bar.
    pub fn label(&self) -> String {
        match self {
            EngineState::Starting => "engine: starting".to_owned(),
            EngineState::InProcess { listen } => format!("engine: in-process {listen}"),
            EngineState::External { detail } => format!("engine: external ({detail})"),
            EngineState::Off { why } => format!("engine: off ({why})"),
            EngineState::Failed { error } => format!("engine: FAILED {error}"),
        }
    }
}

/// Everything the Overview pane shows, loaded in one read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub db: DbInfo,
    pub instances: Vec<Instance>,
    pub master: Option<MasterLease>,
    pub components_total: i64,
    /// (layer name, count), every layer present even when zero.
    pub components_by_layer: Vec<(String, i64)>,
    pub audit_total: i64,
    /// Newest change seen (max updated/heartbeat time), so a refresh can tell nothing changed.
    pub stamp: i64,
    /// The change stamp read before this Overview: a poll reads the rest only when it moved.
    #[serde(skip)]
    pub change: OverviewStamp,
}

/// What tells whether the Overview changed, read by index lookups and from the tiny instance and
/// lease tables: never a scan of a table that grows (the audit log is stamped by its highest id,
/// so its count is recomputed only after it grew).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OverviewStamp {
    /// `MAX(id)` of `audit_log` (its primary key).
    pub audit_last_id: i64,
    /// `COUNT(*)` and `MAX(updated_at)` of `components`.
    pub components: (i64, i64),
    /// Every instance's id and heartbeat, and the master lease (holder, term, expiry).
    pub instances: Vec<(String, i64)>,
    pub lease: Option<(String, i64, i64)>,
}
