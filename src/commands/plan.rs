//! `nightwatch plan …`: the plan catalogue, launching a plan with the confirmation its danger
//! demands, following runs, and steering them (abort, pause, resume, approve, confirm a manual
//! step). Runs are executed by an engine (in-process under a console on the embedded SQLite, or
//! `nightwatch serve`); this command only writes intents and reads state.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use crate::cli::{Output, PlanCommand};
use crate::domain::plan::{Param, Plan};
use crate::domain::text::one_line;
use crate::domain::time::{format_utc, now_ms};
use crate::plans::{self, Confirmation, LaunchError, SECOND_APPROVER_KEY};
use crate::settings::Settings;
use crate::store::{PlanRunRow, StepRow, Store, TERMINAL_RUN};

use super::{Failure, actor};

pub async fn run(settings: Settings, cmd: PlanCommand) -> Result<(), Failure> {
    let _log = crate::logging::init(
        &settings.paths.state_dir,
        &settings.log.level,
        crate::logging::Echo::FileOnly,
    );
    let store = super::open_store(&settings).await?;
    let result = dispatch(&store, &settings, cmd).await;
    store.close().await;
    result
}

fn other(e: impl std::fmt::Display) -> Failure {
    Failure::Other(e.to_string())
}

impl From<LaunchError> for Failure {
    fn from(e: LaunchError) -> Failure {
        match e {
            LaunchError::Store(s) => Failure::Database(s),
            other => Failure::Other(other.to_string()),
        }
    }
}

/// `NAME=VALUE` pairs; a malformed one names itself and the fix.
fn parse_params(raw: &[String]) -> Result<BTreeMap<String, String>, Failure> {
    raw.iter()
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
                .filter(|(k, _)| !k.is_empty() && k.len() <= 64)
                .ok_or_else(|| {
                    // The argument is echoed bounded: it may be anything, of any length.
                    let shown: String = p.chars().take(64).collect();
                    let more = if p.chars().count() > 64 { "…" } else { "" };
                    Failure::Other(format!(
                        "--param {shown:?}{more}: expected NAME=VALUE (a name of at most 64 characters), e.g. --param node=git-2"
                    ))
                })
        })
        .collect()
}

fn refuse_read_only(settings: &Settings, what: &str) -> Result<(), Failure> {
    if settings.console.read_only {
        return Err(Failure::Other(format!(
            "{what} is refused in read-only mode"
        )));
    }
    Ok(())
}

fn json_out(v: &serde_json::Value) {
    crate::outln!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

async fn dispatch(store: &Store, settings: &Settings, cmd: PlanCommand) -> Result<(), Failure> {
    match cmd {
        PlanCommand::List { output } => list(store, output).await,
        PlanCommand::Show {
            plan,
            params,
            output,
        } => show(store, &plan, &parse_params(&params)?, output).await,
        PlanCommand::Run {
            plan,
            params,
            dry_run,
            yes,
            reason,
            confirm,
            event,
            no_wait,
            timeout,
        } => {
            refuse_read_only(settings, "launching a plan")?;
            let event_row = match event {
                Some(id) => Some(
                    store
                        .get_event(id)
                        .await
                        .map_err(|e| Failure::Other(format!("--event {id}: {e}")))?,
                ),
                None => None,
            };
            let prepared =
                plans::prepare(store, &plan, &parse_params(&params)?, event_row.as_ref()).await?;
            print_resolved(&prepared);
            let cfg = crate::sysconfig::SysConfig::from_settings(store.clone(), settings);
            let second = cfg
                .effective(SECOND_APPROVER_KEY)
                .await
                .map(|(_, v)| v.as_bool().unwrap_or(false))
                .unwrap_or(false);
            let c = Confirmation {
                yes,
                reason: reason.unwrap_or_default(),
                typed_target: confirm.unwrap_or_default(),
            };
            let id = plans::launch(
                store,
                &prepared,
                dry_run,
                &c,
                &actor(),
                settings.console.read_only,
                second,
                event.unwrap_or(0),
            )
            .await?;
            let r = store.get_plan_run(id).await?;
            let what = if dry_run { "dry run" } else { "run" };
            crate::outln!(
                "queued {what} {id} of {} v{} ({}){}",
                r.plan,
                r.version,
                r.danger,
                if r.status == "awaiting_approval" {
                    ": awaiting a second operator's approval (`nightwatch plan approve RUN`)"
                } else {
                    ""
                }
            );
            if no_wait {
                return Ok(());
            }
            follow(store, id, Some(Duration::from_secs(timeout)), true).await
        }
        PlanCommand::Runs {
            plan,
            output,
            limit,
        } => {
            let now = crate::domain::time::now_ms();
            let runs: Vec<_> = store
                .list_plan_runs(plan.as_deref(), limit)
                .await?
                .into_iter()
                .map(|r| r.as_seen(now))
                .collect();
            match output {
                Output::Json => json_out(&json!(runs)),
                Output::Table => {
                    crate::outln!(
                        "{:>6}  {:<28} {:>3}  {:<3} {:<18} {:<20} {:<20} {}",
                        "RUN",
                        "PLAN",
                        "VER",
                        "DNG",
                        "STATUS",
                        "REQUESTED BY",
                        "CREATED (UTC)",
                        "MESSAGE"
                    );
                    for r in runs {
                        crate::outln!(
                            "{:>6}  {:<28} {:>3}  {:<3} {:<18} {:<20} {:<20} {}",
                            r.id,
                            format!("{}{}", r.plan, if r.dry_run { " (dry)" } else { "" }),
                            r.version,
                            r.danger,
                            r.status,
                            one_line(&r.requested_by),
                            format_utc(r.created_at),
                            one_line(&r.message)
                        );
                    }
                }
            }
            Ok(())
        }
        PlanCommand::Logs {
            run,
            follow: f,
            output,
        } => {
            if f {
                return follow(store, run, None, false).await;
            }
            let r = store
                .get_plan_run(run)
                .await?
                .as_seen(crate::domain::time::now_ms());
            let steps = r.steps_as_seen(store.plan_run_steps(run).await?);
            match output {
                Output::Json => json_out(&json!({"run": r, "steps": steps})),
                Output::Table => {
                    print_run_head(&r);
                    for s in &steps {
                        print_step(s, true);
                    }
                }
            }
            Ok(())
        }
        PlanCommand::Abort { run, reason } => {
            refuse_read_only(settings, "aborting a run")?;
            let reason = reason.unwrap_or_default();
            if reason.trim().is_empty() {
                return Err(other(
                    "aborting a run is G2: give a reason (--reason \"…\"); it is audited",
                ));
            }
            store
                .control_plan_run(run, "abort", &actor(), &reason, now_ms())
                .await?
                .map_err(other)?;
            crate::outln!("abort requested for run {run}");
            Ok(())
        }
        PlanCommand::Pause { run } => {
            refuse_read_only(settings, "pausing a run")?;
            store
                .control_plan_run(run, "pause", &actor(), "", now_ms())
                .await?
                .map_err(other)?;
            crate::outln!("pause requested for run {run} (after the steps in flight)");
            Ok(())
        }
        PlanCommand::Resume {
            run,
            from,
            skip,
            reason,
            confirm,
        } => {
            refuse_read_only(settings, "resuming a run")?;
            // A run whose engine is gone (lease expired) is recorded interrupted here and now,
            // as a surviving engine would: resume acts on the recorded state, and with no engine
            // left nobody else would record it.
            if store
                .interrupt_if_expired(run, &actor(), crate::store::LeaseClock::Database)
                .await?
            {
                crate::outln!(
                    "run {run}: the engine running it is gone (lease expired): recorded as interrupted"
                );
            }
            let r = store.get_plan_run(run).await?;
            let Some(from) = from else {
                store
                    .control_plan_run(
                        run,
                        "resume",
                        &actor(),
                        &reason.unwrap_or_default(),
                        now_ms(),
                    )
                    .await?
                    .map_err(other)?;
                crate::outln!("run {run} continues");
                return Ok(());
            };
            let steps = store.plan_run_steps(run).await?;
            let seq = step_seq(&steps, &from)?;
            let reason = reason.unwrap_or_default();
            if reason.trim().is_empty() {
                return Err(other(
                    "resuming a run from a step is G2 or more: give a reason (--reason \"…\")",
                ));
            }
            let g3 = skip || r.status == "interrupted";
            if g3 && confirm.as_deref().map(str::trim) != Some(r.plan.as_str()) {
                return Err(other(format!(
                    "{} is G3: type the plan's name to confirm (--confirm {})",
                    if skip {
                        "skipping a step"
                    } else {
                        "resuming an interrupted run (its step may have half-run)"
                    },
                    r.plan
                )));
            }
            if let Some(why) = crate::plans::still_running(store, run).await? {
                return Err(other(why));
            }
            store
                .resume_plan_run(run, seq, skip, &actor(), &reason, now_ms())
                .await?
                .map_err(other)?;
            crate::outln!(
                "run {run} queued again from step {seq}{}",
                if skip { " (skipped)" } else { "" }
            );
            Ok(())
        }
        PlanCommand::Approve { run, reason } => {
            refuse_read_only(settings, "approving a run")?;
            store
                .approve_plan_run(run, &actor(), &reason.unwrap_or_default(), now_ms())
                .await?
                .map_err(other)?;
            crate::outln!("run {run} approved; an engine will start it");
            Ok(())
        }
        PlanCommand::Done { run, step, note } => {
            refuse_read_only(settings, "confirming a step")?;
            let steps = store.plan_run_steps(run).await?;
            let seq = step_seq(&steps, &step)?;
            store
                .confirm_manual_step(run, seq, &actor(), &note, now_ms())
                .await?
                .map_err(other)?;
            crate::outln!("step {seq} of run {run} confirmed done");
            Ok(())
        }
    }
}

/// A step by its number or id.
fn step_seq(steps: &[StepRow], s: &str) -> Result<i64, Failure> {
    if let Ok(n) = s.parse::<i64>()
        && steps.iter().any(|x| x.seq == n)
    {
        return Ok(n);
    }
    let found: Vec<&StepRow> = steps.iter().filter(|x| x.step_id == s).collect();
    match found[..] {
        [one] => Ok(one.seq),
        [] => Err(other(format!(
            "no step {s:?} in this run; `nightwatch plan logs RUN` lists them"
        ))),
        _ => Err(other(format!(
            "step id {s:?} is in several phases; give its number"
        ))),
    }
}

async fn list(store: &Store, output: Output) -> Result<(), Failure> {
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

async fn show(
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

fn print_resolved(p: &plans::Prepared) {
    for r in &p.resolved {
        crate::errln!("  {}", one_line(&r.to_string()));
    }
    if let Some(t) = &p.confirm_target {
        crate::errln!("  G3 confirmation: type {t:?}");
    }
}

fn print_run_head(r: &PlanRunRow) {
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

fn print_step(s: &StepRow, with_output: bool) {
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
async fn follow(
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
