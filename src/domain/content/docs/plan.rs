//! The TOML shapes of `[[plan]]` and `[[scenario]]`. Unknown fields are refused; the fields that
//! can be wrong keep their span so an error names the line. `domain::content::validate` turns
//! them into `domain::plan::{Plan, Scenario}`.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::domain::content::Selector;
use crate::domain::plan::{Matcher, OnFailure};

/// `[[plan]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanDoc {
    pub name: Spanned<String>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The parameter whose value a G3 confirmation must type.
    #[serde(default)]
    pub target_param: Option<Spanned<String>>,
    #[serde(default)]
    pub param: Vec<ParamDoc>,
    #[serde(default)]
    pub precheck: Vec<StepDoc>,
    #[serde(default)]
    pub step: Vec<StepDoc>,
    #[serde(default)]
    pub postcheck: Vec<StepDoc>,
    #[serde(default)]
    pub rollback: Vec<StepDoc>,
}

/// `[[plan.param]]`. Which of `pattern`, `min`/`max`, `options`, `field`/`selector` apply
/// depends on `kind` (string, integer, boolean, choice, topology).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamDoc {
    pub name: Spanned<String>,
    pub kind: Spanned<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub default: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub required: Option<bool>,
    #[serde(default)]
    pub different_from: Option<Spanned<String>>,
    #[serde(default)]
    pub pattern: Option<Spanned<String>>,
    #[serde(default)]
    pub min: Option<Spanned<i64>>,
    #[serde(default)]
    pub max: Option<Spanned<i64>>,
    #[serde(default)]
    pub options: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub field: Option<Spanned<String>>,
    #[serde(default)]
    pub selector: Option<Spanned<Selector>>,
}

/// `[[plan.precheck]]`, `[[plan.step]]`, `[[plan.postcheck]]`, `[[plan.rollback]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepDoc {
    pub id: Spanned<String>,
    #[serde(default)]
    pub title: String,
    /// The operation, tagged by `kind`; parsed into `domain::plan::Op`.
    pub op: Spanned<toml::Table>,
    /// G1, G2 or G3; required for command, http, sql and redis.
    #[serde(default)]
    pub danger: Option<Spanned<String>>,
    #[serde(default)]
    pub timeout: Option<Spanned<String>>,
    #[serde(default)]
    pub retries: u32,
    #[serde(default)]
    pub retry_delay: Option<Spanned<String>>,
    #[serde(default)]
    pub when: Option<Spanned<String>>,
    #[serde(default)]
    pub on_failure: Option<Spanned<OnFailure>>,
    #[serde(default)]
    pub group: Option<Spanned<String>>,
    #[serde(default)]
    pub target: Option<Spanned<String>>,
}

/// `[[scenario]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioDoc {
    pub name: Spanned<String>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(rename = "match")]
    pub matcher: Spanned<Matcher>,
    #[serde(default)]
    pub impact: String,
    #[serde(default)]
    pub plan: Vec<RecommendationDoc>,
    /// The diagnosis tree that runs when an event of the scenario fires.
    #[serde(default)]
    pub tree: Option<Spanned<String>>,
    /// Which conclusions of the tree heal by themselves, under which protection rules.
    #[serde(default)]
    pub self_heal: Option<Spanned<SelfHealDoc>>,
}

/// `[scenario.self_heal]`: the policy. Durations as `30m`; windows as `"sat,sun 00:00-24:00"` (UTC).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelfHealDoc {
    /// `shadow` (default: decide and record, run nothing) or `on`.
    #[serde(default)]
    pub mode: Option<String>,
    /// Conclusions of the scenario's tree whose recommended plan runs by itself.
    pub heal: Vec<String>,
    #[serde(default)]
    pub allow_g2: bool,
    #[serde(default)]
    pub cooldown: Option<String>,
    #[serde(default)]
    pub max_per_target_hour: Option<u32>,
    #[serde(default)]
    pub max_per_scenario_hour: Option<u32>,
    #[serde(default)]
    pub max_concurrent: Option<u32>,
    #[serde(default)]
    pub freeze: Vec<String>,
    #[serde(default)]
    pub halt_after: Option<u32>,
    #[serde(default)]
    pub verify_within: Option<String>,
}

/// `[[scenario.plan]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecommendationDoc {
    pub plan: Spanned<String>,
    #[serde(default)]
    pub weight: Option<Spanned<u32>>,
    #[serde(default)]
    pub params: Option<Spanned<BTreeMap<String, String>>>,
}
