//! The process group each running plan step started, recorded with the boot it belongs to and
//! its leader's start time: how an engine finds the survivors of an interrupted run after a crash,
//! and how `plan resume` knows a step may still be running. Cleared whenever the worker writes the
//! step's state (the operation is over by then).

use sqlx::Row;

use super::super::{Store, StoreError};

/// A step's recorded process group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepProcess {
    pub run_id: i64,
    pub seq: i64,
    pub pgid: i64,
    pub boot_id: String,
    /// The group leader's start time, in clock ticks since boot.
    pub proc_start: i64,
}

const COLS: &str = "s.run_id, s.seq, s.pgid, s.boot_id, s.proc_start";

fn row(r: &sqlx::any::AnyRow) -> Result<StepProcess, sqlx::Error> {
    Ok(StepProcess {
        run_id: r.try_get("run_id")?,
        seq: r.try_get("seq")?,
        pgid: r.try_get("pgid")?,
        boot_id: r.try_get("boot_id")?,
        proc_start: r.try_get("proc_start")?,
    })
}

impl Store {
    /// Record the process group of a running step, if `worker` still holds the run.
    pub async fn set_plan_step_process(
        &self,
        p: &StepProcess,
        worker: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let held = self.holds(&mut tx, p.run_id, worker).await?;
        if held {
            sqlx::query(self.sql(
                "UPDATE plan_run_steps SET pgid = ?, boot_id = ?, proc_start = ? \
                 WHERE run_id = ? AND seq = ?",
            ))
            .bind(p.pgid)
            .bind(&p.boot_id)
            .bind(p.proc_start)
            .bind(p.run_id)
            .bind(p.seq)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(held)
    }

    /// Recorded process groups of the steps of run `run_id`.
    pub async fn plan_run_processes(&self, run_id: i64) -> Result<Vec<StepProcess>, StoreError> {
        let q = format!("SELECT {COLS} FROM plan_run_steps s WHERE s.run_id = ? AND s.pgid <> 0");
        let rows = sqlx::query(self.sql(&q))
            .bind(run_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(row).collect::<Result<_, _>>()?)
    }

    /// Recorded process groups on boot `boot_id` of steps whose run was interrupted: what may
    /// have survived a dead engine.
    pub async fn interrupted_processes(
        &self,
        boot_id: &str,
    ) -> Result<Vec<StepProcess>, StoreError> {
        let q = format!(
            "SELECT {COLS} FROM plan_run_steps s JOIN plan_runs r ON r.id = s.run_id \
             WHERE s.pgid <> 0 AND s.boot_id = ? AND r.status = 'interrupted'"
        );
        let rows = sqlx::query(self.sql(&q))
            .bind(boot_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(row).collect::<Result<_, _>>()?)
    }

    /// Forget a step's process group (it was killed, or is known to be gone).
    pub async fn clear_plan_step_process(&self, run_id: i64, seq: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(self.sql("UPDATE plan_run_steps SET pgid = 0 WHERE run_id = ? AND seq = ?"))
            .bind(run_id)
            .bind(seq)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
