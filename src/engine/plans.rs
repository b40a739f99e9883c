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

use serde_json::Value;
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::config_watch::Effective;
use super::notify::CHANNELS_KEY;
use crate::domain::Danger;
use crate::domain::inspection::Condition;
use crate::domain::notify::{TEXT_NOTICE_KIND, TextNotice, parse_channels};
use crate::domain::plan::{
    EventRef, OnFailure, Op, Phase, Plan, RenderCtx, RunStatus, Stage, Step, StepResult,
    StepStatus, one_line, outline, render, render_op, when_holds,
};
use crate::domain::time::now_ms;
use crate::ops::{self, Live, Outcome};
use crate::probes::{ProbeContext, ProbeSpec, Target};
use crate::store::{NO_EVENT, PlanRunRow, StepRow, StepUpdate, Store, StoreError, TargetStatement};

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
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            _ = tick.tick() => {}
            () = wake.notified() => {}
        }
        match w.store.interrupt_expired_plan_runs(now_ms()).await {
            Ok(ids) if !ids.is_empty() => {
                tracing::warn!(
                    ?ids,
                    "plan runs interrupted: their engine stopped (lease expired)"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot mark expired plan runs"),
        }
        while running.len() < MAX_RUNS {
            let claimed = match w
                .store
                .claim_plan_run(&w.worker, now_ms(), w.lease_ms)
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
        components: w.store.list_components().await?,
        run,
    };
    tracing::info!(run = id, plan = %ex.run.plan, version = ex.run.version, dry_run = ex.run.dry_run, "plan run started");
    let end = ex.walk().await;
    keeper.abort();
    if let End::Done(status, message) = end {
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
                .renew_plan_run(id, &worker, now_ms() + lease_ms)
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

/// How a stage ended.
enum StageEnd {
    Ok,
    Failed(OnFailure, String),
    Aborted,
    Left,
}

impl Exec<'_> {
    async fn walk(&mut self) -> End {
        let plan = self.plan.clone();
        let mut failure: Option<String> = None;
        let mut rollback = false;
        for phase in outline(&plan) {
            if phase.phase == Phase::Rollback {
                continue;
            }
            for stage in &phase.stages {
                match self.stage(phase.phase, stage).await {
                    StageEnd::Ok => {}
                    StageEnd::Left => return End::Left,
                    StageEnd::Aborted => {
                        return End::Done(RunStatus::Aborted, "aborted by an operator".into());
                    }
                    StageEnd::Failed(_, why) if phase.phase == Phase::Precheck => {
                        return End::Done(
                            RunStatus::Failed,
                            format!("precheck failed, nothing was changed: {why}"),
                        );
                    }
                    StageEnd::Failed(OnFailure::Continue, why) => {
                        failure.get_or_insert(why);
                    }
                    StageEnd::Failed(OnFailure::Abort, why) => {
                        return End::Done(RunStatus::Failed, why);
                    }
                    StageEnd::Failed(OnFailure::Rollback, why) => {
                        failure = Some(why);
                        rollback = true;
                        break;
                    }
                }
            }
            if rollback {
                break;
            }
        }
        if rollback {
            let why = failure.unwrap_or_default();
            for stage in crate::domain::plan::stages(&plan.rollback) {
                match self.stage(Phase::Rollback, &stage).await {
                    StageEnd::Ok => {}
                    StageEnd::Left => return End::Left,
                    StageEnd::Aborted => {
                        return End::Done(
                            RunStatus::Aborted,
                            format!("aborted by an operator during rollback after: {why}"),
                        );
                    }
                    StageEnd::Failed(_, e) => {
                        return End::Done(
                            RunStatus::Failed,
                            format!("{why}; the rollback failed too: {e}"),
                        );
                    }
                }
            }
            return End::Done(RunStatus::RolledBack, format!("rolled back after: {why}"));
        }
        match failure {
            Some(why) => End::Done(
                RunStatus::Failed,
                format!("finished with a failed step (continued past it): {why}"),
            ),
            None if self.run.dry_run => End::Done(
                RunStatus::Succeeded,
                "dry run: prechecks passed, nothing was executed".into(),
            ),
            None => End::Done(RunStatus::Succeeded, "every step succeeded".into()),
        }
    }

    /// Honour pause/abort before a stage starts.
    async fn gate(&mut self) -> Option<StageEnd> {
        loop {
            let c = *self.control.borrow_and_update();
            match c {
                Control::Go => return None,
                Control::Abort => return Some(StageEnd::Aborted),
                Control::Lost => return Some(StageEnd::Left),
                Control::Pause => {
                    let (id, worker) = (self.run.id, self.w.worker.clone());
                    let _ = self
                        .w
                        .store
                        .set_plan_run_state(
                            id,
                            &worker,
                            "paused",
                            "paused by an operator",
                            now_ms(),
                        )
                        .await;
                    while *self.control.borrow_and_update() == Control::Pause {
                        if self.control.changed().await.is_err() {
                            return Some(StageEnd::Left);
                        }
                    }
                    let _ = self
                        .w
                        .store
                        .set_plan_run_state(id, &worker, "running", "resumed", now_ms())
                        .await;
                }
            }
        }
    }

    async fn stage(&mut self, phase: Phase, stage: &Stage<'_>) -> StageEnd {
        if let Some(end) = self.gate().await {
            return end;
        }
        let steps = stage.steps();
        let ctx = self.ctx.clone();
        let mut work = Vec::new();
        for step in &steps {
            let Some(&seq) = self.seqs.get(&(phase, step.id.clone())) else {
                continue;
            };
            // Before the resume point: done in an earlier attempt of the run. At it, already
            // `skipped`: an operator skipped it when resuming.
            let skipped_by_operator = seq == self.resume_from
                && self
                    .rows
                    .get(&seq)
                    .is_some_and(|r| r.status == StepStatus::Skipped.as_str());
            if seq < self.resume_from || skipped_by_operator {
                continue;
            }
            work.push(self.step(phase, step, seq, &ctx));
        }
        let results = futures::future::join_all(work).await;
        let mut failed: Vec<(&str, String)> = Vec::new();
        let mut aborted = false;
        let mut left = false;
        for (step, r) in steps.iter().zip(results) {
            match r {
                StepEnd::Done(result) => {
                    if result.status == StepStatus::Failed {
                        failed.push((step.id.as_str(), self.step_message(phase, &step.id)));
                    }
                    self.ctx.steps.insert(step.id.clone(), result);
                }
                StepEnd::Aborted => aborted = true,
                StepEnd::Left => left = true,
            }
        }
        if left {
            return StageEnd::Left;
        }
        if aborted {
            return StageEnd::Aborted;
        }
        if failed.is_empty() {
            return StageEnd::Ok;
        }
        let ids: Vec<&str> = failed.iter().map(|(id, _)| *id).collect();
        let how = stage.on_failure(&ids).unwrap_or_default();
        let why = failed
            .iter()
            .map(|(id, m)| format!("step {id} failed: {m}"))
            .collect::<Vec<_>>()
            .join("; ");
        StageEnd::Failed(how, why)
    }

    fn step_message(&self, phase: Phase, id: &str) -> String {
        self.seqs
            .get(&(phase, id.to_owned()))
            .and_then(|s| self.rows.get(s))
            .map(|r| r.message.clone())
            .unwrap_or_default()
    }

    /// One step: `when`, render, resolve the target, attempts with retries, state written as it
    /// goes. Steps of a parallel stage run this concurrently (it only reads `self`).
    async fn step(&self, phase: Phase, step: &Step, seq: i64, ctx: &RenderCtx) -> StepEnd {
        let mut st = StepState::new(self, seq);
        let dry = self.run.dry_run;
        // A dry run executes only read-only verifications: G1 prechecks.
        if dry && !(phase == Phase::Precheck && step.danger == Danger::G1) {
            let shown = render_op(
                &step.op,
                &RenderCtx {
                    preview: true,
                    ..ctx.clone()
                },
            )
            .map(|op| one_line(&op))
            .unwrap_or_else(|e| format!("{} (cannot render: {e})", one_line(&step.op)));
            return st
                .end(
                    StepStatus::Skipped,
                    format!("dry run: would run {shown}"),
                    Outcome::default(),
                )
                .await;
        }
        match when_holds(step, ctx) {
            Ok(true) => {}
            Ok(false) => {
                let w = step.when.clone().unwrap_or_default();
                return st
                    .end(
                        StepStatus::Skipped,
                        format!("when {w} is false"),
                        Outcome::default(),
                    )
                    .await;
            }
            Err(e) => return st.end(StepStatus::Failed, e, Outcome::default()).await,
        }
        let op = match render_op(&step.op, ctx) {
            Ok(op) => op,
            Err(e) => {
                return st
                    .end(StepStatus::Failed, e.message, Outcome::default())
                    .await;
            }
        };
        let target = match self.target(step, ctx) {
            Ok(t) => t,
            Err(e) => return st.end(StepStatus::Failed, e, Outcome::default()).await,
        };
        let attempts = step.attempts();
        let mut last = Outcome::default();
        for attempt in 1..=attempts {
            if !st.start(attempt).await {
                return StepEnd::Left;
            }
            if attempt > 1 {
                st.live
                    .line(&format!("-- attempt {attempt} of {attempts} --"));
            }
            let timeout = Duration::from_millis(step.timeout_ms.max(1));
            let run = self.perform(&op, &target, timeout, seq, &st.live);
            let outcome = match st.follow(run, self.control.clone()).await {
                Followed::Done(r) => r,
                Followed::Aborted => {
                    st.live
                        .line("-- aborted by an operator: operation stopped --");
                    return st.abort().await;
                }
                Followed::Left => return StepEnd::Left,
            };
            last = match outcome {
                Ok(o) => o,
                Err(e) => {
                    st.live.line(&format!("error: {e}"));
                    Outcome::new(false, e)
                }
            };
            if last.ok {
                let m = last.message.clone();
                return st.end(StepStatus::Succeeded, m, last).await;
            }
            if attempt < attempts {
                st.live.line(&format!(
                    "failed: {}; retrying in {} ms",
                    last.message, step.retry_delay_ms
                ));
                let delay = tokio::time::sleep(Duration::from_millis(step.retry_delay_ms));
                match st
                    .follow(
                        async {
                            delay.await;
                            Ok(Outcome::default())
                        },
                        self.control.clone(),
                    )
                    .await
                {
                    Followed::Done(_) => {}
                    Followed::Aborted => return st.abort().await,
                    Followed::Left => return StepEnd::Left,
                }
            }
        }
        let m = if attempts > 1 {
            format!("{} (after {attempts} attempts)", last.message)
        } else {
            last.message.clone()
        };
        st.end(StepStatus::Failed, m, last).await
    }

    fn target(&self, step: &Step, ctx: &RenderCtx) -> Result<Target, String> {
        let Some(t) = &step.target else {
            return Ok(Target::local());
        };
        let name = render(t, ctx).map_err(|e| format!("target: {}", e.message))?;
        let c = self
            .components
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| format!("target {name:?} is not a known component"))?;
        Ok(Target {
            name: c.name.clone(),
            endpoints: c.endpoints.clone(),
            labels: c.labels.clone(),
        })
    }

    /// Perform one attempt of a rendered operation.
    async fn perform(
        &self,
        op: &Op,
        target: &Target,
        timeout: Duration,
        seq: i64,
        live: &Live,
    ) -> Result<Outcome, String> {
        let w = self.w;
        match op {
            Op::Command(c) => {
                let mut env = c.env.clone();
                env.insert("NIGHTWATCH_RUN_ID".into(), self.run.id.to_string());
                env.insert("NIGHTWATCH_PLAN".into(), self.run.plan.clone());
                env.insert("NIGHTWATCH_TARGET".into(), target.name.clone());
                env.insert("NIGHTWATCH_DRY_RUN".into(), self.run.dry_run.to_string());
                ops::command::run(c.interpreter.as_str(), &c.script, &env, timeout, live).await
            }
            Op::Http(h) => {
                let url = match &h.url {
                    Some(u) => target.expand(u).map_err(|e| e.to_string())?,
                    None => target
                        .endpoint("url")
                        .ok_or("no url: give url, or a target with a url endpoint")?,
                };
                ops::http::run(
                    &w.http,
                    &h.method,
                    &url,
                    &h.headers,
                    h.body.as_deref(),
                    &h.expect_status,
                    timeout,
                    live,
                )
                .await
            }
            Op::Sql(s) => {
                let dsn = match &s.dsn {
                    Some(d) => target.expand(d).map_err(|e| e.to_string())?,
                    None => target
                        .endpoint("dsn")
                        .ok_or("no dsn: give dsn, or a target with a dsn endpoint")?,
                };
                let statements: Vec<TargetStatement> = s
                    .statements
                    .iter()
                    .map(|st| TargetStatement {
                        sql: st.sql.clone(),
                        expect_rows: st.expect_rows,
                        is_query: st.is_query(),
                    })
                    .collect();
                ops::sql::run(&dsn, &statements, timeout, live).await
            }
            Op::Redis(r) => {
                let addr = match &r.addr {
                    Some(a) => target.expand(a).map_err(|e| e.to_string())?,
                    None => format!(
                        "{}:{}",
                        target.endpoint("host").ok_or(
                            "no addr: give addr, or a target with host and port endpoints"
                        )?,
                        target.endpoint("port").unwrap_or_else(|| "6379".into())
                    ),
                };
                let password = target.endpoint("password");
                let mut o =
                    ops::redis::run(&addr, None, password.as_deref(), &r.command, timeout, live)
                        .await?;
                if let Some(want) = &r.expect
                    && o.ok
                {
                    let got = o.values.get("REPLY").and_then(Value::as_str).unwrap_or("");
                    if got != want {
                        o.ok = false;
                        o.message = format!("reply {got:?}, expected {want:?}");
                    }
                }
                Ok(o)
            }
            Op::Wait(wt) => {
                live.line(&format!("waiting {} ms", wt.duration_ms));
                tokio::time::sleep(Duration::from_millis(wt.duration_ms)).await;
                Ok(Outcome::new(true, format!("waited {} ms", wt.duration_ms)))
            }
            Op::WaitUntil(g) => {
                let spec: ProbeSpec =
                    serde_json::from_value(g.probe.clone()).map_err(|e| format!("probe: {e}"))?;
                let cond = Condition::parse(&g.condition).map_err(|e| format!("condition: {e}"))?;
                Ok(ops::gate::run(
                    &w.probes,
                    &spec,
                    target,
                    &cond,
                    Duration::from_millis(g.deadline_ms),
                    Duration::from_millis(g.interval_ms.max(10)),
                    live,
                )
                .await)
            }
            Op::Manual(m) => self.manual(seq, &m.instructions, live).await,
            Op::Notify(n) => self.notify(&n.channels, &n.message, live).await,
        }
    }

    /// Wait (status `waiting`) until a person confirms the step (`confirm_manual_step`).
    async fn manual(&self, seq: i64, instructions: &str, live: &Live) -> Result<Outcome, String> {
        live.line(&format!("waiting for a person: {instructions}"));
        let store = &self.w.store;
        let update = StepUpdate {
            status: StepStatus::Waiting.as_str().into(),
            attempts: 1,
            started_at: now_ms(),
            message: format!("waiting for a person to confirm: {instructions}"),
            values_json: "{}".into(),
            output: live.snapshot(),
            ..StepUpdate::default()
        };
        store
            .update_plan_step(self.run.id, seq, &self.w.worker, &update, now_ms())
            .await
            .map_err(|e| e.to_string())?;
        loop {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let steps = store
                .plan_run_steps(self.run.id)
                .await
                .map_err(|e| e.to_string())?;
            if let Some(s) = steps.iter().find(|s| s.seq == seq)
                && s.status == StepStatus::Succeeded.as_str()
            {
                live.line(&s.message);
                return Ok(Outcome::new(true, s.message.clone()));
            }
        }
    }

    /// Queue a message for `channels` (all configured ones when empty).
    async fn notify(
        &self,
        channels: &[String],
        message: &str,
        live: &Live,
    ) -> Result<Outcome, String> {
        let configured = self.w.config.as_ref().map_or_else(Vec::new, |c| {
            parse_channels(&c.borrow().get(CHANNELS_KEY)).0
        });
        let names: Vec<String> = if channels.is_empty() {
            configured.iter().map(|c| c.name.clone()).collect()
        } else {
            channels.to_vec()
        };
        if names.is_empty() {
            // "Every channel" and there are none: nothing to send, which must not fail a plan
            // whose real work is done. Said plainly in the step's message.
            live.line("no notification channel is configured (NOTIFY_CHANNELS): nothing sent");
            return Ok(Outcome::new(
                true,
                "nothing sent: no notification channel is configured (NOTIFY_CHANNELS)",
            ));
        }
        let notice = TextNotice {
            kind: TEXT_NOTICE_KIND.into(),
            title: format!("[plan] {} run {}", self.run.plan, self.run.id),
            text: message.to_owned(),
        };
        let payload = serde_json::to_string(&notice).unwrap_or_default();
        for ch in &names {
            self.w
                .store
                .enqueue_outbox(ch, NO_EVENT, &payload, now_ms())
                .await
                .map_err(|e| e.to_string())?;
            live.line(&format!("queued for {ch}"));
        }
        if let Some(wk) = &self.w.notify_wake {
            wk.notify_one();
        }
        Ok(Outcome::new(
            true,
            format!("queued for {}", names.join(", ")),
        ))
    }
}

/// How a step ended, for its stage.
enum StepEnd {
    Done(StepResult),
    Aborted,
    Left,
}

enum Followed {
    Done(Result<Outcome, String>),
    Aborted,
    Left,
}

/// One step's stored state while it runs.
struct StepState<'a> {
    ex: &'a Exec<'a>,
    seq: i64,
    attempt: u32,
    started_at: i64,
    live: Live,
}

impl<'a> StepState<'a> {
    fn new(ex: &'a Exec<'a>, seq: i64) -> StepState<'a> {
        StepState {
            ex,
            seq,
            attempt: 0,
            started_at: 0,
            live: Live::new(),
        }
    }

    async fn write(&self, u: &StepUpdate) -> bool {
        let (store, id, worker) = (&self.ex.w.store, self.ex.run.id, &self.ex.w.worker);
        match store
            .update_plan_step(id, self.seq, worker, u, now_ms())
            .await
        {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(run = id, seq = self.seq, error = %e, "cannot record a step's state");
                true
            }
        }
    }

    /// Mark attempt `n` running. `false`: the claim is lost.
    async fn start(&mut self, n: u32) -> bool {
        self.attempt = n;
        if self.started_at == 0 {
            self.started_at = now_ms();
        }
        self.write(&StepUpdate {
            status: StepStatus::Running.as_str().into(),
            attempts: i64::from(n),
            started_at: self.started_at,
            finished_at: 0,
            message: String::new(),
            values_json: "{}".into(),
            output: self.live.snapshot(),
        })
        .await
    }

    /// Drive `work`, flushing live output and watching for an abort.
    ///
    /// The flush runs on its own task: `work` may itself be inside a store transaction (a manual
    /// step writing its `waiting` state, a notify step queueing), and a flush awaited here would
    /// stop polling `work` while waiting for the write lock `work` holds.
    async fn follow(
        &self,
        work: impl std::future::Future<Output = Result<Outcome, String>>,
        mut control: watch::Receiver<Control>,
    ) -> Followed {
        tokio::pin!(work);
        let (lost_tx, mut lost) = watch::channel(false);
        // Read now, before `work` first runs: what it writes from then on is flushed even if it
        // comes before the flusher's first turn.
        let written = self.live.version();
        let flusher = tokio::spawn(flush_live(
            self.ex.w.store.clone(),
            self.ex.run.id,
            self.seq,
            self.ex.w.worker.clone(),
            (self.live.clone(), written),
            lost_tx,
        ));
        let followed = loop {
            tokio::select! {
                r = &mut work => break Followed::Done(r),
                r = lost.changed() => {
                    if r.is_ok() && *lost.borrow() {
                        break Followed::Left;
                    }
                }
                r = control.changed() => {
                    let c = if r.is_err() { Control::Lost } else { *control.borrow_and_update() };
                    match c {
                        Control::Abort => break Followed::Aborted,
                        Control::Lost => break Followed::Left,
                        Control::Go | Control::Pause => {}
                    }
                }
            }
        };
        flusher.abort();
        followed
    }

    async fn end(&self, status: StepStatus, message: String, o: Outcome) -> StepEnd {
        let now = now_ms();
        let output = self.live.snapshot();
        let held = self
            .write(&StepUpdate {
                status: status.as_str().into(),
                attempts: i64::from(self.attempt),
                started_at: if self.started_at == 0 {
                    now
                } else {
                    self.started_at
                },
                finished_at: now,
                message: message.clone(),
                values_json: serde_json::to_string(&o.values).unwrap_or_else(|_| "{}".into()),
                output: output.clone(),
            })
            .await;
        if !held {
            return StepEnd::Left;
        }
        StepEnd::Done(StepResult {
            status,
            output: o
                .values
                .get("OUTPUT")
                .and_then(Value::as_str)
                .map_or(output, str::to_owned),
            values: o.values,
        })
    }

    async fn abort(&self) -> StepEnd {
        let now = now_ms();
        self.write(&StepUpdate {
            status: StepStatus::Aborted.as_str().into(),
            attempts: i64::from(self.attempt),
            started_at: self.started_at,
            finished_at: now,
            message: "aborted by an operator".into(),
            values_json: "{}".into(),
            output: self.live.snapshot(),
        })
        .await;
        StepEnd::Aborted
    }
}

/// Write a running step's live output to the store whenever it changed since version `written`,
/// every [`FLUSH`], until aborted; flags `lost` when the claim is gone.
async fn flush_live(
    store: Store,
    run_id: i64,
    seq: i64,
    worker: String,
    (live, written): (Live, u64),
    lost: watch::Sender<bool>,
) {
    let mut flushed = written;
    let mut tick = tokio::time::interval(FLUSH);
    loop {
        tick.tick().await;
        let v = live.version();
        if v == flushed {
            continue;
        }
        flushed = v;
        match store
            .set_plan_step_output(run_id, seq, &worker, &live.snapshot(), now_ms())
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                let _ = lost.send(true);
                return;
            }
            Err(e) => {
                tracing::warn!(run = run_id, seq, error = %e, "cannot record a step's output")
            }
        }
    }
}
