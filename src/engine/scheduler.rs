//! Scheduling inspection tasks and working off queued runs.
//!
//! The scheduler runs on every engine but acts only on the master (the lease holder): once a
//! second it queues a run for each task whose `next_run` has come, moving `next_run` forward with a
//! conditional UPDATE so a master change never queues a run twice. Workers (every engine) claim
//! queued runs with a lease, renew it while running, and mark runs whose lease expired (a worker
//! died) `interrupted` — never silently re-run.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::Metrics;
use super::inspect::Runner;
use crate::domain::content::{Schedule, Task};
use crate::domain::inspection::parse_duration;
use crate::domain::time::now_ms;
use crate::store::{LeaseClock, Store};

/// How long a claimed run's lease lasts; renewed every third of it while the run is going.
const LEASE_MS: i64 = 30_000;

/// When a task with `schedule` runs next after `now` (epoch ms).
pub fn next_run(schedule: &Schedule, now: i64) -> Option<i64> {
    match schedule {
        Schedule::Every(text) => parse_duration(text)
            .ok()
            .filter(|ms| *ms > 0)
            .map(|ms| now + ms),
        Schedule::Cron(expr) => {
            let cron = croner::Cron::from_str(expr).ok()?;
            let at = chrono::DateTime::from_timestamp_millis(now)?;
            cron.find_next_occurrence(&at, false)
                .ok()
                .map(|t| t.timestamp_millis())
        }
    }
}

/// Queue due tasks while this engine is master.
pub async fn schedule_loop(
    store: Store,
    metrics: Arc<Metrics>,
    wake: Arc<Notify>,
    cancel: CancellationToken,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            _ = tick.tick() => {}
        }
        if !metrics.is_master.load(Ordering::Relaxed) {
            continue;
        }
        if let Err(e) = queue_due(&store, &wake).await {
            tracing::warn!(error = %e, "scheduler round failed; retrying");
        }
    }
}

async fn queue_due(store: &Store, wake: &Notify) -> Result<(), crate::store::StoreError> {
    let now = now_ms();
    let due: Vec<(String, i64)> = store
        .task_schedule()
        .await?
        .into_iter()
        .filter(|(_, next)| *next <= now)
        .collect();
    if due.is_empty() {
        return Ok(());
    }
    let tasks = store.list_tasks().await?;
    for (name, at) in due {
        let Some(task) = tasks.iter().find(|t| t.name == name) else {
            continue;
        };
        // A missed schedule (engine down) runs once now, not once per missed slot.
        let next = next_run(&task.schedule, now).unwrap_or(now + 60_000);
        if store.take_due_task(&name, at, next).await? {
            store.queue_run(&name, "schedule", "scheduler", now).await?;
            wake.notify_one();
        }
    }
    Ok(())
}

/// Claim and execute queued runs until cancelled.
pub async fn work_loop(
    runner: Runner,
    worker: String,
    wake: Arc<Notify>,
    cancel: CancellationToken,
) {
    let store = runner.store.clone();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            _ = tick.tick() => {}
            () = wake.notified() => {}
        }
        if let Err(e) = store.interrupt_expired_runs(LeaseClock::Database).await {
            tracing::warn!(error = %e, "cannot mark expired runs");
        }
        // Drain what is queued now; each run is awaited, so cancellation waits for the current one.
        loop {
            let claimed = match store
                .claim_run(&worker, LeaseClock::Database, LEASE_MS)
                .await
            {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot claim runs");
                    break;
                }
            };
            let Some(run) = claimed else { break };
            let task = store
                .list_tasks()
                .await
                .ok()
                .and_then(|ts| ts.into_iter().find(|t| t.name == run.task));
            run_with_lease(&runner, &worker, run.id, task).await;
            if cancel.is_cancelled() {
                break;
            }
        }
    }
}

async fn run_with_lease(runner: &Runner, worker: &str, run_id: i64, task: Option<Task>) {
    let store = &runner.store;
    let Some(task) = task else {
        let _ = store
            .finish_run(
                run_id,
                worker,
                "failed",
                r#"{"error":"task no longer exists"}"#,
                now_ms(),
            )
            .await;
        return;
    };
    // Renew the lease while the run goes on; if renewal fails we keep going and the run may end up
    // marked interrupted, which an operator sees.
    let renew = {
        let (store, worker) = (store.clone(), worker.to_owned());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(
                    u64::try_from(LEASE_MS / 3).unwrap_or(10_000),
                ))
                .await;
                if !store
                    .renew_run(run_id, &worker, LeaseClock::Database, LEASE_MS)
                    .await
                    .unwrap_or(false)
                {
                    break;
                }
            }
        })
    };
    match runner.execute(&task, run_id, worker).await {
        Ok(summary) => {
            tracing::info!(task = %task.name, run_id, ?summary, "inspection run finished")
        }
        Err(e) => {
            tracing::error!(task = %task.name, run_id, error = %e, "inspection run failed");
            let _ = store
                .finish_run(
                    run_id,
                    worker,
                    "failed",
                    &serde_json::json!({"error": e.to_string()}).to_string(),
                    now_ms(),
                )
                .await;
        }
    }
    renew.abort();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_runs() {
        assert_eq!(next_run(&Schedule::Every("1m".into()), 1_000), Some(61_000));
        // 00:00:00 → the next */5 minute boundary is 00:05:00.
        assert_eq!(
            next_run(&Schedule::Cron("*/5 * * * *".into()), 0),
            Some(300_000)
        );
        assert_eq!(next_run(&Schedule::Cron("nonsense".into()), 0), None);
    }
}
