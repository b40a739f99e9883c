//! Fault diagnosis in the engine. The **matcher** (on the master) reads the event log for entries
//! that start an alerting episode (`received`, `reopened`) and queues one run for each event whose
//! best-matching scenario names a tree; the dedup key `auto:LOG_ID` makes that exactly once
//! whichever engine gets there. Every engine's **worker** claims queued runs with a lease (at most
//! [`CONCURRENCY`] at once), walks the tree with the probe library, and records the path and the
//! conclusion on the run and on the event's timeline. A run whose engine died is interrupted by
//! the next engine that looks, as plan runs are.
//!
//! Values are data: the event chooses only which topology component a node probes (by the
//! facts `domain::plan::component_of`/`peer_of` derive); the probe spec is the tree's content,
//! and what the walk finds goes into text and plan parameters, never into a probe.

mod walk;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use super::config_watch::Effective;
use super::inspect::ProbeFn;
use super::metrics::Metrics;
use crate::domain::diagnosis::Trace;
use crate::domain::event::Status;
use crate::domain::plan::Scenario;
use crate::domain::time::now_ms;

use crate::store::{DiagnosisEnd, DiagnosisRow, LeaseClock, NewDiagnosis, Store, StoreError};
pub use walk::{facts_of, log_line, scenario_for, walk};

/// A run's lease; renewed every third of it while the walk goes on.
pub const LEASE_MS: i64 = 30_000;
/// Runs one engine walks at once.
pub const CONCURRENCY: usize = 4;
/// Event-log entries the matcher reads again behind its cursor: on a server, a transaction that
/// took a lower id may commit after a higher one was read.
const OVERLAP: i64 = 1_000;
/// Entries read per scan.
const SCAN: i64 = 500;

/// Why an operator's diagnosis could not be queued.
#[derive(Debug, thiserror::Error)]
pub enum QueueRefused {
    #[error("no event {0} (see `nightwatch events list`)")]
    NoEvent(i64),
    #[error("no tree named {0:?} (see `nightwatch diagnosis list`)")]
    NoTree(String),
    #[error(
        "event {0} matches no scenario with a diagnosis tree: name one with --tree (see `nightwatch diagnosis list`)"
    )]
    NoScenario(i64),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// Queue an operator's run for `event_id`: of `tree`, else of the tree of the event's best
/// scenario. Returns the run id and the tree.
pub async fn queue_for_event(
    store: &Store,
    event_id: i64,
    tree: Option<String>,
    actor: &str,
) -> Result<(i64, String), QueueRefused> {
    let event = store.get_event(event_id).await.map_err(|e| match e {
        StoreError::NotFound(_) => QueueRefused::NoEvent(event_id),
        e => e.into(),
    })?;
    let (tree, scenario) = match tree {
        Some(t) => {
            if !store.tree_definitions().await?.iter().any(|x| x.name == t) {
                return Err(QueueRefused::NoTree(t));
            }
            (t, String::new())
        }
        None => {
            let scenarios = store.scenario_definitions().await?;
            let s = scenario_for(&scenarios, &event).ok_or(QueueRefused::NoScenario(event_id))?;
            (s.tree.clone().unwrap_or_default(), s.name.clone())
        }
    };
    let new = NewDiagnosis {
        event_id,
        tree: tree.clone(),
        scenario,
        dedup: format!("manual:{:016x}", rand::random::<u64>()),
        source_log: 0,
        requested_by: actor.to_owned(),
    };
    let id = store
        .queue_diagnosis(&new, now_ms())
        .await?
        .ok_or_else(|| StoreError::Conflict("the run was queued twice; try again".into()))?;
    Ok((id, tree))
}

/// Queue the runs the event log calls for since the cursor; returns how many were queued.
/// `seen` remembers the entries handled in the overlap window.
pub async fn match_once(store: &Store, seen: &mut BTreeSet<i64>) -> Result<usize, StoreError> {
    let cursor = store.diagnosis_cursor().await?;
    let logs = store
        .alerting_logs_after((cursor - OVERLAP).max(0), SCAN)
        .await?;
    let fresh: Vec<(i64, i64)> = logs
        .into_iter()
        .filter(|(l, _)| !seen.contains(l))
        .collect();
    if fresh.is_empty() {
        return Ok(0);
    }
    let scenarios: Vec<Scenario> = store
        .scenario_definitions()
        .await?
        .into_iter()
        .filter(|s| s.tree.is_some())
        .collect();
    let now = now_ms();
    let mut queued = 0;
    let mut high = cursor;
    for (log, event_id) in fresh {
        if !scenarios.is_empty() {
            let event = match store.get_event(event_id).await {
                Ok(e) => Some(e),
                Err(StoreError::NotFound(_)) => None,
                Err(e) => return Err(e),
            };
            if let Some(event) =
                event.filter(|e| e.firing && matches!(e.status, Status::Open | Status::Acked))
                && let Some(s) = scenario_for(&scenarios, &event)
            {
                let tree = s.tree.clone().unwrap_or_default();
                let new = NewDiagnosis {
                    event_id,
                    tree,
                    scenario: s.name.clone(),
                    dedup: format!("auto:{log}"),
                    source_log: log,
                    requested_by: "engine".to_owned(),
                };
                if store.queue_diagnosis(&new, now).await?.is_some() {
                    queued += 1;
                }
            }
        }
        seen.insert(log);
        high = high.max(log);
    }
    store.advance_diagnosis_cursor(high, now).await?;
    let floor = high - OVERLAP;
    seen.retain(|l| *l >= floor);
    Ok(queued)
}

/// The matcher: on the master, every half second or when woken.
pub async fn match_loop(
    store: Store,
    metrics: Arc<Metrics>,
    wake: Arc<Notify>,
    work: Arc<Notify>,
    cancel: CancellationToken,
) {
    let mut seen = BTreeSet::new();
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            _ = tick.tick() => {}
            () = wake.notified() => {}
        }
        if !metrics.is_master.load(Ordering::Relaxed) {
            continue;
        }
        match match_once(&store, &mut seen).await {
            Ok(n) if n > 0 => work.notify_one(),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "diagnosis matcher cannot read the event log"),
        }
    }
}

/// What walks claimed runs.
#[derive(Clone)]
pub struct Diagnoser {
    pub store: Store,
    pub probe: ProbeFn,
    pub config: Option<watch::Receiver<Arc<Effective>>>,
    pub worker: String,
    pub lease_ms: i64,
}

impl Diagnoser {
    /// Walk a claimed run and record how it ended; returns the trace.
    pub async fn run(&self, run: &DiagnosisRow) -> Result<Trace, StoreError> {
        let store = &self.store;
        let renew = {
            let (store, worker, id, lease) =
                (store.clone(), self.worker.clone(), run.id, self.lease_ms);
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(
                        u64::try_from(lease / 3).unwrap_or(10_000),
                    ))
                    .await;
                    if !store
                        .renew_diagnosis(id, &worker, LeaseClock::Database, lease)
                        .await
                        .unwrap_or(false)
                    {
                        break;
                    }
                }
            })
        };
        let trace = self.walk_run(run).await;
        renew.abort();
        let trace = trace?;
        let text = serde_json::to_string(&trace).unwrap_or_default();
        let (conclusion, cause, level) = trace.conclusion.as_ref().map_or_else(
            || {
                (
                    String::new(),
                    trace.error.clone().unwrap_or_default(),
                    String::new(),
                )
            },
            |c| (c.id.clone(), c.cause.clone(), c.level.as_str().to_owned()),
        );
        let log = log_line(run.id, &run.tree, &trace);
        let finished = store
            .finish_diagnosis(
                run.id,
                &self.worker,
                &DiagnosisEnd {
                    status: if trace.conclusion.is_some() {
                        "done"
                    } else {
                        "failed"
                    },
                    trace: &text,
                    conclusion: &conclusion,
                    cause: &cause,
                    level: &level,
                    log: &log,
                },
                now_ms(),
            )
            .await?;
        // Only the engine that recorded the conclusion judges the scenario's self-heal policy:
        // once per diagnosis, whichever engines saw the event; and only for the engine's own
        // diagnoses (an operator's `d` or `nightwatch diagnose` never starts a plan).
        if finished && run.requested_by == "engine" && !run.scenario.is_empty() {
            let done = DiagnosisRow {
                status: "done".into(),
                ..run.clone()
            };
            if let Err(e) = super::selfheal::after_diagnosis(store, &done, &trace).await {
                tracing::error!(run = run.id, error = %e, "self-heal decision failed");
            }
        }
        Ok(trace)
    }

    async fn walk_run(&self, run: &DiagnosisRow) -> Result<Trace, StoreError> {
        let trees = self.store.tree_definitions().await?;
        let Some(tree) = trees.iter().find(|t| t.name == run.tree) else {
            return Ok(Trace {
                error: Some(format!("tree {:?} no longer exists", run.tree)),
                ..Trace::default()
            });
        };
        let event = self.store.get_event(run.event_id).await?;
        let components = self.store.list_components().await?;
        Ok(walk(tree, &event, &components, &self.probe, self.config.as_ref()).await)
    }
}

/// Every engine: claim queued runs (at most [`CONCURRENCY`] at once) and walk them; interrupt
/// runs whose engine died.
pub async fn work_loop(d: Diagnoser, wake: Arc<Notify>, cancel: CancellationToken) {
    let mut running = tokio::task::JoinSet::new();
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            _ = tick.tick() => {}
            () = wake.notified() => {}
            Some(_) = running.join_next(), if !running.is_empty() => {}
        }
        if let Err(e) = d
            .store
            .interrupt_expired_diagnoses(LeaseClock::Database)
            .await
        {
            tracing::warn!(error = %e, "cannot mark expired diagnosis runs");
        }
        while running.len() < CONCURRENCY {
            let run = match d
                .store
                .claim_diagnosis(&d.worker, None, LeaseClock::Database, d.lease_ms)
                .await
            {
                Ok(Some(r)) => r,
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot claim diagnosis runs");
                    break;
                }
            };
            let d = d.clone();
            running.spawn(async move {
                match d.run(&run).await {
                    Ok(t) => tracing::info!(run = run.id, tree = %run.tree, concluded = ?t.conclusion.map(|c| c.id), "diagnosis finished"),
                    Err(e) => tracing::error!(run = run.id, error = %e, "diagnosis run failed"),
                }
            });
        }
    }
    // Cancellation waits for the walks in flight (each is bounded by its tree's max_time).
    while running.join_next().await.is_some() {}
}
