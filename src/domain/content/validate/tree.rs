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

/// Validate the `[[tree]]`s of every parsed file against the plans of these files (`declared`;
/// `plans` those that validated) and the stored ones; valid trees are returned.
pub(super) fn trees_of(
    parsed: &[super::dr::Parsed<'_>],
    plans: &[&crate::domain::plan::Plan],
    declared: &[&str],
    dup: &mut super::dr::Dup<'_>,
    errors: &mut Vec<super::ContentError>,
    check_probe: &dyn Fn(&Value) -> Result<(), String>,
) -> Vec<Tree> {
    let plan_params = |name: &str| {
        plans
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.params.iter().map(|x| x.name.clone()).collect::<Vec<_>>())
            // A plan of these files that did not validate is reported already; its parameters
            // are unknown (`*`), not absent.
            .or_else(|| declared.contains(&name).then(|| vec!["*".to_owned()]))
    };
    let mut out = Vec::new();
    for (path, text, f) in parsed {
        for d in &f.tree {
            let line = super::line_of(text, d.name.span());
            if dup("tree", d.name.get_ref(), path, line, errors) {
                continue;
            }
            let mut sink = Sink { path, text, errors };
            out.extend(tree_of(d, &mut sink, &plan_params, check_probe));
        }
    }
    out
}

/// A scenario's `tree` and `[scenario.self_heal]`: the tree must be in these files or stored
/// (`names`; `trees` are those that validated), and the policy is validated against it. A tree of
/// these files that did not validate is reported already: its policy is not a second error.
pub(super) fn scenario_tree(
    d: &crate::domain::content::docs::ScenarioDoc,
    trees: &[&Tree],
    names: &[&str],
    plans: &[&crate::domain::plan::Plan],
    sink: &mut Sink<'_>,
) -> Option<crate::domain::selfheal::Policy> {
    let scenario = d.name.get_ref();
    if let Some(t) = &d.tree
        && !names.contains(&t.get_ref().as_str())
    {
        sink.at(
            t.span(),
            format!(
                "scenario {scenario:?}: tree {:?} is neither in these files nor stored",
                t.get_ref()
            ),
        );
    }
    let p = d.self_heal.as_ref()?;
    let tree = d
        .tree
        .as_ref()
        .and_then(|t| trees.iter().copied().find(|x| x.name == *t.get_ref()));
    let failed = tree.is_none()
        && d.tree
            .as_ref()
            .is_some_and(|t| names.contains(&t.get_ref().as_str()));
    if failed {
        return None;
    }
    self_heal_of(scenario, p, tree, plans, sink)
}

/// Validate a scenario's `[scenario.self_heal]`: its tree exists, each healed conclusion is one of
/// the tree's and recommends a plan, and that plan may run by itself (never G3; G2 only with
/// `allow_g2`): refused at apply, not discovered when the fault happens.
pub(super) fn self_heal_of(
    scenario: &str,
    d: &toml::Spanned<crate::domain::content::docs::SelfHealDoc>,
    tree: Option<&Tree>,
    plans: &[&crate::domain::plan::Plan],
    sink: &mut Sink<'_>,
) -> Option<crate::domain::selfheal::Policy> {
    use crate::domain::Danger;
    use crate::domain::selfheal::{Heal, Mode, Policy, Window};
    let before = sink.errors.len();
    let span = d.span();
    let p = d.get_ref();
    let Some(tree) = tree else {
        sink.at(
            span,
            format!("scenario {scenario:?}: self_heal needs the scenario's tree (tree = …), whose conclusions it heals"),
        );
        return None;
    };
    let mode = match p.mode.as_deref() {
        None | Some("shadow") => Mode::Shadow,
        Some("on") => Mode::On,
        Some(other) => {
            sink.at(
                span.clone(),
                format!("scenario {scenario:?}: self_heal.mode {other:?}: give shadow or on"),
            );
            Mode::Shadow
        }
    };
    if p.heal.is_empty() {
        sink.at(
            span.clone(),
            format!("scenario {scenario:?}: self_heal.heal is empty: name the conclusions of tree {:?} that heal by themselves", tree.name),
        );
    }
    let mut heal = Vec::new();
    for c in &p.heal {
        let Some(conclusion) = tree.conclusion(c) else {
            let known: Vec<&str> = tree.conclusions.iter().map(|x| x.id.as_str()).collect();
            sink.at(
                span.clone(),
                format!("scenario {scenario:?}: self_heal.heal: {c:?} is not a conclusion of tree {:?} ({})", tree.name, known.join(", ")),
            );
            continue;
        };
        let Some(plan_name) = &conclusion.plan else {
            sink.at(
                span.clone(),
                format!(
                    "scenario {scenario:?}: self_heal.heal: conclusion {c:?} recommends no plan"
                ),
            );
            continue;
        };
        // A policy that is on must be able to run what it names; a shadow one may name anything
        // (its decisions then say which rule would block it).
        if let Some(plan) = plans.iter().find(|x| &x.name == plan_name)
            && mode == Mode::On
        {
            match plan.danger() {
                Danger::G3 => sink.at(
                    span.clone(),
                    format!("scenario {scenario:?}: self_heal.heal: {c:?} recommends {plan_name}, which is G3: a G3 plan never runs by itself"),
                ),
                Danger::G2 if !p.allow_g2 => sink.at(
                    span.clone(),
                    format!("scenario {scenario:?}: self_heal.heal: {c:?} recommends {plan_name}, which is G2: set allow_g2 = true to let it run by itself"),
                ),
                _ => {}
            }
        }
        heal.push(Heal {
            conclusion: c.clone(),
            plan: plan_name.clone(),
        });
    }
    let mut duration = |f: &Option<String>, default: i64, what: &str| match f {
        None => default,
        Some(s) => parse_duration(s).unwrap_or_else(|m| {
            sink.at(
                span.clone(),
                format!("scenario {scenario:?}: self_heal.{what}: {m}"),
            );
            default
        }),
    };
    let cooldown_ms = duration(&p.cooldown, 1_800_000, "cooldown");
    let verify_ms = duration(&p.verify_within, 300_000, "verify_within");
    let mut freeze = Vec::new();
    for w in &p.freeze {
        match Window::parse(w) {
            Ok(w) => freeze.push(w),
            Err(m) => sink.at(
                span.clone(),
                format!("scenario {scenario:?}: self_heal.freeze: {m}"),
            ),
        }
    }
    let at_least_one = |v: Option<u32>, default: u32, what: &str, sink: &mut Sink<'_>| {
        let n = v.unwrap_or(default);
        if n == 0 {
            sink.at(
                span.clone(),
                format!("scenario {scenario:?}: self_heal.{what} must be at least 1 (use mode = \"shadow\" to run nothing)"),
            );
        }
        n
    };
    let policy = Policy {
        mode,
        heal,
        allow_g2: p.allow_g2,
        cooldown_ms,
        max_per_target_hour: at_least_one(p.max_per_target_hour, 1, "max_per_target_hour", sink),
        max_per_scenario_hour: at_least_one(
            p.max_per_scenario_hour,
            3,
            "max_per_scenario_hour",
            sink,
        ),
        max_concurrent: at_least_one(p.max_concurrent, 1, "max_concurrent", sink),
        freeze,
        halt_after: at_least_one(p.halt_after, 3, "halt_after", sink),
        verify_ms,
    };
    (sink.errors.len() == before).then_some(policy)
}

#[cfg(test)]
#[path = "tree_tests.rs"]
mod tests;
