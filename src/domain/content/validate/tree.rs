//! `[[tree]]` → `domain::diagnosis::Tree`: durations and `on` parsed here with the line of the
//! field; the tree's shape (cycles, branches, references, bounds) by `diagnosis::problems`.

use serde_json::Value;

use super::plan::Sink;
use crate::domain::content::docs::TreeDoc;
use crate::domain::diagnosis::{Conclusion, Node, On, Tree, problems};
use crate::domain::inspection::parse_duration;

/// A node's default bound.
const NODE_TIMEOUT_MS: i64 = 5_000;
/// A tree's default bound.
const TREE_MAX_MS: i64 = 60_000;

/// Validate one `[[tree]]`: `Some(tree)` when it has no problem (problems go to the sink).
pub(super) fn tree_of(
    d: &TreeDoc,
    sink: &mut Sink<'_>,
    plan_params: &dyn Fn(&str) -> Option<Vec<String>>,
    check_probe: &dyn Fn(&Value) -> Result<(), String>,
) -> Option<Tree> {
    let before = sink.errors.len();
    let name = d.name.get_ref().clone();
    if !crate::domain::plan::is_name(&name) {
        sink.at(
            d.name.span(),
            format!("tree name {name:?}: use letters, digits, -, _ and ."),
        );
    }
    let mut duration = |f: &Option<toml::Spanned<String>>, default: i64, what: &str| match f {
        None => default,
        Some(s) => parse_duration(s.get_ref()).unwrap_or_else(|m| {
            sink.at(s.span(), format!("tree {name:?}: {what}: {m}"));
            default
        }),
    };
    let max_ms = duration(&d.max_time, TREE_MAX_MS, "max_time");
    let mut nodes = Vec::new();
    for n in &d.node {
        let id = n.id.get_ref();
        let timeout_ms = duration(
            &n.timeout,
            NODE_TIMEOUT_MS,
            &format!("node {id:?}: timeout"),
        );
        nodes.push((n, timeout_ms));
    }
    let mut out_nodes = Vec::new();
    for (n, timeout_ms) in nodes {
        let id = n.id.get_ref();
        let on = match &n.on {
            None => On::Event,
            Some(s) => On::parse(s.get_ref()).unwrap_or_else(|| {
                sink.at(
                    s.span(),
                    format!(
                        "tree {name:?}: node {id:?}: on {:?}: give event, peer or component:NAME",
                        s.get_ref()
                    ),
                );
                On::Event
            }),
        };
        out_nodes.push(Node {
            id: id.clone(),
            title: n.title.clone(),
            probe: n
                .probe
                .as_ref()
                .map(|p| serde_json::to_value(p.get_ref()).unwrap_or_default()),
            on,
            of: n.of.clone(),
            condition: n.condition.get_ref().clone(),
            timeout_ms,
            pass: n.pass.clone(),
            fail: n.fail.clone(),
            unreach: n.unreach.clone(),
        });
    }
    let tree = Tree {
        name: name.clone(),
        title: d.title.clone(),
        description: d.description.clone(),
        root: d.root.get_ref().clone(),
        nodes: out_nodes,
        conclusions: d
            .conclusion
            .iter()
            .map(|c| Conclusion {
                id: c.id.get_ref().clone(),
                cause: c.cause.clone(),
                level: c.level,
                plan: c.plan.clone(),
                params: c.params.clone(),
            })
            .collect(),
        max_ms,
    };
    for p in problems(&tree, plan_params, check_probe) {
        // The line of the node or conclusion the problem names, else the tree's.
        let span = d
            .node
            .iter()
            .map(|n| (n.id.get_ref(), n.id.span()))
            .chain(d.conclusion.iter().map(|c| (c.id.get_ref(), c.id.span())))
            .find(|(id, _)| p.contains(&format!("{id:?}")) && !p.contains(&format!("tree {id:?}")))
            .map_or(d.name.span(), |(_, s)| s);
        sink.at(span, p);
    }
    (sink.errors.len() == before).then_some(tree)
}
