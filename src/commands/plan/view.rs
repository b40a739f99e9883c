//! What `nightwatch plan` prints: the catalogue, one plan resolved, a run's head and steps, and a
//! run followed live.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use crate::cli::Output;
use crate::domain::plan::{Param, Plan};
use crate::domain::text::one_line;
use crate::plans::{self, LaunchError};
use crate::store::{PlanRunRow, StepRow, Store, TERMINAL_RUN};

use super::{Failure, json_out, other};

pub(super) async fn list(store: &Store, output: Output) -> Result<(), Failure> {
    let plans = store.list_plans().await?;
    let mut rows = Vec::new();
    for p in &plans {
        let def: Option<Plan> = serde_json::from_str(&p.definition).ok();
        rows.push(json!({
            "name": p.name, "version": p.version, "danger": p.danger, "builtin": p.builtin,
            "title": def.as_ref().map(|d| d.title.clone()).unwrap_or_default(),
            "steps": def.as_ref().map_or(0, |d| d.all_steps().count()),
            "params": def.as_ref().map(|d| d.params.iter().map(|x| x.name.clone()).collect::<Vec<_>>()).unwrap_or_default(),
        }));
    }
    match output {
        Output::Json => json_out(&json!(rows)),
        Output::Table => {
            crate::outln!(
                "{:<30} {:>3}  {:<3} {:>5}  {}",
                "PLAN",
                "VER",
                "DNG",
                "STEPS",
                "TITLE"
            );
            for r in rows {
                crate::outln!(
                    "{:<30} {:>3}  {:<3} {:>5}  {}",
                    r["name"].as_str().unwrap_or(""),
                    r["version"],
                    r["danger"].as_str().unwrap_or(""),
                    r["steps"],
                    r["title"].as_str().unwrap_or("")
                );
            }
        }
    }
    Ok(())
}

pub(super) async fn show(
    store: &Store,
    name: &str,
    given: &BTreeMap<String, String>,
    output: Output,
) -> Result<(), Failure> {
    let row = store.get_plan(name).await?.ok_or_else(|| {
        other(format!(
            "unknown plan {name:?}; `nightwatch plan list` shows them"
        ))
    })?;
    let plan: Plan = serde_json::from_str(&row.definition).map_err(other)?;
    let components = store.list_components().await?;
    let params: Vec<serde_json::Value> = plan
        .params
        .iter()
        .map(|p| {
            json!({"name": p.name, "kind": p.kind.name(), "required": p.required,
                   "default": p.default, "description": p.description,
                   "choices": p.choices(&components)})
        })
        .collect();
    // Rendered with the given parameters when they resolve; with placeholders otherwise.
    let resolved = match plans::prepare(store, name, given, None).await {
        Ok(p) => Some(p),
        Err(LaunchError::Params(_)) if given.is_empty() => None,
        Err(e) => return Err(e.into()),
    };
    match output {
        Output::Json => json_out(&json!({
            "name": plan.name, "version": row.version, "danger": row.danger, "title": plan.title,
            "description": plan.description, "params": params,
            "steps": resolved.as_ref().map(|p| json!(p.resolved)),
            "definition": serde_json::from_str::<serde_json::Value>(&row.definition).unwrap_or_default(),
        })),
        Output::Table => {
            crate::outln!(
                "{} v{} [{}] {}",
                plan.name,
                row.version,
                row.danger,
                plan.title
            );
            if !plan.description.is_empty() {
                crate::outln!("{}", plan.description.trim());
            }
            crate::outln!("\nParameters:");
            for p in &plan.params {
                let choices = p.choices(&components);
                crate::outln!(
                    "  {:<16} {:<9} {}{}{}",
                    p.name,
                    p.kind.name(),
                    p.description,
                    p.default
                        .as_ref()
                        .map(|d| format!(" (default {})", Param::text_of(d)))
                        .unwrap_or_default(),
                    if choices.is_empty() {
                        String::new()
                    } else {
                        format!(" [{}]", choices.join(", "))
                    }
                );
            }
            crate::outln!("\nSteps:");
            match &resolved {
                Some(p) => print_resolved(p),
                None => {
                    for (phase, s) in plan.all_steps() {
                        crate::outln!("  [{}] {}/{}: {}", s.danger, phase, s.id, s.title);
                    }
                    crate::outln!("(give --param NAME=VALUE to see every operation rendered)");
                }
            }
        }
    }
    Ok(())
}

pub(super) fn print_resolved(p: &plans::Prepared) {
    for r in &p.resolved {
        crate::errln!("  {}", one_line(&r.to_string()));
    }
    if let Some(t) = &p.confirm_target {
        crate::errln!("  G3 confirmation: type {t:?}");
    }
}

pub(super) fn print_run_head(r: &PlanRunRow) {
    crate::outln!(
        "run {} of {} v{} [{}]{}: {} (requested by {}{}) {}",
        r.id,
        r.plan,
        r.version,
        r.danger,
        if r.dry_run { " dry run" } else { "" },
        r.status,
        one_line(&r.requested_by),
        if r.approved_by.is_empty() {
            String::new()
        } else {
            format!(", approved by {}", one_line(&r.approved_by))
        },
        one_line(&r.message)
    );
}

fn icon(status: &str) -> &'static str {
    match status {
        "succeeded" => "✓",
        "failed" => "✗",
        "running" => "▶",
        "waiting" => "⏸",
        "skipped" => "↷",
        "aborted" | "interrupted" => "!",
        _ => "·",
    }
}

pub(super) fn print_step(s: &StepRow, with_output: bool) {
    let took = if s.finished_at > 0 && s.started_at > 0 {
        format!("{:.1}s", (s.finished_at - s.started_at) as f64 / 1000.0)
    } else {
        String::new()
    };
    crate::outln!(
        "{} {:>3} {:<9} {:<22} {:<11} {:>2}× {:>7}  {}",
        icon(&s.status),
        s.seq,
        s.phase,
        s.step_id,
        s.status,
        s.attempts,
        took,
        one_line(&s.message)
    );
    if with_output && !s.output.trim().is_empty() {
        for line in s.output.lines() {
            crate::outln!("      │ {line}");
        }
    }
}

/// Print a run's steps as they change, and each step's new output lines, until the run ends (or
/// `limit` passes). With `exit_status`, a run that did not succeed is a failure.
pub(super) async fn follow(
    store: &Store,
    id: i64,
    limit: Option<Duration>,
    exit_status: bool,
) -> Result<(), Failure> {
    let deadline = limit.map(|l| tokio::time::Instant::now() + l);
    let mut seen: BTreeMap<i64, (String, usize)> = BTreeMap::new();
    let mut head = String::new();
    loop {
        // As readers see it: a run whose engine is gone reads interrupted, not running forever.
        let r = store
            .get_plan_run(id)
            .await?
            .as_seen(crate::domain::time::now_ms());
        let state = format!("{} {}", r.status, r.control);
        if state != head {
            print_run_head(&r);
            head = state;
        }
        for s in r.steps_as_seen(store.plan_run_steps(id).await?) {
            let (status, printed) = seen.entry(s.seq).or_insert((String::new(), 0));
            if *status != s.status {
                print_step(&s, false);
                status.clone_from(&s.status);
            }
            // New output since the last look (the stored output is the live tail).
            if s.output.len() > *printed {
                let start = if s.output.is_char_boundary(*printed) {
                    *printed
                } else {
                    0
                };
                for line in s.output[start..].lines() {
                    crate::outln!("      │ {line}");
                }
                *printed = s.output.len();
            } else if s.output.len() < *printed {
                *printed = s.output.len();
            }
        }
        if TERMINAL_RUN.contains(&r.status.as_str()) {
            return if !exit_status || r.status == "succeeded" {
                Ok(())
            } else {
                Err(other(format!("run {id} {}: {}", r.status, r.message)))
            };
        }
        if deadline.is_some_and(|d| tokio::time::Instant::now() > d) {
            return Err(other(format!(
                "run {id} still {} after the wait: is an engine running? (the console on the embedded SQLite runs one; otherwise `nightwatch serve`)",
                r.status
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
