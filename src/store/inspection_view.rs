//! What the console's Inspections pane reads and writes, kept cheap enough to poll every second:
//! a change stamp (the newest run id and the runs still under way), the tasks with their latest
//! runs, one task's run count, one run's results after a cursor, and a manual run request that is
//! queued and audited in one transaction.
//!
//! Nothing here loads every run: runs are many (one per task per minute), so the task list reads
//! at most `recent` runs per task through the `(task, id)` index, and a run's results are read for
//! that run alone.

use sqlx::Row;

use super::inspection::{RUN_COLS, RunRow, run_row};
use super::{NewAudit, ResultRow, Store, StoreError};
use crate::domain::Danger;
use crate::domain::content::Task;

/// Whether anything the Inspections pane shows may have changed. A run changes only while it is
/// queued or running (the engine finishes it, or marks it interrupted, on the way out of that set),
/// so the newest id plus the ids and statuses of the runs under way catch every change of a run;
/// the tasks' count and newest `updated_at` catch `nightwatch apply`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InspectionStamp {
    /// The highest run id (0 when there is none).
    pub max_run_id: i64,
    /// (id, status) of the runs queued or running, by id.
    pub active: Vec<(i64, String)>,
    /// How many tasks exist.
    pub tasks: i64,
    /// The newest `updated_at` of any task.
    pub tasks_updated: i64,
}

/// A task as the pane lists it: its definition, schedule state and latest runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSummary {
    /// The stored definition.
    pub task: Task,
    /// The `enabled` column (what the scheduler obeys).
    pub enabled: bool,
    /// When the scheduler queues it next (epoch ms).
    pub next_run: i64,
    /// Its newest runs, newest first (at most the `recent` asked for).
    pub recent: Vec<RunRow>,
}

impl Store {
    /// The change stamp: three small indexed reads (the primary key's maximum, the status index,
    /// the few task rows).
    pub async fn inspection_stamp(&self) -> Result<InspectionStamp, StoreError> {
        let max: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM inspection_runs")
            .fetch_one(&self.pool)
            .await?;
        let rows = sqlx::query(
            "SELECT id, status FROM inspection_runs WHERE status IN ('queued', 'running') ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        let active = rows
            .iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("status")?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let (tasks, updated): (i64, Option<i64>) =
            sqlx::query("SELECT COUNT(*) AS n, MAX(updated_at) AS t FROM tasks")
                .fetch_one(&self.pool)
                .await
                .and_then(|r| Ok((r.try_get("n")?, r.try_get("t")?)))?;
        Ok(InspectionStamp {
            max_run_id: max.unwrap_or(0),
            active,
            tasks,
            tasks_updated: updated.unwrap_or(0),
        })
    }

    /// Every task by name with its newest `recent` runs (one indexed read per task; tasks are few).
    pub async fn task_summaries(&self, recent: i64) -> Result<Vec<TaskSummary>, StoreError> {
        let rows =
            sqlx::query("SELECT name, definition, enabled, next_run FROM tasks ORDER BY name")
                .fetch_all(&self.pool)
                .await?;
        let q = format!(
            "SELECT {RUN_COLS} FROM inspection_runs WHERE task = ? ORDER BY id DESC LIMIT ?"
        );
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let text: String = r.try_get("definition")?;
            let task: Task = serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
                table: "tasks",
                reason: e.to_string(),
            })?;
            let enabled: i64 = r.try_get("enabled")?;
            let next_run: i64 = r.try_get("next_run")?;
            let runs = sqlx::query(self.sql(&q))
                .bind(task.name.clone())
                .bind(recent.max(0))
                .fetch_all(&self.pool)
                .await?;
            let recent = runs.iter().map(run_row).collect::<Result<_, _>>()?;
            out.push(TaskSummary {
                task,
                enabled: enabled != 0,
                next_run,
                recent,
            });
        }
        Ok(out)
    }

    /// How many runs a task has (an index-only count).
    pub async fn count_runs(&self, task: &str) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar(self.sql("SELECT COUNT(*) FROM inspection_runs WHERE task = ?"))
                .bind(task)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// The results of one run whose id is above `after` (0: all of them), by id, each with its id
    /// (the next cursor).
    pub async fn run_results_after(
        &self,
        run_id: i64,
        after: i64,
    ) -> Result<Vec<(i64, ResultRow)>, StoreError> {
        let q = "SELECT id, run_id, rule, target, verdict, value_json, message, output, duration_ms, at \
                 FROM inspection_results WHERE run_id = ? AND id > ? ORDER BY id";
        let rows = sqlx::query(self.sql(q))
            .bind(run_id)
            .bind(after)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    ResultRow {
                        run_id: r.try_get("run_id")?,
                        rule: r.try_get("rule")?,
                        target: r.try_get("target")?,
                        verdict: r.try_get("verdict")?,
                        value_json: r.try_get("value_json")?,
                        message: r.try_get("message")?,
                        output: r.try_get("output")?,
                        duration_ms: r.try_get("duration_ms")?,
                        at: r.try_get("at")?,
                    },
                ))
            })
            .collect()
    }

    /// An operator asks for a run of `task` now: queued with trigger `manual` and audited (G1) in
    /// one transaction; an engine claims it like any other. `NotFound` when the task does not exist.
    pub async fn request_run(
        &self,
        task: &str,
        actor: &str,
        reason: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let known: i64 = sqlx::query_scalar(self.sql("SELECT COUNT(*) FROM tasks WHERE name = ?"))
            .bind(task)
            .fetch_one(&mut *tx)
            .await?;
        if known == 0 {
            return Err(StoreError::NotFound(format!("task {task}")));
        }
        let q = "INSERT INTO inspection_runs (task, status, trigger_kind, requested_by, claimed_by, \
                 lease_until, created_at, started_at, finished_at, summary) \
                 VALUES (?, 'queued', 'manual', ?, '', 0, ?, 0, 0, '{}')";
        sqlx::query(self.sql(q))
            .bind(task)
            .bind(actor)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        // Inside the write transaction no other run of any task can be inserted meanwhile.
        let id: i64 =
            sqlx::query_scalar(self.sql("SELECT MAX(id) FROM inspection_runs WHERE task = ?"))
                .bind(task)
                .fetch_one(&mut *tx)
                .await?;
        let why = if reason.is_empty() {
            format!("manual run {id}")
        } else {
            format!("manual run {id}: {reason}")
        };
        let audit = NewAudit::new(actor, "inspection.run", task, Danger::G1)
            .reason(&why)
            .after(serde_json::json!({ "run": id }));
        self.insert_audit_in(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(id)
    }
}
