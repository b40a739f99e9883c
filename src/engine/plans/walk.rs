//! Walking a run's outline: phases in order (rollback only when a failure asks for it), stages
//! serial or parallel, pause/abort honoured between stages, and one step at a time through its
//! `when`, rendering, target, attempts and retries.

use std::time::Duration;

use super::{Control, End, Exec, Followed, StepEnd, StepState};
use crate::domain::Danger;
use crate::domain::plan::{
    OnFailure, Phase, RenderCtx, RunStatus, Stage, Step, StepStatus, one_line, op_code_problems,
    outline, render_op, when_holds,
};
use crate::domain::time::now_ms;
use crate::ops::Outcome;

/// How a stage ended.
enum StageEnd {
    Ok,
    Failed(OnFailure, String),
    Aborted,
    Left,
}

impl Exec<'_> {
    pub(super) async fn walk(&mut self) -> End {
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
        // Values are data: an operation whose code holds a template is never run, even from a
        // definition stored before `apply` refused it (launching refuses it too).
        if let Some(m) = op_code_problems(&step.op).into_iter().next() {
            return st
                .end(
                    StepStatus::Failed,
                    format!("refused: {m}"),
                    Outcome::default(),
                )
                .await;
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
            let run = self.perform(&op, &target, timeout, (phase, seq), &st.live);
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
}
