//! What `apply` refuses in a tree: cycles, branches that lead nowhere, nodes never reached, probes
//! the library refuses, plans and parameters that do not exist, templates that read nothing, and
//! trees past the bounds.

use std::collections::BTreeSet;

use super::render::refs;
use super::{Node, Tree};
use crate::domain::inspection::Condition;

/// Most nodes plus conclusions in one tree.
pub const MAX_NODES: usize = 64;
/// Longest path from the root to a conclusion (nodes).
pub const MAX_DEPTH: usize = 16;

/// Most node visits over every path from the root (a tree that shares nodes between branches
/// has more paths than nodes).
const MAX_PATH_STEPS: usize = 100_000;

/// Event fields a template may read besides the topology facts and `labels.KEY`.
const EVENT_FIELDS: &[&str] = &["id", "level", "title", "component", "source", "ds_type"];

/// Every problem of `tree`. `plan_params(name)`: the parameters of a stored or declared plan
/// (`["*"]`: a declared plan whose parameters are unknown because it did not validate), `None`
/// when no such plan exists. `check_probe`: the probe library's own parser.
pub fn problems(
    tree: &Tree,
    plan_params: &dyn Fn(&str) -> Option<Vec<String>>,
    check_probe: &dyn Fn(&serde_json::Value) -> Result<(), String>,
) -> Vec<String> {
    let mut out = Vec::new();
    let name = &tree.name;
    let mut ids = BTreeSet::new();
    for id in tree
        .nodes
        .iter()
        .map(|n| &n.id)
        .chain(tree.conclusions.iter().map(|c| &c.id))
    {
        if !crate::domain::plan::is_name(id) {
            out.push(format!(
                "tree {name:?}: id {id:?}: use letters, digits, -, _ and ."
            ));
        }
        if !ids.insert(id.as_str()) {
            out.push(format!(
                "tree {name:?}: id {id:?} is used twice (nodes and conclusions share one namespace)"
            ));
        }
    }
    let size = tree.nodes.len() + tree.conclusions.len();
    if size > MAX_NODES {
        out.push(format!(
            "tree {name:?}: {size} nodes and conclusions, at most {MAX_NODES}: split it into scenarios"
        ));
    }
    if tree.conclusions.is_empty() {
        out.push(format!(
            "tree {name:?}: no conclusion: give at least one [[tree.conclusion]]"
        ));
    }
    if tree.max_ms <= 0 {
        out.push(format!("tree {name:?}: max_time must be positive (30s)"));
    }
    if tree.node(&tree.root).is_none() {
        out.push(format!(
            "tree {name:?}: root {:?} is not a node of the tree",
            tree.root
        ));
    }
    for n in &tree.nodes {
        out.extend(node_problems(tree, n, check_probe));
    }
    for c in &tree.conclusions {
        let params = match &c.plan {
            Some(p) => match plan_params(p) {
                Some(params) => Some(params),
                None => {
                    out.push(format!(
                        "tree {name:?}: conclusion {:?} recommends plan {p:?}, which is neither in these files nor stored",
                        c.id
                    ));
                    None
                }
            },
            None => None,
        };
        if c.plan.is_none() && !c.params.is_empty() {
            out.push(format!(
                "tree {name:?}: conclusion {:?} has params but no plan",
                c.id
            ));
        }
        for (k, t) in &c.params {
            if let Some(ps) = &params
                && !ps.contains(k)
                && !ps.iter().any(|p| p == "*")
            {
                out.push(format!(
                    "tree {name:?}: conclusion {:?}: plan {:?} has no parameter {k:?}",
                    c.id,
                    c.plan.as_deref().unwrap_or_default()
                ));
            }
            out.extend(template_problems(tree, &c.id, t));
        }
        out.extend(template_problems(tree, &c.id, &c.cause));
        if c.cause.trim().is_empty() {
            out.push(format!(
                "tree {name:?}: conclusion {:?} has no cause: say what was found",
                c.id
            ));
        }
    }
    // Walk: no cycle, bounded depth, `of` reads an earlier node on every path, everything reached.
    let mut reached = BTreeSet::new();
    if tree.node(&tree.root).is_some() {
        let mut stack = Vec::new();
        let mut budget = MAX_PATH_STEPS;
        walk(
            tree,
            &tree.root,
            &mut stack,
            &mut reached,
            &mut budget,
            &mut out,
        );
        if budget == 0 {
            out.push(format!(
                "tree {name:?}: more than {MAX_PATH_STEPS} steps over all paths: share fewer nodes between branches"
            ));
        }
    }
    for id in &ids {
        if !reached.contains(*id) && tree.node(&tree.root).is_some() {
            out.push(format!(
                "tree {name:?}: {id:?} is never reached from the root {:?}",
                tree.root
            ));
        }
    }
    out.sort();
    out.dedup();
    out
}

fn node_problems(
    tree: &Tree,
    n: &Node,
    check_probe: &dyn Fn(&serde_json::Value) -> Result<(), String>,
) -> Vec<String> {
    let (name, id) = (&tree.name, &n.id);
    let mut out = Vec::new();
    match (&n.probe, &n.of) {
        (Some(_), Some(_)) => out.push(format!(
            "tree {name:?}: node {id:?} has both probe and of: a node probes, or reads an earlier node's values"
        )),
        (None, None) => out.push(format!(
            "tree {name:?}: node {id:?} has neither probe nor of"
        )),
        (Some(p), None) => {
            if let Err(m) = check_probe(p) {
                out.push(format!("tree {name:?}: node {id:?}: probe: {m}"));
            }
            for m in crate::domain::plan::probe_code_problems(p) {
                out.push(format!("tree {name:?}: node {id:?}: probe: {m}"));
            }
        }
        (None, Some(of)) => {
            if tree.node(of).is_none() {
                out.push(format!(
                    "tree {name:?}: node {id:?} reads the values of {of:?}, which is not a node"
                ));
            }
        }
    }
    if let Err(e) = Condition::parse(&n.condition) {
        out.push(format!(
            "tree {name:?}: node {id:?}: condition {:?}: {e}",
            n.condition
        ));
    }
    if n.timeout_ms <= 0 {
        out.push(format!(
            "tree {name:?}: node {id:?}: timeout must be positive"
        ));
    } else if tree.max_ms > 0 && n.timeout_ms > tree.max_ms {
        out.push(format!(
            "tree {name:?}: node {id:?}: timeout {} ms is longer than the tree's max_time {} ms",
            n.timeout_ms, tree.max_ms
        ));
    }
    let mut branches = vec![("pass", &n.pass), ("fail", &n.fail)];
    if let Some(u) = &n.unreach {
        branches.push(("unreach", u));
    }
    for (b, to) in branches {
        if tree.node(to).is_none() && tree.conclusion(to).is_none() {
            out.push(format!(
                "tree {name:?}: node {id:?}: {b} leads to {to:?}, which is neither a node nor a conclusion"
            ));
        }
    }
    out
}

fn template_problems(tree: &Tree, at: &str, template: &str) -> Vec<String> {
    let name = &tree.name;
    let mut out = Vec::new();
    if template.matches("{{").count() != template.matches("}}").count() {
        out.push(format!(
            "tree {name:?}: {at:?}: unbalanced {{{{ }}}} in {template:?}"
        ));
    }
    for r in refs(template) {
        let ok = if let Some(k) = r.strip_prefix("event.") {
            EVENT_FIELDS.contains(&k)
                || crate::domain::plan::FACTS.contains(&k)
                || k.strip_prefix("labels.").is_some_and(|l| !l.is_empty())
        } else if let Some((id, key)) = r.strip_prefix("node.").and_then(|x| x.split_once('.')) {
            tree.node(id).is_some() && !key.is_empty()
        } else {
            false
        };
        if !ok {
            out.push(format!(
                "tree {name:?}: {at:?}: {{{{{r}}}}} reads nothing: use event.NAME (event fields, labels.KEY, topology facts) or node.ID.KEY (a value, target, host, port, message)"
            ));
        }
    }
    out
}

fn walk(
    tree: &Tree,
    id: &str,
    stack: &mut Vec<String>,
    reached: &mut BTreeSet<String>,
    budget: &mut usize,
    out: &mut Vec<String>,
) {
    let name = &tree.name;
    if *budget == 0 {
        return;
    }
    *budget -= 1;
    if stack.iter().any(|s| s == id) {
        out.push(format!("tree {name:?}: cycle {} → {id}", stack.join(" → ")));
        return;
    }
    reached.insert(id.to_owned());
    let Some(n) = tree.node(id) else { return };
    if stack.len() >= MAX_DEPTH {
        out.push(format!(
            "tree {name:?}: path {} → {id} is deeper than {MAX_DEPTH} nodes",
            stack.join(" → ")
        ));
        return;
    }
    if let Some(of) = &n.of
        && tree.node(of).is_some()
        && !stack.iter().any(|s| s == of)
    {
        out.push(format!(
            "tree {name:?}: node {id:?} reads the values of {of:?}, which is not before it on the path {}",
            stack.join(" → ")
        ));
    }
    stack.push(id.to_owned());
    let mut next = vec![n.pass.clone(), n.fail.clone()];
    next.extend(n.unreach.clone());
    next.dedup();
    for to in next {
        walk(tree, &to, stack, reached, budget, out);
    }
    stack.pop();
}
