//! `nightwatch apply PATH… [--dry-run]`, `nightwatch export`, and the built-in content library
//! applied on first start.

use std::path::{Path, PathBuf};

use crate::domain::content::{
    Bundle, ContentError, Known, Schedule, Targets, load_bundle, load_bundle_with,
};
use crate::domain::time::now_ms;
use crate::settings::Settings;
use crate::store::Store;

use super::{Failure, actor};

/// The built-in library, embedded at build time (DOMAIN.md §3).
const BUILTIN: &[(&str, &str)] = &[
    (
        "assets/content/host.toml",
        include_str!("../../assets/content/host.toml"),
    ),
    (
        "assets/content/stateful.toml",
        include_str!("../../assets/content/stateful.toml"),
    ),
    (
        "assets/content/services.toml",
        include_str!("../../assets/content/services.toml"),
    ),
    (
        "assets/content/plans.toml",
        include_str!("../../assets/content/plans.toml"),
    ),
    (
        "assets/content/diagnosis.toml",
        include_str!("../../assets/content/diagnosis.toml"),
    ),
    (
        "assets/content/scenarios.toml",
        include_str!("../../assets/content/scenarios.toml"),
    ),
];

/// Validate a rule's probe spec with the probe library's own parser (unknown kinds and unknown
/// fields are refused).
pub fn check_probe(v: &serde_json::Value) -> Result<(), String> {
    serde_json::from_value::<crate::probes::ProbeSpec>(v.clone())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn read_files(paths: &[PathBuf]) -> Result<Vec<(PathBuf, String)>, Failure> {
    fn walk(p: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            entries.sort();
            for e in entries {
                walk(&e, out)?;
            }
        } else if p.extension().is_some_and(|e| e == "toml") || !p.exists() {
            out.push(p.to_path_buf());
        }
        Ok(())
    }
    let mut files = Vec::new();
    for p in paths {
        walk(p, &mut files).map_err(|e| Failure::Other(format!("{}: {e}", p.display())))?;
    }
    if files.is_empty() {
        return Err(Failure::Other(
            "no .toml files found in the given paths".into(),
        ));
    }
    files
        .into_iter()
        .map(|f| {
            std::fs::read_to_string(&f)
                .map(|t| (f.clone(), t))
                .map_err(|e| Failure::Other(format!("{}: {e}", f.display())))
        })
        .collect()
}

async fn bundle_of(
    store: &Store,
    files: &[(PathBuf, String)],
    targets: Targets,
) -> Result<Bundle, Vec<ContentError>> {
    let known_components = store.list_components().await.unwrap_or_default();
    let known_rules = store.list_rules().await.unwrap_or_default();
    let known_plans = store.plan_definitions().await.unwrap_or_default();
    let known_dr = store.dr_model().await.unwrap_or_default();
    let known_trees = store.tree_definitions().await.unwrap_or_default();
    load_bundle_with(
        files,
        Known {
            components: &known_components,
            rules: &known_rules,
            plans: &known_plans,
            trees: &known_trees,
            datacenters: &known_dr.datacenters,
            dr_systems: &known_dr.systems,
        },
        targets,
        &check_probe,
    )
}

pub async fn run(settings: Settings, paths: &[PathBuf], dry_run: bool) -> Result<(), Failure> {
    let _log = crate::logging::init(
        &settings.paths.state_dir,
        &settings.log.level,
        crate::logging::Echo::FileOnly,
    );
    if settings.console.read_only && !dry_run {
        return Err(Failure::Other(
            "apply writes content; use --dry-run with --read-only".into(),
        ));
    }
    let files = read_files(paths)?;
    let store = super::open_store(&settings).await?;
    let bundle = match bundle_of(&store, &files, Targets::MustExist).await {
        Ok(b) => b,
        Err(errors) => {
            store.close().await;
            for e in &errors {
                crate::errln!("{e}");
            }
            return Err(Failure::Other(format!(
                "{} problem(s); nothing applied",
                errors.len()
            )));
        }
    };
    let plan = if dry_run {
        store.plan_apply(&bundle).await?
    } else {
        store
            .apply_bundle(&bundle, false, &actor(), now_ms())
            .await?
    };
    store.close().await;
    for (kind, name) in &plan.added {
        crate::outln!("+ {kind} {name}");
    }
    for (kind, name) in &plan.changed {
        crate::outln!("~ {kind} {name}");
    }
    let verb = if dry_run { "would apply" } else { "applied" };
    crate::outln!(
        "{verb}: {} added, {} changed, {} unchanged",
        plan.added.len(),
        plan.changed.len(),
        plan.unchanged
    );
    Ok(())
}

/// Apply the built-in library: only definitions that do not exist yet, so an operator's edits of
/// a built-in rule are never overwritten by an upgrade.
pub async fn seed_builtin(store: &Store) -> Result<(), String> {
    let files: Vec<(PathBuf, String)> = BUILTIN
        .iter()
        .map(|(p, t)| (PathBuf::from(p), (*t).to_owned()))
        .collect();
    let bundle = load_bundle(&files, &[], &[], Targets::MayWait, &check_probe).map_err(|e| {
        e.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    let plan = store.plan_apply(&bundle).await.map_err(|e| e.to_string())?;
    let new = |kind: &str, name: &str| plan.added.iter().any(|(k, n)| k == kind && n == name);
    let only_new = Bundle {
        components: bundle
            .components
            .into_iter()
            .filter(|c| new("component", &c.name))
            .collect(),
        rules: bundle
            .rules
            .into_iter()
            .filter(|r| new("rule", &r.name))
            .collect(),
        tasks: bundle
            .tasks
            .into_iter()
            .filter(|t| new("task", &t.name))
            .collect(),
        plans: bundle
            .plans
            .into_iter()
            .filter(|p| new("plan", &p.name))
            .collect(),
        scenarios: bundle
            .scenarios
            .into_iter()
            .filter(|s| new("scenario", &s.name))
            .collect(),
        trees: bundle
            .trees
            .into_iter()
            .filter(|t| new("tree", &t.name))
            .collect(),
        dr: crate::domain::dr::DrModel {
            datacenters: bundle
                .dr
                .datacenters
                .into_iter()
                .filter(|d| new("datacenter", &d.name))
                .collect(),
            systems: bundle
                .dr
                .systems
                .into_iter()
                .filter(|d| new("dr_system", &d.name))
                .collect(),
            links: bundle
                .dr
                .links
                .into_iter()
                .filter(|d| new("link", &d.name))
                .collect(),
        },
    };
    if only_new.components.is_empty()
        && only_new.rules.is_empty()
        && only_new.tasks.is_empty()
        && only_new.plans.is_empty()
        && only_new.scenarios.is_empty()
        && only_new.dr.is_empty()
    {
        return Ok(());
    }
    store
        .apply_bundle(&only_new, true, "nightwatch (built-in)", now_ms())
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(added = plan.added.len(), "built-in content library applied");
    Ok(())
}

fn duration_text(ms: i64) -> String {
    match ms {
        m if m % 3_600_000 == 0 => format!("{}h", m / 3_600_000),
        m if m % 60_000 == 0 => format!("{}m", m / 60_000),
        m if m % 1000 == 0 => format!("{}s", m / 1000),
        m => format!("{m}ms"),
    }
}

/// `nightwatch export`: the stored content as one TOML file that `apply` accepts.
pub async fn export(settings: Settings) -> Result<(), Failure> {
    let store = super::open_store(&settings).await?;
    let (components, rules, tasks) = (
        store.list_components().await?,
        store.list_rules().await?,
        store.list_tasks().await?,
    );
    let (plans, scenarios) = (
        store.plan_definitions().await?,
        store.scenario_definitions().await?,
    );
    let dr = store.dr_model().await?;
    let trees = store.tree_definitions().await?;
    store.close().await;
    let mut doc = toml::Table::new();
    let to_toml = |v: serde_json::Value| {
        toml::Value::try_from(v).unwrap_or(toml::Value::Table(toml::Table::new()))
    };
    let comps: Vec<toml::Value> = components
        .iter()
        .map(|c| {
            to_toml(serde_json::json!({
                "name": c.name, "kind": c.kind, "layer": c.layer.to_string(), "product": c.product, "app": c.app,
                "zone": c.zone, "cell": c.cell, "role": c.role, "labels": c.labels, "endpoints": c.endpoints,
            }))
        })
        .collect();
    let rules: Vec<toml::Value> = rules
        .iter()
        .map(|r| {
            let mut v = serde_json::json!({
                "name": r.name, "description": r.description, "probe": r.probe, "condition": r.condition,
                "failures": r.thresholds.failure_threshold, "successes": r.thresholds.success_threshold,
                "level": r.level.as_str(), "targets": r.targets,
            });
            if r.thresholds.window_ms > 0 {
                v["for"] = serde_json::json!(duration_text(r.thresholds.window_ms));
            }
            to_toml(v)
        })
        .collect();
    let tasks: Vec<toml::Value> = tasks
        .iter()
        .map(|t| {
            let mut v = serde_json::json!({
                "name": t.name, "rules": t.rules, "concurrency": t.concurrency, "timeout": duration_text(t.timeout_ms),
                "retries": t.retries, "notify": t.notify, "enabled": t.enabled,
            });
            match &t.schedule {
                Schedule::Every(e) => v["every"] = serde_json::json!(e),
                Schedule::Cron(c) => v["cron"] = serde_json::json!(c),
            }
            to_toml(v)
        })
        .collect();
    doc.insert("component".into(), toml::Value::Array(comps));
    doc.insert("rule".into(), toml::Value::Array(rules));
    doc.insert("task".into(), toml::Value::Array(tasks));
    let plans: Vec<toml::Value> = plans
        .iter()
        .map(|p| {
            toml::Value::try_from(p).map_err(|e| Failure::Other(format!("plan {}: {e}", p.name)))
        })
        .collect::<Result<_, _>>()?;
    let scenarios: Vec<toml::Value> = scenarios
        .iter()
        .map(|s| {
            let mut v = serde_json::to_value(s).unwrap_or_default();
            // The policy as `[scenario.self_heal]` reads it (durations as text, windows as typed).
            if let Some(p) = &s.self_heal {
                v["self_heal"] = serde_json::json!({
                    "mode": match p.mode { crate::domain::selfheal::Mode::On => "on", crate::domain::selfheal::Mode::Shadow => "shadow" },
                    "heal": p.heal.iter().map(|h| h.conclusion.clone()).collect::<Vec<_>>(),
                    "allow_g2": p.allow_g2,
                    "cooldown": duration_text(p.cooldown_ms),
                    "max_per_target_hour": p.max_per_target_hour,
                    "max_per_scenario_hour": p.max_per_scenario_hour,
                    "max_concurrent": p.max_concurrent,
                    "freeze": p.freeze.iter().map(|w| w.text.clone()).collect::<Vec<_>>(),
                    "halt_after": p.halt_after,
                    "verify_within": duration_text(p.verify_ms),
                });
            }
            toml::Value::try_from(v)
                .map_err(|e| Failure::Other(format!("scenario {}: {e}", s.name)))
        })
        .collect::<Result<_, _>>()?;
    doc.insert("plan".into(), toml::Value::Array(plans));
    doc.insert("scenario".into(), toml::Value::Array(scenarios));
    let trees: Vec<toml::Value> = trees
        .iter()
        .map(|t| {
            let nodes: Vec<serde_json::Value> = t
                .nodes
                .iter()
                .map(|n| {
                    let mut v = serde_json::json!({
                        "id": n.id, "title": n.title, "on": n.on.label(), "condition": n.condition,
                        "timeout": duration_text(n.timeout_ms), "pass": n.pass, "fail": n.fail,
                    });
                    if let Some(p) = &n.probe {
                        v["probe"] = p.clone();
                    }
                    if let Some(o) = &n.of {
                        v["of"] = serde_json::json!(o);
                    }
                    if let Some(u) = &n.unreach {
                        v["unreach"] = serde_json::json!(u);
                    }
                    v
                })
                .collect();
            let conclusions: Vec<serde_json::Value> = t
                .conclusions
                .iter()
                .map(|c| {
                    let mut v = serde_json::json!({
                        "id": c.id, "cause": c.cause, "level": c.level.as_str(), "params": c.params,
                    });
                    if let Some(p) = &c.plan {
                        v["plan"] = serde_json::json!(p);
                    }
                    v
                })
                .collect();
            to_toml(serde_json::json!({
                "name": t.name, "title": t.title, "description": t.description, "root": t.root,
                "max_time": duration_text(t.max_ms), "node": nodes, "conclusion": conclusions,
            }))
        })
        .collect();
    doc.insert("tree".into(), toml::Value::Array(trees));
    super::dr::export_into(&mut doc, &dr, duration_text);
    crate::out!(
        "{}",
        toml::to_string(&doc).map_err(|e| Failure::Other(e.to_string()))?
    );
    Ok(())
}
