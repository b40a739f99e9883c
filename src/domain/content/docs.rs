//! The TOML shapes of content files. Unknown fields are refused (a typo must not silently disable a
//! check). Names keep their span so errors can point at the line.

mod dr;
mod plan;
mod tree;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::Selector;
use crate::domain::event::Level;

pub use dr::{DatacenterDoc, DrPlanDoc, DrSystemDoc, LinkDoc};
pub use plan::{ParamDoc, PlanDoc, RecommendationDoc, ScenarioDoc, SelfHealDoc, StepDoc};
pub use tree::TreeDoc;

/// One content file: any mix of components, rules, tasks, plans, scenarios and the DR model
/// (datacenters, DR systems, sync links).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentFile {
    #[serde(default)]
    pub component: Vec<ComponentDoc>,
    #[serde(default)]
    pub rule: Vec<RuleDoc>,
    #[serde(default)]
    pub task: Vec<TaskDoc>,
    #[serde(default)]
    pub plan: Vec<PlanDoc>,
    #[serde(default)]
    pub scenario: Vec<ScenarioDoc>,
    /// Diagnosis decision trees.
    #[serde(default)]
    pub tree: Vec<TreeDoc>,
    #[serde(default)]
    pub datacenter: Vec<DatacenterDoc>,
    #[serde(default)]
    pub dr_system: Vec<DrSystemDoc>,
    #[serde(default)]
    pub link: Vec<LinkDoc>,
}

/// A monitored component (DESIGN.md §4 `components`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentDoc {
    pub name: Spanned<String>,
    pub kind: String,
    pub layer: Spanned<String>,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub app: String,
    #[serde(default)]
    pub zone: String,
    #[serde(default)]
    pub cell: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub labels: toml::Table,
    #[serde(default)]
    pub endpoints: toml::Table,
}

/// An inspection rule: a probe, the healthy condition, how long/often it may fail, the level of
/// the risk event it raises, and the components it targets.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDoc {
    pub name: Spanned<String>,
    #[serde(default)]
    pub description: String,
    /// The probe spec (`kind = "http"`, …), checked against the probe library at apply time.
    pub probe: Spanned<toml::Table>,
    /// The condition that holds when healthy, e.g. `[CPU] <= 80`.
    pub condition: Spanned<String>,
    /// The condition must fail for this long before the rule fires (`5m`).
    #[serde(default, rename = "for")]
    pub window: Option<Spanned<String>>,
    /// Failures in a row before firing (default 1).
    #[serde(default = "one")]
    pub failures: u32,
    /// Passes in a row before clearing (default 1).
    #[serde(default = "one")]
    pub successes: u32,
    /// Level of the risk event raised on failure (default P2).
    #[serde(default = "p2")]
    pub level: Level,
    pub targets: Spanned<Selector>,
}

fn one() -> u32 {
    1
}

fn p2() -> Level {
    Level::P2
}

/// When a task runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// Every interval (`1m`).
    Every(String),
    /// A cron expression (5 or 6 fields).
    Cron(String),
}

/// A task: a set of rules run together on a schedule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskDoc {
    pub name: Spanned<String>,
    pub rules: Spanned<Vec<String>>,
    #[serde(default)]
    pub every: Option<Spanned<String>>,
    #[serde(default)]
    pub cron: Option<Spanned<String>>,
    /// Probes running at once (default 8).
    #[serde(default = "eight")]
    pub concurrency: u32,
    /// Per-probe timeout (default `10s`).
    #[serde(default = "ten_s")]
    pub timeout: Spanned<String>,
    /// Retries of a probe that errors (default 0).
    #[serde(default)]
    pub retries: u32,
    /// Channels of `NOTIFY_CHANNELS` that get the run summary.
    #[serde(default)]
    pub notify: Vec<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn eight() -> u32 {
    8
}

fn ten_s() -> Spanned<String> {
    Spanned::new(0..0, "10s".to_owned())
}

fn yes() -> bool {
    true
}
