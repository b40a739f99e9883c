//! Walking a tree for one event: each node's component from the event and the topology, its probe
//! bounded by the node's timeout and what is left of the tree's, the outcome that picks the branch,
//! and the conclusion rendered from the event's facts and the path.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::watch;

use super::super::config_watch::Effective;
use super::super::inspect::{ProbeFn, scrubbed};
use crate::domain::Component;
use crate::domain::diagnosis::{Facts, Outcome, Trace, Tree, Visit};
use crate::domain::event::Event;
use crate::domain::inspection::{Condition, Unobserved};
use crate::domain::plan::{Scenario, component_of, endpoint, event_facts, peer_of};

/// The event's facts as `{{event.NAME}}` reads them: its own fields, its labels, and what its
/// component and the topology determine.
pub fn facts_of(event: &Event, components: &[Component]) -> Facts {
    let mut f: Facts = event_facts(event, components);
    f.insert("id".into(), event.id.to_string());
    f.insert("level".into(), event.level.as_str().into());
    f.insert("title".into(), event.title.clone());
    f.insert("component".into(), event.component.clone());
    f.insert("source".into(), event.source.clone());
    f.insert("ds_type".into(), event.ds_type.clone());
    for (k, v) in &event.labels {
        f.insert(format!("labels.{k}"), v.clone());
    }
    f
}

/// The best-matching scenario of `event` that names a tree (most specific first, then by name).
pub fn scenario_for<'a>(scenarios: &'a [Scenario], event: &Event) -> Option<&'a Scenario> {
    scenarios
        .iter()
        .filter(|s| s.tree.is_some() && s.matcher.matches(event))
        .max_by(|a, b| {
            a.matcher
                .specificity()
                .cmp(&b.matcher.specificity())
                .then_with(|| b.name.cmp(&a.name))
        })
}

/// Walk `tree` for `event`: probe each node's component (bounded by the node's timeout and what
/// is left of the tree's), follow the outcome, conclude. An unreachable or missing component is
/// an outcome, not a failure of the walk.
pub async fn walk(
    tree: &Tree,
    event: &Event,
    components: &[Component],
    probe: &ProbeFn,
    config: Option<&watch::Receiver<Arc<Effective>>>,
) -> Trace {
    let started = Instant::now();
    let bound = Duration::from_millis(u64::try_from(tree.max_ms.max(1)).unwrap_or(60_000));
    let facts = facts_of(event, components);
    let own = component_of(event, components);
    let mut trace = Trace::default();
    let mut at = tree.root.clone();
    // Validation refuses cycles; the bound keeps a stored tree that bypassed it finite.
    for _ in 0..=crate::domain::diagnosis::MAX_DEPTH {
        if let Some(c) = tree.conclusion(&at) {
            trace.conclusion = Some(tree.conclude(c, &facts, &trace.path));
            return trace;
        }
        let Some(node) = tree.node(&at) else {
            trace.error = Some(format!(
                "{at:?} is neither a node nor a conclusion of {}",
                tree.name
            ));
            return trace;
        };
        let left = bound.saturating_sub(started.elapsed());
        if left.is_zero() {
            trace.error = Some(format!(
                "timed out: the tree's max_time of {} ms passed before {:?}",
                tree.max_ms, node.id
            ));
            return trace;
        }
        let node_started = Instant::now();
        let visit = match &node.of {
            Some(of) => {
                let values = trace
                    .path
                    .iter()
                    .rev()
                    .find(|v| &v.node == of)
                    .map(|v| v.values.clone())
                    .unwrap_or_default();
                judge(
                    node,
                    String::new(),
                    String::new(),
                    String::new(),
                    values,
                    None,
                )
            }
            None => {
                let target = match &node.on {
                    crate::domain::diagnosis::On::Event => own,
                    crate::domain::diagnosis::On::Peer => own.and_then(|c| peer_of(c, components)),
                    crate::domain::diagnosis::On::Component(n) => {
                        components.iter().find(|c| &c.name == n)
                    }
                };
                match target {
                    None => Visit {
                        node: node.id.clone(),
                        target: String::new(),
                        host: String::new(),
                        port: String::new(),
                        outcome: Outcome::Error,
                        values: BTreeMap::new(),
                        message: format!(
                            "no component to probe: the topology names no {} for this event",
                            node.on.label()
                        ),
                        ms: 0,
                    },
                    Some(c) => {
                        let timeout = Duration::from_millis(
                            u64::try_from(node.timeout_ms.max(1)).unwrap_or(5_000),
                        )
                        .min(left);
                        let spec = node.probe.clone().unwrap_or(Value::Null);
                        let call = probe(spec, c.clone(), timeout);
                        let observed = match tokio::time::timeout(
                            timeout + Duration::from_secs(1),
                            call,
                        )
                        .await
                        {
                            Ok(r) => r,
                            Err(_) => Err(Unobserved::Failed(format!(
                                "probe did not finish within {timeout:?}"
                            ))),
                        };
                        let observed = scrubbed(config, c, observed);
                        let (host, port) = (
                            endpoint(c, "host").unwrap_or_default(),
                            endpoint(c, "port").unwrap_or_default(),
                        );
                        match observed {
                            Ok(obs) => judge(
                                node,
                                c.name.clone(),
                                host,
                                port,
                                obs.values,
                                Some(obs.message),
                            ),
                            Err(e) => Visit {
                                node: node.id.clone(),
                                target: c.name.clone(),
                                host,
                                port,
                                outcome: if matches!(
                                    e,
                                    Unobserved::Unreachable(_) | Unobserved::NoConnection(_)
                                ) {
                                    Outcome::Unreach
                                } else {
                                    Outcome::Error
                                },
                                values: BTreeMap::new(),
                                message: e.message().to_owned(),
                                ms: 0,
                            },
                        }
                    }
                }
            }
        };
        let visit = Visit {
            ms: i64::try_from(node_started.elapsed().as_millis()).unwrap_or(i64::MAX),
            ..visit
        };
        at = node.next(visit.outcome).to_owned();
        trace.path.push(visit);
    }
    trace.error = Some(format!(
        "the walk passed {} nodes without concluding",
        crate::domain::diagnosis::MAX_DEPTH
    ));
    trace
}

/// A node's outcome from values: the condition holds (pass), does not (fail), or cannot be
/// evaluated (error).
fn judge(
    node: &crate::domain::diagnosis::Node,
    target: String,
    host: String,
    port: String,
    values: BTreeMap<String, Value>,
    probe_message: Option<String>,
) -> Visit {
    let (outcome, mut message) = match Condition::parse(&node.condition)
        .map_err(|e| e.to_string())
        .and_then(|c| c.eval(&values))
    {
        Ok(true) => (Outcome::Pass, format!("{} is true", node.condition)),
        Ok(false) => (Outcome::Fail, format!("{} is false", node.condition)),
        Err(e) => (Outcome::Error, e),
    };
    if let Some(m) = probe_message.filter(|m| !m.is_empty()) {
        message = format!("{message} · {m}");
    }
    Visit {
        node: node.id.clone(),
        target,
        host,
        port,
        outcome,
        values,
        message,
        ms: 0,
    }
}

/// The timeline entry of a finished run.
pub fn log_line(run_id: i64, tree: &str, trace: &Trace) -> String {
    let path: Vec<String> = trace
        .path
        .iter()
        .map(|v| format!("{}({})", v.node, v.outcome.as_str()))
        .collect();
    match (&trace.conclusion, &trace.error) {
        (Some(c), _) => {
            let plan = c
                .plan
                .as_deref()
                .map(|p| {
                    let params: Vec<String> =
                        c.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    format!(" → recommends plan {p} ({})", params.join(", "))
                })
                .unwrap_or_default();
            format!(
                "diagnosis {tree} (run {run_id}) [{}]: {}{plan} · path {} → {}",
                c.level.as_str(),
                c.cause,
                path.join(" → "),
                c.id
            )
        }
        (None, Some(e)) => format!(
            "diagnosis {tree} (run {run_id}) did not conclude: {e} · path {}",
            path.join(" → ")
        ),
        (None, None) => format!("diagnosis {tree} (run {run_id}) did not conclude"),
    }
}
