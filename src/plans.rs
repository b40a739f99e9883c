//! Launching plans as operators do, from the CLI and the console alike: resolve a stored plan's
//! parameters against the topology, describe exactly what would run, check the confirmation its
//! danger demands (G1 y/n, G2 a reason, G3 the typed target name plus a reason), and queue the run
//! with its steps for an engine (DESIGN.md: the console writes intents; engines execute).
//!
//! Must not: execute anything. Read-only sessions are refused before anything is written.
//! (`survivors` kills the leftover processes of interrupted runs: the engine's business, kept here
//! because resuming must check the same records.)

mod survivors;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::domain::Danger;
use crate::domain::event::Event;
use crate::domain::plan::{EventRef, Plan, RenderCtx, ResolvedOp, describe, resolve_params};
use crate::domain::time::now_ms;
use crate::store::{NewPlanRun, NewStep, PlanRow, Store, StoreError};

pub use survivors::{kill_survivors, still_running};

/// The system-configuration switch that makes G3 runs wait for a second operator.
pub const SECOND_APPROVER_KEY: &str = "PLAN_G3_SECOND_APPROVER";

/// Why a launch was refused.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("unknown plan {0:?}; `nightwatch plan list` shows them")]
    UnknownPlan(String),
    #[error("stored plan {0} cannot be read: {1}")]
    Corrupt(String, String),
    #[error("{}", .0.join("\n"))]
    Params(Vec<String>),
    #[error("{0}")]
    Confirmation(String),
    #[error("launching a plan is refused in read-only mode")]
    ReadOnly,
    /// A definition stored before the checks it now fails existed (a template in a script, a
    /// write in a check): it is never run as it is.
    #[error("stored plan {name} no longer passes the checks of `apply`; fix it and apply it again:\n{}", problems.join("\n"))]
    Invalid { name: String, problems: Vec<String> },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A plan ready to launch: parameters resolved, every step described.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub row: PlanRow,
    pub plan: Plan,
    pub params: BTreeMap<String, Value>,
    pub event: Option<EventRef>,
    /// Every step as it would run (secrets masked), in execution order.
    pub resolved: Vec<ResolvedOp>,
    pub danger: Danger,
    /// The name a G3 confirmation must type.
    pub confirm_target: Option<String>,
}

impl Prepared {
    /// Steps whose templates cannot be rendered with these parameters (the run would fail there).
    pub fn errors(&self) -> Vec<String> {
        self.resolved
            .iter()
            .filter_map(|r| {
                r.error
                    .as_ref()
                    .map(|e| format!("{}/{}: {e}", r.phase, r.step))
            })
            .collect()
    }
}

/// How the operator confirmed.
#[derive(Debug, Clone, Default)]
pub struct Confirmation {
    /// The operator said yes (G1).
    pub yes: bool,
    /// Why (G2 and G3; audited).
    pub reason: String,
    /// The target name typed (G3).
    pub typed_target: String,
}

/// Load plan `name` and resolve `given` parameters (`k=v` texts) for a run, launched from `event`
/// if any. Every parameter problem is reported at once, each naming the parameter and the fix.
pub async fn prepare(
    store: &Store,
    name: &str,
    given: &BTreeMap<String, String>,
    event: Option<&Event>,
) -> Result<Prepared, LaunchError> {
    let row = store
        .get_plan(name)
        .await?
        .ok_or_else(|| LaunchError::UnknownPlan(name.to_owned()))?;
    let plan: Plan = serde_json::from_str(&row.definition)
        .map_err(|e| LaunchError::Corrupt(name.to_owned(), e.to_string()))?;
    let components = store.list_components().await?;
    let params = resolve_params(&plan, given, &components).map_err(|errs| {
        LaunchError::Params(
            errs.iter()
                .map(|e| format!("--param {}: {}", e.param, e.message))
                .collect(),
        )
    })?;
    let event = event.map(EventRef::from);
    let resolved = describe(&plan, &RenderCtx::preview(params.clone(), event.clone()));
    let danger = plan.danger();
    let confirm_target = plan.confirm_target(&params);
    Ok(Prepared {
        row,
        plan,
        params,
        event,
        resolved,
        danger,
        confirm_target,
    })
}

/// Whether `c` is the confirmation `p`'s danger demands (a dry run executes only G1 checks, so
/// it asks for nothing more than G1). The error says what is missing.
pub fn check_confirmation(p: &Prepared, dry_run: bool, c: &Confirmation) -> Result<(), String> {
    let danger = if dry_run { Danger::G1 } else { p.danger };
    if !c.yes && danger == Danger::G1 {
        return Err(format!(
            "plan {} is {danger}: confirm with y (--yes)",
            p.plan.name
        ));
    }
    if danger.needs_reason() && c.reason.trim().is_empty() {
        return Err(format!(
            "plan {} is {danger}: give a reason (--reason \"CR-1234 …\"); it is audited",
            p.plan.name
        ));
    }
    if danger.needs_typed_target() {
        let want = p
            .confirm_target
            .clone()
            .unwrap_or_else(|| p.plan.name.clone());
        if c.typed_target.trim() != want {
            return Err(if c.typed_target.trim().is_empty() {
                format!(
                    "plan {} is G3: type the target's name to confirm (--confirm {want})",
                    p.plan.name
                )
            } else {
                format!(
                    "the typed name {:?} is not the target {want:?}: nothing was started",
                    c.typed_target.trim()
                )
            });
        }
    }
    Ok(())
}

/// Queue a run of a prepared plan after checking its confirmation. Returns the run id.
#[allow(clippy::too_many_arguments)]
pub async fn launch(
    store: &Store,
    p: &Prepared,
    dry_run: bool,
    c: &Confirmation,
    actor: &str,
    read_only: bool,
    second_approver: bool,
    event_id: i64,
) -> Result<i64, LaunchError> {
    if read_only {
        return Err(LaunchError::ReadOnly);
    }
    check_confirmation(p, dry_run, c).map_err(LaunchError::Confirmation)?;
    // Values are data and checks only read, whatever version of nightwatch stored the plan.
    let problems = p.plan.problems();
    if !problems.is_empty() {
        return Err(LaunchError::Invalid {
            name: p.plan.name.clone(),
            problems: problems.into_iter().map(|x| x.message).collect(),
        });
    }
    let errors = p.errors();
    if !errors.is_empty() && !dry_run {
        return Err(LaunchError::Params(errors));
    }
    let steps = p
        .resolved
        .iter()
        .map(|r| NewStep {
            phase: r.phase.as_str().to_owned(),
            step_id: r.step.clone(),
            title: r.title.clone(),
            kind: p
                .plan
                .step(&r.step)
                .map(|(_, s)| s.op.kind())
                .unwrap_or("")
                .to_owned(),
            danger: r.danger.as_str().to_owned(),
            group: r.group.clone().unwrap_or_default(),
            rendered: r.to_string(),
        })
        .collect();
    let run = NewPlanRun {
        plan: p.plan.name.clone(),
        version: p.row.version,
        params: serde_json::to_string(&p.params).unwrap_or_else(|_| "{}".into()),
        dry_run,
        danger: p.danger.as_str().to_owned(),
        requested_by: actor.to_owned(),
        reason: c.reason.trim().to_owned(),
        approval_required: second_approver && !dry_run && p.danger == Danger::G3,
        event_id,
        steps,
    };
    Ok(store.queue_plan_run(&run, now_ms()).await?)
}

/// The plans the scenarios recommend for `event`, best first, with every parameter that the event,
/// its component and the topology determine filled in; and whether any topology is applied
/// (without it, topology parameters cannot be filled). The console's event detail and
/// `nightwatch events show` both ask this, so they always agree.
pub async fn recommendations(
    store: &Store,
    event: &Event,
) -> Result<(Vec<crate::domain::plan::Recommended>, bool), StoreError> {
    let scenarios = store.scenario_definitions().await?;
    let components = store.list_components().await?;
    Ok((
        crate::domain::plan::recommend_with(&scenarios, event, &components),
        !components.is_empty(),
    ))
}
