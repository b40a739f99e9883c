//! One step's stored state while it runs: its attempts written as they start and end, the
//! operation driven while watching for an abort, and its live output flushed from a task of its
//! own.

use serde_json::Value;
use tokio::sync::watch;

use super::{Control, Exec, FLUSH};
use crate::child::proc::{boot_id, start_ticks};
use crate::domain::plan::{StepResult, StepStatus};
use crate::domain::time::now_ms;
use crate::ops::{Live, Outcome};
use crate::store::{StepProcess, StepUpdate, Store};

/// How a step ended, for its stage.
pub(super) enum StepEnd {
    Done(StepResult),
    Aborted,
    Left,
}

pub(super) enum Followed {
    Done(Result<Outcome, String>),
    Aborted,
    Left,
}

/// One step's stored state while it runs.
pub(super) struct StepState<'a> {
    ex: &'a Exec<'a>,
    seq: i64,
    attempt: u32,
    started_at: i64,
    pub(super) live: Live,
}

impl<'a> StepState<'a> {
    pub(super) fn new(ex: &'a Exec<'a>, seq: i64) -> StepState<'a> {
        StepState {
            ex,
            seq,
            attempt: 0,
            started_at: 0,
            live: Live::scrubbed(std::sync::Arc::clone(&ex.scrub)),
        }
    }

    /// Write the step's state, every text scrubbed of the secrets in use.
    pub(super) async fn write(&self, u: &StepUpdate) -> bool {
        let (store, id, worker) = (&self.ex.w.store, self.ex.run.id, &self.ex.w.worker);
        let scrub = &self.ex.scrub;
        let u = StepUpdate {
            message: scrub.clean(&u.message),
            values_json: scrub.clean(&u.values_json),
            output: scrub.clean(&u.output),
            ..u.clone()
        };
        match store
            .update_plan_step(id, self.seq, worker, &u, now_ms())
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
    pub(super) async fn start(&mut self, n: u32) -> bool {
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
    pub(super) async fn follow(
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

    pub(super) async fn end(&self, status: StepStatus, message: String, o: Outcome) -> StepEnd {
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

    pub(super) async fn abort(&self) -> StepEnd {
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
/// every [`FLUSH`], until aborted, and the process group it started as soon as there is one;
/// flags `lost` when the claim is gone.
pub(super) async fn flush_live(
    store: Store,
    run_id: i64,
    seq: i64,
    worker: String,
    (live, written): (Live, u64),
    lost: watch::Sender<bool>,
) {
    let mut flushed = written;
    let mut recorded = None;
    let mut tick = tokio::time::interval(FLUSH);
    loop {
        tick.tick().await;
        if let Some(pgid) = live.process().filter(|p| recorded != Some(*p)) {
            recorded = Some(pgid);
            let p = StepProcess {
                run_id,
                seq,
                pgid: i64::from(pgid),
                boot_id: boot_id(),
                proc_start: start_ticks(pgid)
                    .and_then(|t| i64::try_from(t).ok())
                    .unwrap_or(0),
            };
            if let Err(e) = store.set_plan_step_process(&p, &worker).await {
                tracing::warn!(run = run_id, seq, error = %e, "cannot record a step's process group");
            }
        }
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
