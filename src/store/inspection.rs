//! `inspection_runs`, `inspection_results`, `inspection_tracks`: runs go through the database as a
//! queue (queued → claimed with a lease → running → passed / failed / error), results per rule ×
//! target, and the remembered window/threshold state of each rule × target.

use sqlx::Row;

use super::{LeaseClock, Store, StoreError, restart::restarting};
use crate::domain::inspection::Track;
use crate::domain::ssh::ReachError;

/// One run of a task.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunRow {
    pub id: i64,
    pub task: String,
    /// queued, running, passed, failed, interrupted.
    pub status: String,
    /// schedule or manual.
    pub trigger: String,
    pub requested_by: String,
    pub created_at: i64,
    pub started_at: i64,
    pub finished_at: i64,
    /// JSON: {"pass": n, "warn": n, "fail": n, "error": n, "unreach": n}.
    pub summary: String,
}

/// One result of a run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ResultRow {
    pub run_id: i64,
    pub rule: String,
    pub target: String,
    pub verdict: String,
    pub value_json: String,
    pub message: String,
    pub output: String,
    pub duration_ms: i64,
    pub at: i64,
}

pub(super) const RUN_COLS: &str =
    "id, task, status, trigger_kind, requested_by, created_at, started_at, finished_at, summary";

pub(super) fn run_row(r: &sqlx::any::AnyRow) -> Result<RunRow, sqlx::Error> {
    Ok(RunRow {
        id: r.try_get("id")?,
        task: r.try_get("task")?,
        status: r.try_get("status")?,
        trigger: r.try_get("trigger_kind")?,
        requested_by: r.try_get("requested_by")?,
        created_at: r.try_get("created_at")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        summary: r.try_get("summary")?,
    })
}

impl Store {
    /// Queue a run of `task`; returns its id.
    pub async fn queue_run(
        &self,
        task: &str,
        trigger: &str,
        requested_by: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        let q = "INSERT INTO inspection_runs (task, status, trigger_kind, requested_by, claimed_by, lease_until, \
                 created_at, started_at, finished_at, summary) VALUES (?, 'queued', ?, ?, '', 0, ?, 0, 0, '{}')";
        let mut tx = self.begin_write().await?;
        sqlx::query(self.sql(q))
            .bind(task)
            .bind(trigger)
            .bind(requested_by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let id: i64 =
            sqlx::query_scalar(self.sql("SELECT MAX(id) FROM inspection_runs WHERE task = ?"))
                .bind(task)
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Claim the oldest queued run for `worker` with a lease of `lease_ms` past `clock`'s now (the
    /// database's, for engines: see [`LeaseClock`]). Exactly one worker wins a run: the
    /// conditional UPDATE only matches a row still queued.
    pub async fn claim_run(
        &self,
        worker: &str,
        clock: impl Into<LeaseClock>,
        lease_ms: i64,
    ) -> Result<Option<RunRow>, StoreError> {
        let clock = clock.into();
        let candidates: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM inspection_runs WHERE status = 'queued' ORDER BY id LIMIT 8",
        )
        .fetch_all(&self.pool)
        .await?;
        let q = format!(
            "UPDATE inspection_runs SET status = 'running', claimed_by = ?, lease_until = {} + ?, \
             started_at = ? WHERE id = ? AND status = 'queued'",
            self.lease_now()
        );
        for id in candidates {
            let won = sqlx::query(self.sql(&q))
                .bind(worker)
                .bind(clock.param())
                .bind(lease_ms)
                .bind(clock.stamp())
                .bind(id)
                .execute(&self.pool)
                .await?
                .rows_affected()
                == 1;
            if won {
                return self.get_run(id).await.map(Some);
            }
        }
        Ok(None)
    }

    /// Extend the lease of a run this worker holds to `lease_ms` past `clock`'s now.
    pub async fn renew_run(
        &self,
        id: i64,
        worker: &str,
        clock: impl Into<LeaseClock>,
        lease_ms: i64,
    ) -> Result<bool, StoreError> {
        let clock = clock.into();
        let q = format!(
            "UPDATE inspection_runs SET lease_until = {} + ? WHERE id = ? AND claimed_by = ? \
             AND status = 'running'",
            self.lease_now()
        );
        Ok(sqlx::query(self.sql(&q))
            .bind(clock.param())
            .bind(lease_ms)
            .bind(id)
            .bind(worker)
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    /// Mark running runs whose lease expired by `clock` as interrupted (their worker died); never
    /// re-run them silently. Returns how many.
    pub async fn interrupt_expired_runs(
        &self,
        clock: impl Into<LeaseClock>,
    ) -> Result<u64, StoreError> {
        let clock = clock.into();
        let q = format!(
            "UPDATE inspection_runs SET status = 'interrupted', finished_at = ? \
             WHERE status = 'running' AND lease_until < {}",
            self.lease_now()
        );
        Ok(sqlx::query(self.sql(&q))
            .bind(clock.stamp())
            .bind(clock.param())
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// Store one result.
    pub async fn insert_result(&self, r: &ResultRow) -> Result<(), StoreError> {
        let q = "INSERT INTO inspection_results (run_id, rule, target, verdict, value_json, message, output, duration_ms, at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
        sqlx::query(self.sql(q))
            .bind(r.run_id)
            .bind(r.rule.clone())
            .bind(r.target.clone())
            .bind(r.verdict.clone())
            .bind(r.value_json.clone())
            .bind(r.message.clone())
            .bind(r.output.clone())
            .bind(r.duration_ms)
            .bind(r.at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Finish a run held by `worker`.
    pub async fn finish_run(
        &self,
        id: i64,
        worker: &str,
        status: &str,
        summary: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let q = "UPDATE inspection_runs SET status = ?, summary = ?, finished_at = ? WHERE id = ? AND claimed_by = ?";
        sqlx::query(self.sql(q))
            .bind(status)
            .bind(summary)
            .bind(now)
            .bind(id)
            .bind(worker)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn get_run(&self, id: i64) -> Result<RunRow, StoreError> {
        let q = format!("SELECT {RUN_COLS} FROM inspection_runs WHERE id = ?");
        let row = sqlx::query(self.sql(&q))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("run {id}")))?;
        Ok(run_row(&row)?)
    }

    /// The newest runs (of one task, or all), newest first.
    pub async fn list_runs(
        &self,
        task: Option<&str>,
        limit: i64,
    ) -> Result<Vec<RunRow>, StoreError> {
        let rows = match task {
            Some(t) => {
                let q = format!(
                    "SELECT {RUN_COLS} FROM inspection_runs WHERE task = ? ORDER BY id DESC LIMIT ?"
                );
                sqlx::query(self.sql(&q))
                    .bind(t)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                let q = format!("SELECT {RUN_COLS} FROM inspection_runs ORDER BY id DESC LIMIT ?");
                sqlx::query(self.sql(&q))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        Ok(rows.iter().map(run_row).collect::<Result<_, _>>()?)
    }

    /// Every result of a run, by rule then target.
    pub async fn run_results(&self, run_id: i64) -> Result<Vec<ResultRow>, StoreError> {
        let q = "SELECT run_id, rule, target, verdict, value_json, message, output, duration_ms, at \
                 FROM inspection_results WHERE run_id = ? ORDER BY rule, target";
        let rows = sqlx::query(self.sql(q))
            .bind(run_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ResultRow {
                    run_id: r.try_get("run_id")?,
                    rule: r.try_get("rule")?,
                    target: r.try_get("target")?,
                    verdict: r.try_get("verdict")?,
                    value_json: r.try_get("value_json")?,
                    message: r.try_get("message")?,
                    output: r.try_get("output")?,
                    duration_ms: r.try_get("duration_ms")?,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }

    /// The remembered state of a rule × target (default when never observed).
    pub async fn get_track(&self, rule: &str, target: &str) -> Result<Track, StoreError> {
        let q = "SELECT state FROM inspection_tracks WHERE rule = ? AND target = ?";
        let state: Option<String> = sqlx::query_scalar(self.sql(q))
            .bind(rule)
            .bind(target)
            .fetch_optional(&self.pool)
            .await?;
        Ok(state
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default())
    }

    pub async fn put_track(
        &self,
        rule: &str,
        target: &str,
        t: &Track,
        now: i64,
    ) -> Result<(), StoreError> {
        let q = self.dialect.upsert(
            "inspection_tracks",
            &["rule", "target", "state", "updated_at"],
            &["rule", "target"],
            &["state", "updated_at"],
        );
        let state = serde_json::to_string(t).unwrap_or_default();
        // An upsert into a unique index: InnoDB may pick it as a deadlock victim when the run's
        // checks write their tracks at once.
        restarting(|| {
            sqlx::query(self.sql(&q))
                .bind(rule)
                .bind(target)
                .bind(&state)
                .bind(now)
                .execute(&self.pool)
        })
        .await?;
        Ok(())
    }

    /// Each target's last connection error, newest first: from the checks whose last
    /// observation could not reach the target's host (a track keeps the reason until the same
    /// check measures again). A `LIKE` on the stored state keeps the other tracks unparsed.
    pub async fn reach_errors(&self) -> Result<Vec<ReachError>, StoreError> {
        let q = "SELECT target, state, updated_at FROM inspection_tracks WHERE state LIKE ? \
                 ORDER BY updated_at DESC";
        let rows = sqlx::query(self.sql(q))
            .bind("%\"unreachable\":%")
            .fetch_all(&self.pool)
            .await?;
        let mut out: Vec<ReachError> = Vec::new();
        for r in rows {
            let component: String = r.try_get("target")?;
            let state: String = r.try_get("state")?;
            let Some(error) = serde_json::from_str::<Track>(&state)
                .ok()
                .and_then(|t| t.unreachable)
            else {
                continue;
            };
            if !out.iter().any(|e| e.component == component) {
                out.push(ReachError {
                    component,
                    error,
                    at: r.try_get("updated_at")?,
                });
            }
        }
        Ok(out)
    }

    /// Tasks due at `now` (enabled, `next_run <= now`), and move their `next_run` to `next`
    /// computed by the caller; a conditional UPDATE so two schedulers never both queue one run.
    pub async fn take_due_task(&self, task: &str, due: i64, next: i64) -> Result<bool, StoreError> {
        let q = "UPDATE tasks SET next_run = ? WHERE name = ? AND next_run = ? AND enabled = 1";
        Ok(sqlx::query(self.sql(q))
            .bind(next)
            .bind(task)
            .bind(due)
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    /// (task name, next_run) of enabled tasks.
    pub async fn task_schedule(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows =
            sqlx::query("SELECT name, next_run FROM tasks WHERE enabled = 1 ORDER BY next_run")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("name")?, r.try_get("next_run")?)))
            .collect()
    }
}
