//! Executing plan runs: every engine runs a worker that claims queued runs (`plan_runs`) with a
//! lease, walks the plan's outline (prechecks → steps → postchecks, rollback when a failure asks
//! for it; parallel groups at once), performs each step's operation (`crate::ops`) with its
//! timeout and retries, and writes every step's state, attempts, timings and output to the store
//! as they happen — the output of a running step is flushed a few times a second, so a console
//! follows it live.
//!
//! Operators steer a run through the database (`control`): pause (after the steps in flight),
//! resume, abort (the operation in flight is dropped: a command's process group is killed). The
//! lease is renewed while the run goes on; if this engine dies, the lease expires and any engine
//! marks the run `interrupted` — it is never re-executed by itself (DESIGN.md §2).
//!
//! A dry run executes the G1 prechecks (read-only verifications) and nothing else: every other
//! step is recorded `skipped` with what it would have run.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::config_watch::Effective;
use crate::domain::plan::{EventRef, Phase, Plan, RenderCtx, RunStatus, StepResult};
use crate::domain::time::now_ms;
use crate::ops;
use crate::probes::ProbeContext;
use crate::store::{LeaseClock, PlanRunRow, StepRow, Store, StoreError};

/// How long a claimed run's lease lasts; renewed every third of it (also how often `control` is
/// read while nothing else happens).
pub const LEASE_MS: i64 = 15_000;

/// How often a running step's output is written to the store, and how often an abort is noticed.
const FLUSH: Duration = Duration::from_millis(200);

/// Runs one engine executes at once.
const MAX_RUNS: usize = 4;

/// What plan runs need from the engine.
#[derive(Clone)]
pub struct PlanWorker {
    pub store: Store,
    /// Claims are stamped with this (the engine's instance id).
    pub worker: String,
    /// The live configuration (`NOTIFY_CHANNELS` for notify steps).
    pub config: Option<watch::Receiver<Arc<Effective>>>,
    pub notify_wake: Option<Arc<Notify>>,
    pub http: reqwest::Client,
    pub probes: Arc<ProbeContext>,
    /// How long a lease lasts (tests shorten it).
    pub lease_ms: i64,
}

impl PlanWorker {
    /// The output scrubber of the configuration in force (none without a configuration).
    pub fn scrubber(&self) -> Arc<crate::sysconfig::Scrubber> {
        self.config
            .as_ref()
            .map(|c| Arc::clone(&c.borrow().scrub))
            .unwrap_or_default()
    }

    pub fn new(store: Store, worker: &str) -> Result<PlanWorker, String> {
        Ok(PlanWorker {
            store,
            worker: worker.to_owned(),
            config: None,
            notify_wake: None,
            http: ops::http::client()?,
            probes: Arc::new(ProbeContext::new()),
            lease_ms: LEASE_MS,
        })
    }
}

/// Claim and execute queued runs until cancelled (each claimed run on its own task, at most
/// [`MAX_RUNS`] at once); mark runs whose lease expired `interrupted`. On cancel the runs in
/// flight stop where they are and keep their claim: their lease expires and they become
/// `interrupted`, as after a crash — a shutdown never silently finishes or re-runs a plan.
pub async fn work_loop(w: PlanWorker, wake: Arc<Notify>, cancel: CancellationToken) {
    let running = TaskTracker::new();
    let mut sweep = true;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            _ = tick.tick() => {}
            () = wake.notified() => {}
        }
        match w
            .store
            .interrupt_expired_plan_runs(LeaseClock::Database)
            .await
        {
            Ok(ids) if !ids.is_empty() => {
                tracing::warn!(
                    ?ids,
                    "plan runs interrupted: their engine stopped (lease expired)"
                );
                sweep = true;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot mark expired plan runs"),
        }
        // At start-up and after each interruption: what survived of interrupted runs on this
        // host dies now (never finishes on its own after its run said `interrupted`).
        if sweep {
            match crate::plans::kill_survivors(&w.store).await {
                Ok(_) => sweep = false,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot check for survivors of interrupted plan runs; retrying");
                }
            }
        }
        while running.len() < MAX_RUNS {
            let claimed = match w
                .store
                .claim_plan_run(&w.worker, LeaseClock::Database, w.lease_ms)
                .await
            {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot claim plan runs");
                    break;
                }
            };
            let Some(run) = claimed else { break };
            let (w, cancel) = (w.clone(), cancel.clone());
            running.spawn(async move {
                let id = run.id;
                if let Err(e) = execute(&w, run, &cancel).await {
                    tracing::error!(run = id, error = %e, "plan run stopped on a store error; it will be interrupted when its lease expires");
                }
            });
        }
    }
    running.close();
    running.wait().await;
}

/// How a run ended.
enum End {
    Done(RunStatus, String),
    /// The engine is stopping or the claim is lost: write nothing more.
    Left,
}

/// A run in progress: the plan, the render context, the step rows, the control channel.
struct Exec<'a> {
    w: &'a PlanWorker,
    run: PlanRunRow,
    plan: Plan,
    ctx: RenderCtx,
    /// (phase, step id) → seq.
    seqs: std::collections::HashMap<(Phase, String), i64>,
    rows: BTreeMap<i64, StepRow>,
    /// Steps at or after this seq run; earlier ones keep what they did (resume).
    resume_from: i64,
    control: watch::Receiver<Control>,
    components: Vec<crate::domain::Component>,
    /// The engine's scrubber plus the secrets of the components' endpoints (a Redis password, a
    /// DSN's): every text of this run is written through it.
    scrub: Arc<crate::sysconfig::Scrubber>,
}

/// What the lease keeper last read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    Go,
    Pause,
    Abort,
    /// The claim is lost (interrupted meanwhile) or the engine is stopping.
    Lost,
}

/// Execute one claimed run to its end.
pub async fn execute(
    w: &PlanWorker,
    run: PlanRunRow,
    cancel: &CancellationToken,
) -> Result<(), StoreError> {
    let id = run.id;
    let plan = match load_plan(&w.store, &run).await? {
        Ok(p) => p,
        Err(e) => {
            let e = w.scrubber().clean(&e);
            w.store
                .finish_plan_run(id, &w.worker, RunStatus::Failed.as_str(), &e, now_ms())
                .await?;
            return Ok(());
        }
    };
    let (tx, control) = watch::channel(Control::Go);
    let keeper = tokio::spawn(keep_lease(
        w.store.clone(),
        w.worker.clone(),
        id,
        w.lease_ms,
        tx,
        cancel.clone(),
    ));
    let rows = w.store.plan_run_steps(id).await?;
    let mut ctx = RenderCtx {
        params: serde_json::from_str(&run.params).unwrap_or_default(),
        run_id: Some(id),
        dry_run: run.dry_run,
        ..RenderCtx::default()
    };
    if run.event_id != 0
        && let Ok(e) = w.store.get_event(run.event_id).await
    {
        ctx.event = Some(EventRef::from(&e));
    }
    let resume_from = run.resume_from.parse::<i64>().unwrap_or(0);
    // Resumed: what the steps before the resume point did is what later templates read.
    for r in rows.iter().filter(|r| r.seq < resume_from) {
        ctx.steps.insert(r.step_id.clone(), result_of(r));
    }
    let components = w.store.list_components().await?;
    let scrub = Arc::new(
        w.scrubber().extended(
            components
                .iter()
                .flat_map(|c| crate::sysconfig::scrub::secrets_of_value(None, &c.endpoints)),
        ),
    );
    let seqs = rows
        .iter()
        .filter_map(|r| Some(((r.phase.parse::<Phase>().ok()?, r.step_id.clone()), r.seq)))
        .collect();
    let mut ex = Exec {
        w,
        plan,
        ctx,
        seqs,
        rows: rows.into_iter().map(|r| (r.seq, r)).collect(),
        resume_from,
        control,
        components,
        scrub,
        run,
    };
    tracing::info!(run = id, plan = %ex.run.plan, version = ex.run.version, dry_run = ex.run.dry_run, "plan run started");
    let end = ex.walk().await;
    keeper.abort();
    if let End::Done(status, message) = end {
        let message = ex.scrub.clean(&message);
        let ok = w
            .store
            .finish_plan_run(id, &w.worker, status.as_str(), &message, now_ms())
            .await?;
        tracing::info!(run = id, status = status.as_str(), %message, recorded = ok, "plan run finished");
    }
    Ok(())
}

async fn load_plan(store: &Store, run: &PlanRunRow) -> Result<Result<Plan, String>, StoreError> {
    let Some(text) = store.plan_version(&run.plan, run.version).await? else {
        return Ok(Err(format!(
            "plan {} version {} is not stored",
            run.plan, run.version
        )));
    };
    Ok(serde_json::from_str(&text).map_err(|e| {
        format!(
            "plan {} version {} cannot be read: {e}",
            run.plan, run.version
        )
    }))
}

/// A stored step row as the templates of later steps see it.
fn result_of(r: &StepRow) -> StepResult {
    StepResult {
        status: r.status.parse().unwrap_or_default(),
        output: r.output.clone(),
        values: serde_json::from_str(&r.values_json).unwrap_or_default(),
    }
}

/// Renew the lease every third of it and publish the run's `control` request; `Lost` when the
/// claim is gone or the engine stops.
async fn keep_lease(
    store: Store,
    worker: String,
    id: i64,
    lease_ms: i64,
    tx: watch::Sender<Control>,
    cancel: CancellationToken,
) {
    let every = Duration::from_millis(u64::try_from(lease_ms / 3).unwrap_or(5_000).max(50));
    // Control requests are read more often than the lease needs renewing.
    let poll = every.min(Duration::from_millis(250));
    let mut last_renew = tokio::time::Instant::now();
    loop {
        tokio::select! {
            () = cancel.cancelled() => {
                let _ = tx.send(Control::Lost);
                return;
            }
            () = tokio::time::sleep(poll) => {}
        }
        let state = if last_renew.elapsed() >= every {
            last_renew = tokio::time::Instant::now();
            store
                .renew_plan_run(id, &worker, LeaseClock::Database, lease_ms)
                .await
                .map(|c| c.map_or(Control::Lost, |c| control_of(&c)))
        } else {
            store.get_plan_run(id).await.map(|r| {
                let live = matches!(r.status.as_str(), "running" | "paused");
                if r.claimed_by != worker || !live {
                    Control::Lost
                } else {
                    control_of(&r.control)
                }
            })
        };
        match state {
            Ok(c) => {
                tx.send_if_modified(|old| {
                    let changed = *old != c;
                    *old = c;
                    changed
                });
                if c == Control::Lost {
                    return;
                }
            }
            // The database may be briefly away: the lease has some margin.
            Err(e) => tracing::warn!(run = id, error = %e, "cannot renew the plan run's lease"),
        }
    }
}

fn control_of(c: &str) -> Control {
    match c {
        "abort" => Control::Abort,
        "pause" => Control::Pause,
        _ => Control::Go,
    }
}

mod perform;
mod step_state;
mod walk;

use step_state::{Followed, StepEnd, StepState};
