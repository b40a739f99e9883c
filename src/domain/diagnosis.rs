//! Diagnosis trees (DOMAIN.md §1 "fault diagnosis"): runbook knowledge as a decision tree that
//! runs by itself when a risk event of its scenario happens. A **node** is a check (any probe
//! kind, with the inspection condition language) on a component the event and the topology name
//! (`event`: the event's own component; `peer`: the other side of its replication; or a
//! component by name), or a second look at the values an earlier node observed (`of`). Its
//! outcome picks the branch: `pass` (the condition holds), `fail` (it does not, or the check
//! could not observe: `error`), `unreach` (the component's host or port cannot be reached;
//! defaults to `fail`). Branches end in **conclusions**: a root cause in words, a grade, and the
//! recommended plan with parameters taken from what was found on the way.
//!
//! Templates in a conclusion read `{{event.NAME}}` (the event's facts, as scenarios do) and
//! `{{node.ID.KEY}}` (a value node ID observed, a field of one as `ROW.dead_node`, or the node's
//! `target`, `host`, `port`, `message`).
//! Values are data: what a template yields is text for the operator or a plan parameter (which
//! the plan executor passes as an environment variable); nothing of an event reaches a probe
//! spec, which is content.
//!
//! Pure: the probes run elsewhere ([`crate::engine::diagnose`]).

mod render;
mod validate;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::event::Level;

pub use render::{Facts, render};
pub use validate::{MAX_DEPTH, MAX_NODES, problems};

/// A decision tree, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    pub name: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// The first node.
    pub root: String,
    pub nodes: Vec<Node>,
    pub conclusions: Vec<Conclusion>,
    /// The whole tree's bound (ms): a run still walking after it concludes "timed out".
    pub max_ms: i64,
}

/// Which component a node's probe runs on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum On {
    /// The event's own topology component.
    Event,
    /// The other side of its replication (the replica a switch would promote, or a replica's
    /// primary).
    Peer,
    /// A component by name.
    Component(String),
}

impl On {
    pub fn parse(text: &str) -> Option<On> {
        match text.trim() {
            "" | "event" => Some(On::Event),
            "peer" => Some(On::Peer),
            t => t
                .strip_prefix("component:")
                .filter(|n| !n.trim().is_empty())
                .map(|n| On::Component(n.trim().to_owned())),
        }
    }

    pub fn label(&self) -> String {
        match self {
            On::Event => "event".to_owned(),
            On::Peer => "peer".to_owned(),
            On::Component(n) => format!("component:{n}"),
        }
    }
}

/// One check of a tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub id: String,
    #[serde(default)]
    pub title: String,
    /// The probe spec; `None` with `of`: the condition reads that node's values.
    #[serde(default)]
    pub probe: Option<Value>,
    pub on: On,
    /// An earlier node whose values the condition reads (no probe of its own).
    #[serde(default)]
    pub of: Option<String>,
    /// Holds when the branch `pass` is taken (`[ROLE] == master`).
    pub condition: String,
    pub timeout_ms: i64,
    pub pass: String,
    pub fail: String,
    /// `None`: an unreachable target follows `fail`.
    #[serde(default)]
    pub unreach: Option<String>,
}

impl Node {
    /// Where an outcome leads.
    pub fn next(&self, outcome: Outcome) -> &str {
        match outcome {
            Outcome::Pass => &self.pass,
            Outcome::Fail | Outcome::Error => &self.fail,
            Outcome::Unreach => self.unreach.as_deref().unwrap_or(&self.fail),
        }
    }
}

/// A leaf: what the walk found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conclusion {
    pub id: String,
    /// The root cause in words (a template).
    pub cause: String,
    pub level: Level,
    /// The recommended plan, if any, with parameter templates.
    #[serde(default)]
    pub plan: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
}

/// A node's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    /// The check could not observe (a command failed, the condition could not be evaluated).
    Error,
    /// The target's host or port cannot be reached.
    Unreach,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Error => "error",
            Outcome::Unreach => "unreach",
        }
    }
}

/// One node visited by a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub node: String,
    /// The component probed (empty for an `of` node).
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub port: String,
    pub outcome: Outcome,
    #[serde(default)]
    pub values: BTreeMap<String, Value>,
    /// The condition's result in words, or why the check could not observe.
    pub message: String,
    pub ms: i64,
}

/// Where a run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Concluded {
    pub id: String,
    pub cause: String,
    pub level: Level,
    #[serde(default)]
    pub plan: Option<String>,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// Parameters whose template read something the walk did not find (the operator fills them).
    #[serde(default)]
    pub unfilled: Vec<String>,
}

/// A run's trace: the path and the conclusion (`None` when the walk did not reach one: `error`
/// says why).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    pub path: Vec<Visit>,
    #[serde(default)]
    pub conclusion: Option<Concluded>,
    #[serde(default)]
    pub error: Option<String>,
}

impl Tree {
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    pub fn conclusion(&self, id: &str) -> Option<&Conclusion> {
        self.conclusions.iter().find(|c| c.id == id)
    }

    /// Conclude at `c`: the cause and parameters rendered from the event's facts and the path.
    pub fn conclude(&self, c: &Conclusion, facts: &Facts, path: &[Visit]) -> Concluded {
        let (cause, _) = render(&c.cause, facts, path);
        let mut params = BTreeMap::new();
        let mut unfilled = Vec::new();
        for (k, t) in &c.params {
            let (v, missing) = render(t, facts, path);
            if missing.is_empty() {
                params.insert(k.clone(), v);
            } else {
                unfilled.push(k.clone());
            }
        }
        Concluded {
            id: c.id.clone(),
            cause,
            level: c.level,
            plan: c.plan.clone(),
            params,
            unfilled,
        }
    }

    /// The tree as indented lines, the walked path marked: `(line, on the path)`. Each node shows
    /// its check and its branches; a conclusion its grade and cause template.
    pub fn outline(&self, path: &[Visit], concluded: Option<&str>) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        let visited = |id: &str| path.iter().any(|v| v.node == id);
        let mut seen: Vec<String> = Vec::new();
        self.outline_at(&self.root, "", 0, &visited, concluded, &mut seen, &mut out);
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn outline_at(
        &self,
        id: &str,
        branch: &str,
        depth: usize,
        visited: &dyn Fn(&str) -> bool,
        concluded: Option<&str>,
        seen: &mut Vec<String>,
        out: &mut Vec<(String, bool)>,
    ) {
        let indent = "  ".repeat(depth);
        let lead = if branch.is_empty() {
            String::new()
        } else {
            format!("{branch} → ")
        };
        if let Some(c) = self.conclusion(id) {
            let plan = c
                .plan
                .as_deref()
                .map(|p| format!(" · plan {p}"))
                .unwrap_or_default();
            out.push((
                format!("{indent}{lead}■ {} [{}]{plan}", c.id, c.level.as_str()),
                concluded == Some(id),
            ));
            return;
        }
        let Some(n) = self.node(id) else { return };
        let what = match &n.of {
            Some(of) => format!("values of {of}"),
            None => format!(
                "{} on {}",
                n.probe
                    .as_ref()
                    .and_then(|p| p.get("kind"))
                    .and_then(Value::as_str)
                    .unwrap_or("probe"),
                n.on.label()
            ),
        };
        let again = seen.iter().any(|s| s == id);
        out.push((
            format!(
                "{indent}{lead}● {}: {} ({what}){}",
                n.id,
                n.condition,
                if again { " …" } else { "" }
            ),
            visited(id),
        ));
        if again {
            return;
        }
        seen.push(id.to_owned());
        let mut branches = vec![("pass", n.pass.as_str()), ("fail", n.fail.as_str())];
        if let Some(u) = &n.unreach {
            branches.push(("unreach", u.as_str()));
        }
        for (b, next) in branches {
            self.outline_at(next, b, depth + 1, visited, concluded, seen, out);
        }
    }
}

#[cfg(test)]
mod tests;
