//! Loading a set of content files into a validated [`Bundle`]: every problem in every file is
//! collected (file, line, reason), and any problem refuses the whole bundle.

mod dr;
mod model;
mod plan;
mod tree;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub use model::{Bundle, Rule, Task};

use super::{ContentFile, Schedule};
use crate::domain::dr::{Datacenter, DrModel, DrSystem};
use crate::domain::inspection::{Condition, Thresholds, parse_duration};
use crate::domain::plan::Plan;
use crate::domain::{Component, Layer};

/// One problem: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: {message}", file.display())]
pub struct ContentError {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

fn line_of(text: &str, span: std::ops::Range<usize>) -> usize {
    text[..span.start.min(text.len())].matches('\n').count() + 1
}

/// How strictly targets are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Targets {
    /// A rule whose selector matches no component is refused (user content: a typo must not
    /// silently check nothing).
    MustExist,
    /// Selectors may wait for their components (the built-in library ships rules for Redis,
    /// MariaDB, … before any exist; a run with nothing to check reports "no executable target").
    MayWait,
}

/// What the database already holds, that content being applied may refer to.
#[derive(Debug, Clone, Copy, Default)]
pub struct Known<'a> {
    /// Rule selectors may select them.
    pub components: &'a [Component],
    /// Tasks may list them; a rule identical to a stored one is not re-checked for targets, so an
    /// export always applies back.
    pub rules: &'a [Rule],
    /// Scenarios may recommend them (and their parameters are checked).
    pub plans: &'a [Plan],
    /// Scenarios may name them.
    pub trees: &'a [crate::domain::diagnosis::Tree],
    /// DR systems may span them.
    pub datacenters: &'a [Datacenter],
    /// Links may belong to them.
    pub dr_systems: &'a [DrSystem],
}

/// Parse and validate `files` ((path, text)) against `known_components` and `known_rules` (see
/// [`Known`]); [`load_bundle_with`] also takes the stored plans.
pub fn load_bundle(
    files: &[(PathBuf, String)],
    known_components: &[Component],
    known_rules: &[Rule],
    targets: Targets,
    check_probe: &dyn Fn(&serde_json::Value) -> Result<(), String>,
) -> Result<Bundle, Vec<ContentError>> {
    let known = Known {
        components: known_components,
        rules: known_rules,
        plans: &[],
        trees: &[],
        datacenters: &[],
        dr_systems: &[],
    };
    load_bundle_with(files, known, targets, check_probe)
}

/// Parse and validate `files` ((path, text)) against what the database already holds. Every
/// problem of every file is collected; any problem refuses the whole bundle. `check_probe`
/// validates a probe spec (the probe library's own parser): rules' probes and the probes of
/// plans' `wait_until` steps.
///
/// Plans: every check of [`Plan::problems`] is an error (there are no warnings), including
/// rollback steps on a plan where no step has `on_failure = "rollback"`: such steps could never
/// run, which is always a mistake worth stopping an apply for.
pub fn load_bundle_with(
    files: &[(PathBuf, String)],
    known: Known<'_>,
    targets: Targets,
    check_probe: &dyn Fn(&serde_json::Value) -> Result<(), String>,
) -> Result<Bundle, Vec<ContentError>> {
    let Known {
        components: known_components,
        rules: known_rules,
        plans: known_plans,
        trees: known_trees,
        datacenters: known_dcs,
        dr_systems: known_systems,
    } = known;
    let mut errors = Vec::new();
    let mut bundle = Bundle::default();
    let mut seen: BTreeMap<(&'static str, String), (PathBuf, usize)> = BTreeMap::new();
    let mut parsed = Vec::new();
    for (path, text) in files {
        match toml::from_str::<ContentFile>(text) {
            Ok(f) => parsed.push((path, text, f)),
            Err(e) => errors.push(ContentError {
                file: path.clone(),
                line: e.span().map_or(1, |s| line_of(text, s)),
                message: e.message().trim().to_owned(),
            }),
        }
    }
    let mut dup = |kind: &'static str,
                   name: &str,
                   path: &Path,
                   line: usize,
                   errors: &mut Vec<ContentError>| {
        if let Some((f, l)) = seen.get(&(kind, name.to_owned())) {
            errors.push(ContentError {
                file: path.to_path_buf(),
                line,
                message: format!(
                    "duplicate {kind} {name:?}: already defined at {}:{l}",
                    f.display()
                ),
            });
            true
        } else {
            seen.insert((kind, name.to_owned()), (path.to_path_buf(), line));
            false
        }
    };
    // Components first: selectors of rules in any file may select them.
    for (path, text, f) in &parsed {
        for c in &f.component {
            let line = line_of(text, c.name.span());
            if dup("component", c.name.get_ref(), path, line, &mut errors) {
                continue;
            }
            let Some(layer) = Layer::parse(c.layer.get_ref()) else {
                errors.push(ContentError {
                    file: path.to_path_buf(),
                    line: line_of(text, c.layer.span()),
                    message: format!(
                        "layer {:?}: expected business, hub, storage, database or physical",
                        c.layer.get_ref()
                    ),
                });
                continue;
            };
            let mut comp = Component::new(c.name.get_ref(), &c.kind, layer);
            comp.product.clone_from(&c.product);
            comp.app.clone_from(&c.app);
            comp.zone.clone_from(&c.zone);
            comp.cell.clone_from(&c.cell);
            comp.role.clone_from(&c.role);
            comp.labels = serde_json::to_value(&c.labels).unwrap_or_default();
            comp.endpoints = serde_json::to_value(&c.endpoints).unwrap_or_default();
            if let Err(e) = crate::domain::ssh::SshEndpoint::from_endpoints(&comp.endpoints) {
                errors.push(ContentError {
                    file: path.to_path_buf(),
                    line,
                    message: format!("component {}: endpoints.{e}", c.name.get_ref()),
                });
                continue;
            }
            bundle.components.push(comp);
        }
    }
    let all_components: Vec<&Component> = bundle
        .components
        .iter()
        .chain(known_components.iter())
        .collect();
    for (path, text, f) in &parsed {
        let err = |span: std::ops::Range<usize>, message: String| ContentError {
            file: path.to_path_buf(),
            line: line_of(text, span),
            message,
        };
        for r in &f.rule {
            let name = r.name.get_ref();
            if dup(
                "rule",
                name,
                path,
                line_of(text, r.name.span()),
                &mut errors,
            ) {
                continue;
            }
            let before = errors.len();
            match Condition::parse(r.condition.get_ref()) {
                Err(e) => errors.push(err(
                    r.condition.span(),
                    format!("rule {name:?}: condition {:?}: {e}", r.condition.get_ref()),
                )),
                // Dotted names are for plan conditions; in a rule `[BODY.status]` is a typo.
                Ok(c) => {
                    if let Some(p) = c.placeholders().into_iter().find(|p| p.contains('.')) {
                        let (head, path) = p.split_once('.').unwrap_or((p, ""));
                        errors.push(err(
                            r.condition.span(),
                            format!(
                                "rule {name:?}: condition {:?}: [{p}]: a probe value has no dot; for a field write [{head}].{}",
                                r.condition.get_ref(),
                                path.to_lowercase()
                            ),
                        ));
                    }
                }
            }
            let window_ms = match &r.window {
                Some(w) => parse_duration(w.get_ref()).unwrap_or_else(|m| {
                    errors.push(err(w.span(), format!("rule {name:?}: for = {m}")));
                    0
                }),
                None => 0,
            };
            let probe = serde_json::to_value(r.probe.get_ref()).unwrap_or_default();
            if let Err(m) = check_probe(&probe) {
                errors.push(err(r.probe.span(), format!("rule {name:?}: probe: {m}")));
            }
            // Values are data: no template in a field that is code; a sql probe only reads.
            for m in crate::domain::plan::probe_code_problems(&probe) {
                errors.push(err(r.probe.span(), format!("rule {name:?}: probe: {m}")));
            }
            let sel = r.targets.get_ref();
            let rule = Rule {
                name: name.clone(),
                description: r.description.clone(),
                probe: probe.clone(),
                condition: r.condition.get_ref().clone(),
                thresholds: Thresholds {
                    window_ms,
                    failure_threshold: r.failures,
                    success_threshold: r.successes,
                },
                level: r.level,
                targets: sel.clone(),
            };
            let unchanged = known_rules.contains(&rule);
            if sel.is_empty() {
                errors.push(err(
                    r.targets.span(),
                    format!("rule {name:?}: targets selects nothing; give e.g. kind = \"redis\""),
                ));
            } else if targets == Targets::MustExist
                && !unchanged
                && !all_components.iter().any(|c| sel.matches(c))
            {
                errors.push(err(
                    r.targets.span(),
                    format!("rule {name:?}: no executable target (无可执行对象): targets {sel} matches no component"),
                ));
            }
            if r.failures == 0 || r.successes == 0 {
                errors.push(err(
                    r.name.span(),
                    format!("rule {name:?}: failures and successes must be at least 1"),
                ));
            }
            if errors.len() == before {
                bundle.rules.push(rule);
            }
        }
    }
    let rule_names: Vec<&str> = bundle
        .rules
        .iter()
        .map(|r| r.name.as_str())
        .chain(known_rules.iter().map(|r| r.name.as_str()))
        .collect();
    for (path, text, f) in &parsed {
        let err = |span: std::ops::Range<usize>, message: String| ContentError {
            file: path.to_path_buf(),
            line: line_of(text, span),
            message,
        };
        for t in &f.task {
            let name = t.name.get_ref();
            if dup(
                "task",
                name,
                path,
                line_of(text, t.name.span()),
                &mut errors,
            ) {
                continue;
            }
            let before = errors.len();
            let schedule = match (&t.every, &t.cron) {
                (Some(e), None) => match parse_duration(e.get_ref()) {
                    Ok(ms) if ms >= 1000 => Some(Schedule::Every(e.get_ref().clone())),
                    Ok(_) => {
                        errors.push(err(
                            e.span(),
                            format!("task {name:?}: every must be at least 1s"),
                        ));
                        None
                    }
                    Err(m) => {
                        errors.push(err(e.span(), format!("task {name:?}: every = {m}")));
                        None
                    }
                },
                (None, Some(c)) => match croner::Cron::from_str(c.get_ref()) {
                    Ok(_) => Some(Schedule::Cron(c.get_ref().clone())),
                    Err(e) => {
                        errors.push(err(
                            c.span(),
                            format!("task {name:?}: cron {:?}: {e}", c.get_ref()),
                        ));
                        None
                    }
                },
                _ => {
                    errors.push(err(t.name.span(), format!("task {name:?}: give exactly one of every = \"1m\" or cron = \"*/5 * * * *\"")));
                    None
                }
            };
            for r in t.rules.get_ref() {
                if !rule_names.contains(&r.as_str()) {
                    errors.push(err(
                        t.rules.span(),
                        format!("task {name:?}: unknown rule {r:?}"),
                    ));
                }
            }
            if t.rules.get_ref().is_empty() {
                errors.push(err(
                    t.rules.span(),
                    format!("task {name:?}: rules is empty"),
                ));
            }
            let timeout_ms = parse_duration(t.timeout.get_ref()).unwrap_or_else(|m| {
                errors.push(err(
                    t.timeout.span(),
                    format!("task {name:?}: timeout = {m}"),
                ));
                0
            });
            if t.concurrency == 0 {
                errors.push(err(
                    t.name.span(),
                    format!("task {name:?}: concurrency must be at least 1"),
                ));
            }
            if let (true, Some(schedule)) = (errors.len() == before, schedule) {
                bundle.tasks.push(Task {
                    name: name.clone(),
                    rules: t.rules.get_ref().clone(),
                    schedule,
                    concurrency: t.concurrency,
                    timeout_ms,
                    retries: t.retries,
                    notify: t.notify.clone(),
                    enabled: t.enabled,
                });
            }
        }
    }
    for (path, text, f) in &parsed {
        for d in &f.plan {
            let line = line_of(text, d.name.span());
            if dup("plan", d.name.get_ref(), path, line, &mut errors) {
                continue;
            }
            let mut sink = plan::Sink {
                path,
                text,
                errors: &mut errors,
            };
            if let Some(p) = plan::plan_of(d, &mut sink, check_probe) {
                bundle.plans.push(p);
            }
        }
    }
    // Scenarios recommend plans of these files or stored ones. A plan of these files that did
    // not validate is reported already: recommending it is not a second error.
    let declared: Vec<&str> = parsed
        .iter()
        .flat_map(|(_, _, f)| f.plan.iter().map(|d| d.name.get_ref().as_str()))
        .collect();
    let plans: Vec<&Plan> = bundle
        .plans
        .iter()
        .chain(
            known_plans
                .iter()
                .filter(|k| !declared.contains(&k.name.as_str())),
        )
        .collect();
    // Trees recommend plans of these files or stored ones (their parameters are checked).
    bundle.trees = tree::trees_of(
        &parsed,
        &plans,
        &declared,
        &mut dup,
        &mut errors,
        check_probe,
    );
    let tree_names: Vec<&str> = parsed
        .iter()
        .flat_map(|(_, _, f)| f.tree.iter().map(|d| d.name.get_ref().as_str()))
        .chain(known_trees.iter().map(|t| t.name.as_str()))
        .collect();
    let mut scenarios = Vec::new();
    for (path, text, f) in &parsed {
        for d in &f.scenario {
            let line = line_of(text, d.name.span());
            if dup("scenario", d.name.get_ref(), path, line, &mut errors) {
                continue;
            }
            let mut sink = plan::Sink {
                path,
                text,
                errors: &mut errors,
            };
            let trees: Vec<&crate::domain::diagnosis::Tree> =
                bundle.trees.iter().chain(known_trees.iter()).collect();
            let policy = tree::scenario_tree(d, &trees, &tree_names, &plans, &mut sink);
            scenarios.extend(
                plan::scenario_of(d, &plans, &declared, &mut sink).map(|mut s| {
                    s.self_heal = policy;
                    s
                }),
            );
        }
    }
    bundle.scenarios = scenarios;
    // The DR model: datacenters, then systems (naming plans of these files or stored ones), then
    // links (naming components of these files or stored ones).
    let known_dr = DrModel {
        datacenters: known_dcs.to_vec(),
        systems: known_systems.to_vec(),
        links: Vec::new(),
    };
    let components: Vec<&Component> = bundle
        .components
        .iter()
        .chain(
            known_components
                .iter()
                .filter(|k| !bundle.components.iter().any(|c| c.name == k.name)),
        )
        .collect();
    let plan_refs: Vec<&Plan> = bundle
        .plans
        .iter()
        .chain(
            known_plans
                .iter()
                .filter(|k| !declared.contains(&k.name.as_str())),
        )
        .collect();
    let refs = dr::Refs {
        components: &components,
        plans: &plan_refs,
        known: &known_dr,
    };
    let model = dr::dr_of(&parsed, &refs, &mut dup, &mut errors, check_probe);
    bundle.dr = model;
    if errors.is_empty() {
        Ok(bundle)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests;
