//! Performing the Plans pane's effects: the stamp check with the catalogue and the runs, one run
//! with its steps, the launch form, `prepare`, a confirmed launch or steering request through the
//! launch service and the store, saving an output, and an event's recommendations.

use std::collections::BTreeMap;

use super::super::action::{Action, Operation, PlanLaunch};
use super::super::effect::Effect;
use super::super::plans::{
    FormField, LaunchForm, PlanEntry, PlansSnapshot, PreparedView, RUNS_LIMIT, RunEntry,
};
use super::EffectIo;
use crate::domain::plan::{Param, Plan};
use crate::domain::time::now_ms;
use crate::plans::{self, Confirmation, LaunchError, SECOND_APPROVER_KEY};
use crate::store::{Store, StoreError};

/// Perform a Plans read (anything else answers `Noop`).
pub(super) async fn perform(store: &Store, effect: Effect) -> Action {
    match effect {
        Effect::LoadPlans { known } => {
            Action::PlansLoaded(load_lists(store, known).await.map_err(|e| e.to_string()))
        }
        Effect::LoadPlanRun { id } => {
            let result = async {
                let run = store.get_plan_run(id).await?.as_seen(now_ms());
                // Its engine gone, a step it was running is not running any more.
                let steps = run.steps_as_seen(store.plan_run_steps(id).await?);
                Ok::<_, StoreError>(Box::new((run, steps)))
            }
            .await
            .map_err(|e| e.to_string());
            Action::PlanRunLoaded { id, result }
        }
        Effect::OpenLaunchForm {
            plan,
            prefill,
            unfilled,
            event_id,
        } => Action::LaunchFormLoaded(
            launch_form(store, &plan, &prefill, unfilled, event_id)
                .await
                .map(Box::new),
        ),
        Effect::PreparePlan {
            plan,
            params,
            event_id,
        } => {
            let result = prepare(store, &plan, &params, event_id).await;
            Action::PlanPrepared { plan, result }
        }
        Effect::SaveOutput { name, text } => Action::OutputSaved(save(&name, &text).await),
        Effect::LoadRecommendations { id } => {
            let result = async {
                let event = store.get_event(id).await?;
                crate::plans::recommendations(store, &event).await
            }
            .await
            .map_err(|e| e.to_string());
            let topology = result.as_ref().is_ok_and(|r| r.1);
            Action::RecommendationsLoaded {
                id,
                result: result.map(|r| r.0),
                topology,
            }
        }
        _ => Action::Noop,
    }
}

async fn load_lists(
    store: &Store,
    known: Option<i64>,
) -> Result<Option<Box<PlansSnapshot>>, StoreError> {
    let now = now_ms();
    let stamp = store.plan_runs_stamp(now).await?;
    if known == Some(stamp) {
        return Ok(None);
    }
    let plans = store
        .list_plans()
        .await?
        .into_iter()
        .map(|row| {
            let def: Option<Plan> = serde_json::from_str(&row.definition).ok();
            PlanEntry {
                title: def.as_ref().map(|d| d.title.clone()).unwrap_or_default(),
                steps: def.as_ref().map_or(0, |d| d.all_steps().count()),
                danger: def
                    .as_ref()
                    .map(Plan::danger)
                    .or_else(|| crate::domain::Danger::parse(&row.danger))
                    .unwrap_or(crate::domain::Danger::G3),
                row,
            }
        })
        .collect();
    let runs: Vec<_> = store
        .list_plan_runs(None, RUNS_LIMIT)
        .await?
        .into_iter()
        .map(|r| r.as_seen(now))
        .collect();
    let min = runs.iter().map(|r| r.id).min().unwrap_or(0);
    let progress = if runs.is_empty() {
        Vec::new()
    } else {
        store.plan_run_progress(min).await?
    };
    let runs = runs
        .into_iter()
        .map(|run| {
            let (done, total) = progress
                .iter()
                .find(|(id, _, _)| *id == run.id)
                .map_or((0, 0), |(_, d, t)| (*d, *t));
            RunEntry { run, done, total }
        })
        .collect();
    Ok(Some(Box::new(PlansSnapshot { stamp, plans, runs })))
}

async fn launch_form(
    store: &Store,
    name: &str,
    prefill: &BTreeMap<String, String>,
    unfilled: Vec<String>,
    event_id: i64,
) -> Result<LaunchForm, String> {
    let row = store
        .get_plan(name)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("unknown plan {name:?}: apply it first (`nightwatch apply`)"))?;
    let plan: Plan = serde_json::from_str(&row.definition)
        .map_err(|e| format!("stored plan {name} cannot be read: {e}"))?;
    let components = store.list_components().await.map_err(|e| e.to_string())?;
    let fields = plan
        .params
        .iter()
        .map(|p| {
            let text = prefill
                .get(&p.name)
                .cloned()
                .or_else(|| p.default.as_ref().map(Param::text_of))
                .unwrap_or_default();
            FormField {
                name: p.name.clone(),
                kind: p.kind.name().to_owned(),
                description: p.description.clone(),
                required: p.required,
                choices: p.choices(&components),
                input: crate::console::line_input::LineInput::with_text(&text),
                error: None,
                local_when_empty: crate::domain::plan::local_when_empty(p),
            }
        })
        .collect();
    Ok(LaunchForm {
        plan: plan.name.clone(),
        title: plan.title.clone(),
        danger: plan.danger(),
        fields,
        event_id,
        unfilled,
        ..LaunchForm::default()
    })
}

async fn prepare(
    store: &Store,
    plan: &str,
    params: &BTreeMap<String, String>,
    event_id: i64,
) -> Result<Box<PreparedView>, Vec<String>> {
    let event = if event_id > 0 {
        Some(
            store
                .get_event(event_id)
                .await
                .map_err(|e| vec![format!("event #{event_id}: {e}")])?,
        )
    } else {
        None
    };
    match plans::prepare(store, plan, params, event.as_ref()).await {
        Ok(p) => Ok(Box::new(PreparedView {
            host: {
                let components = store.list_components().await.unwrap_or_default();
                let me = gethostname::gethostname().to_string_lossy().into_owned();
                crate::domain::plan::target_host(&p.plan, &p.params, &components, &me)
            },
            danger: p.danger,
            confirm_target: p.confirm_target.clone(),
            ops: p.resolved.iter().map(ToString::to_string).collect(),
            errors: p.errors(),
        })),
        Err(LaunchError::Params(errors)) => Err(errors),
        Err(e) => Err(vec![e.to_string()]),
    }
}

/// Write the output where the operator is (the current directory), else under `$TMPDIR`.
async fn save(name: &str, text: &str) -> Result<String, String> {
    let mut dirs = Vec::new();
    if let Ok(cwd) = std::env::current_dir() {
        dirs.push(cwd);
    }
    dirs.push(std::env::temp_dir());
    let mut last = String::from("no directory to write to");
    for dir in dirs {
        let path = dir.join(name);
        match tokio::fs::write(&path, text).await {
            Ok(()) => return Ok(path.display().to_string()),
            Err(e) => last = format!("{}: {e}", path.display()),
        }
    }
    Err(last)
}

/// Perform a confirmed plan operation for `actor` (audited with `reason`).
pub(super) async fn mutate(io: &EffectIo, op: Operation, actor: &str, reason: &str) -> Action {
    let store = &io.store;
    let done = |r: Result<Result<(), String>, StoreError>, ok: String| match r {
        Ok(Ok(())) => Action::OperationDone {
            message: ok,
            failed: false,
        },
        Ok(Err(why)) => Action::OperationDone {
            message: why,
            failed: true,
        },
        Err(e) => Action::OperationDone {
            message: e.to_string(),
            failed: true,
        },
    };
    let now = now_ms();
    match op {
        Operation::LaunchPlan(l) => Action::PlanLaunched(launch(io, &l, actor, reason).await),
        Operation::PauseRun { run, resume, .. } => {
            let req = if resume { "resume" } else { "pause" };
            let r = store.control_plan_run(run, req, actor, reason, now).await;
            let ok = if resume {
                format!("run #{run} continues")
            } else {
                format!("pause requested for run #{run} (after the steps in flight)")
            };
            done(r, ok)
        }
        Operation::AbortRun { run, .. } => {
            let r = store
                .control_plan_run(run, "abort", actor, reason, now)
                .await;
            done(r, format!("abort requested for run #{run}"))
        }
        Operation::ResumeRun {
            run,
            plan,
            seq,
            skip,
            interrupted,
            typed,
        } => {
            // G3 (skip, or after an interruption): the typed plan name is checked here again.
            if (skip || interrupted) && typed != plan {
                return Action::OperationDone {
                    message: format!("type the plan's name {plan:?} to confirm: nothing changed"),
                    failed: true,
                };
            }
            match crate::plans::still_running(store, run).await {
                Ok(Some(why)) => {
                    return Action::OperationDone {
                        message: why,
                        failed: true,
                    };
                }
                Ok(None) => {}
                Err(e) => {
                    return Action::OperationDone {
                        message: e.to_string(),
                        failed: true,
                    };
                }
            }
            let r = store
                .resume_plan_run(run, seq, skip, actor, reason, now)
                .await;
            let what = if skip { " (skipped)" } else { "" };
            done(r, format!("run #{run} queued again from step {seq}{what}"))
        }
        Operation::ConfirmStep { run, seq, .. } => {
            let r = store
                .confirm_manual_step(run, seq, actor, reason, now)
                .await;
            done(r, format!("step {seq} of run #{run} confirmed done"))
        }
        Operation::ApproveRun { run, .. } => {
            let r = store.approve_plan_run(run, actor, reason, now).await;
            done(r, format!("run #{run} approved; an engine will start it"))
        }
        other => Action::OperationDone {
            message: format!("{} is not a plan operation", other.label()),
            failed: true,
        },
    }
}

async fn launch(io: &EffectIo, l: &PlanLaunch, actor: &str, reason: &str) -> Result<i64, String> {
    let (event_id, dry_run) = (l.event_id, l.dry_run);
    let store = &io.store;
    let event = if event_id > 0 {
        Some(store.get_event(event_id).await.map_err(|e| e.to_string())?)
    } else {
        None
    };
    let prepared = plans::prepare(store, &l.plan, &l.params, event.as_ref())
        .await
        .map_err(|e| e.to_string())?;
    let second = io
        .sysconfig
        .effective(SECOND_APPROVER_KEY)
        .await
        .map(|(_, v)| v.as_bool().unwrap_or(false))
        .unwrap_or(false);
    let c = Confirmation {
        yes: true,
        reason: reason.to_owned(),
        typed_target: l.typed.clone(),
    };
    plans::launch(
        store,
        &prepared,
        dry_run,
        &c,
        actor,
        io.read_only,
        second,
        event_id,
    )
    .await
    .map_err(|e| e.to_string())
}
