//! Emergency and DR plans (DOMAIN.md §1, issue 6): typed parameters, prechecks, steps (serial,
//! with parallel groups), `when` conditions on earlier results, retries, `on_failure`, rollback
//! steps and postchecks, built from atomic operations each carrying a danger level; and risk
//! scenarios that recommend plans for an event.
//!
//! Pure: this module describes, validates, resolves and renders. The store keeps a validated
//! [`Plan`] as JSON with a version number (bumped when [`Plan::content_hash`] changes), the
//! executor (`crate::ops`) walks [`outline`] and performs each rendered [`Op`], the console
//! shows [`describe`] before asking for the confirmation its [`Plan::danger`] demands.
//!
//! The TOML form (`[[plan]]` in a content file) is parsed and checked with file and line by
//! `domain::content`; [`Plan::problems`] holds the checks that need the whole plan.

mod check;
mod code;
mod describe;
mod duration;
mod facts;
mod op;
mod outline;
mod param;
mod redis;
mod scenario;
mod sql;
mod state;
mod template;
mod when;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Digest as _;

use crate::domain::Danger;

pub(crate) use check::is_name;
pub use check::{Locus, ParamField, Problem, StepField};
pub use code::{op_code_problems, probe_code_problems, reserved_env};
pub use describe::{ResolvedOp, describe, mask_url, one_line};
pub use duration::{duration_ms, duration_text};
pub use facts::{
    FACTS, component_of, endpoint, event_facts, local_when_empty, peer_of, target_host,
};
pub use op::{
    CommandOp, HttpOp, Interpreter, ManualOp, NotifyOp, Op, RedisOp, SqlOp, SqlStatement, WaitOp,
    WaitUntilOp,
};
pub use outline::{PhaseOutline, Stage, outline, stages};
pub use param::{Param, ParamError, ParamKind, TopologyField, resolve_params};
pub use redis::redis_read_only;
pub use scenario::{Matcher, Recommendation, Recommended, Scenario, recommend, recommend_with};
pub use sql::{SqlClass, SqlFlavor, classify, numbered_placeholders, placeholder_count};
pub use state::{Phase, RunStatus, StepStatus};
pub use template::{
    EventRef, Ref, RenderCtx, StepResult, TemplateError, refs, render, render_arg, render_op,
    render_url,
};
pub use when::when_holds;

use duration::ms_text;

/// A plan, as validated and stored. Its serialised form is the TOML form with every default
/// written out, so a stored plan exports back to content that applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The parameter whose value a G3 confirmation must type (else the plan's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_param: Option<String>,
    #[serde(default, rename = "param", skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<Param>,
    #[serde(default, rename = "precheck", skip_serializing_if = "Vec::is_empty")]
    pub prechecks: Vec<Step>,
    #[serde(default, rename = "step")]
    pub steps: Vec<Step>,
    #[serde(default, rename = "postcheck", skip_serializing_if = "Vec::is_empty")]
    pub postchecks: Vec<Step>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rollback: Vec<Step>,
}

/// What a failed step (after its retries) does to the run. Ordered by strength: a parallel
/// stage applies the strongest among its failed steps.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum OnFailure {
    /// Carry on with the next stage; the failure is recorded.
    Continue,
    /// Stop the run: it ends `failed` (default).
    #[default]
    Abort,
    /// Stop, then run the plan's rollback steps: `rolled_back` if they all succeed.
    Rollback,
}

impl OnFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            OnFailure::Continue => "continue",
            OnFailure::Abort => "abort",
            OnFailure::Rollback => "rollback",
        }
    }
}

/// One step: an operation with its danger, limits and control flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Unique within the plan (all phases); `[A-Za-z][A-Za-z0-9_-]*`.
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    pub op: Op,
    pub danger: Danger,
    /// Per attempt.
    #[serde(rename = "timeout", with = "ms_text")]
    pub timeout_ms: u64,
    /// Extra attempts after a failure (0: one attempt).
    #[serde(default)]
    pub retries: u32,
    #[serde(rename = "retry_delay", with = "ms_text")]
    pub retry_delay_ms: u64,
    /// Run only if this condition holds (see [`when_holds`]); else the step is `skipped`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    #[serde(default)]
    pub on_failure: OnFailure,
    /// Consecutive steps with the same group run in parallel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Component name (a template); the executor resolves it to a `probes::Target` whose
    /// endpoints fill what the op leaves out (`dsn`, `url`, `host`/`port`/`password`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

impl Step {
    /// Attempts in all (1 + retries).
    pub fn attempts(&self) -> u32 {
        self.retries.saturating_add(1)
    }
}

impl Plan {
    /// The plan's danger: its most dangerous step's, in any phase (G1 for a plan of G1 steps).
    pub fn danger(&self) -> Danger {
        self.all_steps()
            .map(|(_, s)| s.danger)
            .max()
            .unwrap_or(Danger::G1)
    }

    /// A stable hash of the definition (SHA-256 of its canonical JSON, keys sorted): the store
    /// raises the plan's version when this changes.
    pub fn content_hash(&self) -> String {
        let v = serde_json::to_value(self).unwrap_or(Value::Null);
        let mut text = String::new();
        canonical(&v, &mut text);
        hex::encode(sha2::Sha256::digest(text.as_bytes()))
    }

    /// The steps of one phase.
    pub fn phase(&self, phase: Phase) -> &[Step] {
        match phase {
            Phase::Precheck => &self.prechecks,
            Phase::Step => &self.steps,
            Phase::Postcheck => &self.postchecks,
            Phase::Rollback => &self.rollback,
        }
    }

    /// Every step with its phase, in execution order (rollback last).
    pub fn all_steps(&self) -> impl Iterator<Item = (Phase, &Step)> {
        Phase::ALL
            .iter()
            .flat_map(move |&p| self.phase(p).iter().map(move |s| (p, s)))
    }

    /// A step by id.
    pub fn step(&self, id: &str) -> Option<(Phase, &Step)> {
        self.all_steps().find(|(_, s)| s.id == id)
    }

    /// A parameter by name.
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The name a G3 confirmation must type: the value of `target_param` (else the plan's name);
    /// `None` when the plan is below G3 and no name is typed.
    pub fn confirm_target(
        &self,
        params: &std::collections::BTreeMap<String, Value>,
    ) -> Option<String> {
        if !self.danger().needs_typed_target() {
            return None;
        }
        Some(
            self.target_param
                .as_ref()
                .and_then(|p| params.get(p))
                .map(Param::text_of)
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| self.name.clone()),
        )
    }
}

/// JSON with object keys sorted at every depth, whatever the map implementation.
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                if let Some(x) = m.get(*k) {
                    canonical(x, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests;
