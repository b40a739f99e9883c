//! What a validated bundle holds: rules, tasks and everything else a set of files defines.

use serde::{Deserialize, Serialize};

use super::super::{Schedule, Selector};
use crate::domain::Component;
use crate::domain::dr::DrModel;
use crate::domain::event::Level;
use crate::domain::inspection::Thresholds;
use crate::domain::plan::{Plan, Scenario};

/// A validated rule, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub name: String,
    pub description: String,
    pub probe: serde_json::Value,
    pub condition: String,
    pub thresholds: Thresholds,
    pub level: Level,
    pub targets: Selector,
}

/// A validated task, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub name: String,
    pub rules: Vec<String>,
    pub schedule: Schedule,
    pub concurrency: u32,
    pub timeout_ms: i64,
    pub retries: u32,
    pub notify: Vec<String>,
    pub enabled: bool,
}

/// Everything a set of files defines, validated together.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bundle {
    pub components: Vec<Component>,
    pub rules: Vec<Rule>,
    pub tasks: Vec<Task>,
    pub plans: Vec<Plan>,
    pub scenarios: Vec<Scenario>,
    /// Diagnosis trees.
    pub trees: Vec<crate::domain::diagnosis::Tree>,
    /// Datacenters, DR systems and sync links.
    pub dr: DrModel,
}
