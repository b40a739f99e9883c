//! `nightwatch plan …`: the plan catalogue, launching a plan with the confirmation its danger
//! demands, following runs, and steering them (abort, pause, resume, approve, confirm a manual
//! step). Runs are executed by an engine (in-process under a console on the embedded SQLite, or
//! `nightwatch serve`); this command only writes intents and reads state.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use crate::cli::{Output, PlanCommand};
use crate::domain::text::one_line;
use crate::domain::time::{format_utc, now_ms};
use crate::plans::{self, Confirmation, LaunchError, SECOND_APPROVER_KEY};
use crate::settings::Settings;
use crate::store::{StepRow, Store};

use super::{Failure, actor};

mod view;
use view::{follow, list, print_resolved, print_run_head, print_step, show};

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
