//! Plan runs as a queue: queue a run with its steps, claim it with a lease, renew, interrupt
//! expired ones, write step state and output as the holder, finish; reads for the CLI and the
//! console; the linked event's timeline.

use sqlx::Row;

use super::super::audit::NewAudit;
use super::super::{LeaseClock, Store, StoreError};
use super::{
    LOG, NewPlanRun, PlanRunRow, RUN_COLS, STEP_COLS, StepRow, StepUpdate, danger_of, run_row,
    step_row,
};

impl Store {
    /// Queue a run with its steps, its audit entry and (when launched from an event) the event's
    /// timeline entry, in one transaction. Returns the run id.
    pub async fn queue_plan_run(&self, r: &NewPlanRun, now: i64) -> Result<i64, StoreError> {
        let status = if r.approval_required {
            "awaiting_approval"
        } else {
            "queued"
        };
        let mut tx = self.begin_write().await?;
        // The new row is found again by a nonce (MAX(id) could see another writer's row on a
        // server database), which is cleared in the same transaction.
        let nonce = format!("queue:{:016x}", rand::random::<u64>());
        let q = "INSERT INTO plan_runs (plan, version, status, params, dry_run, danger, requested_by, \
                 reason, approval_required, approved_by, event_id, claimed_by, lease_until, control, \
                 resume_from, created_at, started_at, finished_at, updated_at, message) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, 0, '', '', ?, 0, 0, ?, '')";
        sqlx::query(self.sql(q))
            .bind(&r.plan)
            .bind(r.version)
            .bind(status)
            .bind(&r.params)
            .bind(i64::from(r.dry_run))
            .bind(&r.danger)
            .bind(&r.requested_by)
            .bind(&r.reason)
            .bind(i64::from(r.approval_required))
            .bind(r.event_id)
            .bind(&nonce)
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let id: i64 = sqlx::query_scalar(self.sql("SELECT id FROM plan_runs WHERE claimed_by = ?"))
            .bind(&nonce)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(self.sql("UPDATE plan_runs SET claimed_by = '' WHERE id = ?"))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for (i, s) in r.steps.iter().enumerate() {
            let q = "INSERT INTO plan_run_steps (run_id, seq, phase, step_id, title, kind, danger, grp, \
                     status, attempts, started_at, finished_at, updated_at, rendered, message, \
                     values_json, output) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, 0, 0, ?, ?, '', '{}', '')";
            sqlx::query(self.sql(q))
                .bind(id)
                .bind(i64::try_from(i).unwrap_or(i64::MAX) + 1)
                .bind(&s.phase)
                .bind(&s.step_id)
                .bind(&s.title)
                .bind(&s.kind)
                .bind(&s.danger)
                .bind(&s.group)
                .bind(now)
                .bind(&s.rendered)
                .execute(&mut *tx)
                .await?;
        }
        let action = if r.dry_run {
            "plan.dry_run"
        } else {
            "plan.run"
        };
        let audit = NewAudit::new(&r.requested_by, action, &r.plan, danger_of(&r.danger))
            .reason(&r.reason)
            .after(serde_json::json!({"run": id, "version": r.version, "params": serde_json::from_str::<serde_json::Value>(&r.params).unwrap_or_default(), "event": r.event_id}));
        self.insert_audit_in(&mut tx, &audit).await?;
        if r.event_id != 0 {
            let what = if r.dry_run { "dry run of plan" } else { "plan" };
            sqlx::query(self.sql(LOG))
                .bind(r.event_id)
                .bind(now)
                .bind("plan-started")
                .bind(&r.requested_by)
                .bind(format!(
                    "{what} {} v{} queued as run {id}",
                    r.plan, r.version
                ))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Claim the oldest queued run for `worker` for `lease_ms` (`queued` → `running`). The lease's
    /// end is set by `clock` (the database's, for engines: see [`LeaseClock`]).
    pub async fn claim_plan_run(
        &self,
        worker: &str,
        clock: impl Into<LeaseClock>,
        lease_ms: i64,
    ) -> Result<Option<PlanRunRow>, StoreError> {
        let clock = clock.into();
        let now = clock.stamp();
        let candidates: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM plan_runs WHERE status = 'queued' ORDER BY id LIMIT 8",
        )
        .fetch_all(&self.pool)
        .await?;
        let q = format!(
            "UPDATE plan_runs SET status = 'running', claimed_by = ?, lease_until = {} + ?, \
             started_at = CASE WHEN started_at = 0 THEN ? ELSE started_at END, updated_at = ? \
             WHERE id = ? AND status = 'queued'",
            self.lease_now()
        );
        for id in candidates {
            let won = sqlx::query(self.sql(&q))
                .bind(worker)
                .bind(clock.param())
                .bind(lease_ms)
                .bind(now)
                .bind(now)
                .bind(id)
                .execute(&self.pool)
                .await?
                .rows_affected()
                == 1;
            if won {
                return self.get_plan_run(id).await.map(Some);
            }
        }
        Ok(None)
    }

    /// Extend the lease of a run `worker` holds to `lease_ms` past `clock`'s now; also returns the
    /// run's pending `control` request. `None`: the claim is lost (the run was interrupted
    /// meanwhile).
    pub async fn renew_plan_run(
        &self,
        id: i64,
        worker: &str,
        clock: impl Into<LeaseClock>,
        lease_ms: i64,
    ) -> Result<Option<String>, StoreError> {
        let clock = clock.into();
        let q = format!(
            "UPDATE plan_runs SET lease_until = {} + ? WHERE id = ? AND claimed_by = ? \
             AND status IN ('running', 'paused')",
            self.lease_now()
        );
        let n = sqlx::query(self.sql(&q))
            .bind(clock.param())
            .bind(lease_ms)
            .bind(id)
            .bind(worker)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if n == 0 {
            return Ok(None);
        }
        let control: String =
            sqlx::query_scalar(self.sql("SELECT control FROM plan_runs WHERE id = ?"))
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
        Ok(Some(control))
    }

    /// Runs (and their running steps) whose lease expired by `clock` become `interrupted`: their
    /// worker died. Returns their ids. The expiry is judged inside the conditional UPDATE, so a
    /// lease renewed meanwhile is never interrupted.
    pub async fn interrupt_expired_plan_runs(
        &self,
        clock: impl Into<LeaseClock>,
    ) -> Result<Vec<i64>, StoreError> {
        let clock = clock.into();
        let expired = self.lease_now();
        let ids: Vec<i64> = sqlx::query_scalar(self.sql(&format!(
            "SELECT id FROM plan_runs WHERE status IN ('running', 'paused') AND lease_until < {expired}"
        )))
        .bind(clock.param())
        .fetch_all(&self.pool)
        .await?;
        let mut done = Vec::new();
        for id in ids {
            if self.interrupt_if_expired(id, "engine", clock).await? {
                done.push(id);
            }
        }
        Ok(done)
    }

    /// Record run `id` as `interrupted` (with its running steps) if its lease expired while it
    /// was running or paused: what a surviving engine does, done by whoever acts on the run first
    /// (`plan resume` does not wait for an engine to notice). `actor` goes on the event's
    /// timeline. `true` when this call recorded it.
    pub async fn interrupt_if_expired(
        &self,
        id: i64,
        actor: &str,
        clock: impl Into<LeaseClock>,
    ) -> Result<bool, StoreError> {
        let clock = clock.into();
        let now = clock.stamp();
        let expired = self.lease_now();
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(self.sql(&format!(
            "UPDATE plan_runs SET status = 'interrupted', finished_at = ?, updated_at = ?, \
             message = 'the engine running it stopped (lease expired); resume it from a step' \
             WHERE id = ? AND status IN ('running', 'paused') AND lease_until < {expired}"
        )))
        .bind(now)
        .bind(now)
        .bind(id)
        .bind(clock.param())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 1 {
            sqlx::query(self.sql(
                "UPDATE plan_run_steps SET status = 'interrupted', finished_at = ?, updated_at = ? \
                 WHERE run_id = ? AND status IN ('running', 'waiting')",
            ))
            .bind(now)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            self.log_run_on_event(&mut tx, id, "plan-finished", actor, "interrupted", now)
                .await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Write a step's state, if `worker` still holds the run. `Ok(false)`: the claim is lost.
    pub async fn update_plan_step(
        &self,
        run_id: i64,
        seq: i64,
        worker: &str,
        u: &StepUpdate,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let held = self.holds(&mut tx, run_id, worker).await?;
        if held {
            sqlx::query(self.sql(
                "UPDATE plan_run_steps SET status = ?, attempts = ?, started_at = ?, finished_at = ?, \
                 message = ?, values_json = ?, output = ?, updated_at = ?, pgid = 0 \
                 WHERE run_id = ? AND seq = ?",
            ))
            .bind(&u.status)
            .bind(u.attempts)
            .bind(u.started_at)
            .bind(u.finished_at)
            .bind(&u.message)
            .bind(&u.values_json)
            .bind(&u.output)
            .bind(now)
            .bind(run_id)
            .bind(seq)
            .execute(&mut *tx)
            .await?;
            self.touch_run(&mut tx, run_id, now).await?;
        }
        tx.commit().await?;
        Ok(held)
    }

    /// Replace a running step's output (the live tail), if `worker` still holds the run.
    pub async fn set_plan_step_output(
        &self,
        run_id: i64,
        seq: i64,
        worker: &str,
        output: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let held = self.holds(&mut tx, run_id, worker).await?;
        if held {
            sqlx::query(self.sql(
                "UPDATE plan_run_steps SET output = ?, updated_at = ? WHERE run_id = ? AND seq = ?",
            ))
            .bind(output)
            .bind(now)
            .bind(run_id)
            .bind(seq)
            .execute(&mut *tx)
            .await?;
            self.touch_run(&mut tx, run_id, now).await?;
        }
        tx.commit().await?;
        Ok(held)
    }

    /// Set the run's status (`running` ↔ `paused`) and message while `worker` holds it.
    pub async fn set_plan_run_state(
        &self,
        id: i64,
        worker: &str,
        status: &str,
        message: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let q = "UPDATE plan_runs SET status = ?, message = ?, updated_at = ? \
                 WHERE id = ? AND claimed_by = ? AND status IN ('running', 'paused')";
        Ok(sqlx::query(self.sql(q))
            .bind(status)
            .bind(message)
            .bind(now)
            .bind(id)
            .bind(worker)
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    /// End a run `worker` holds with a terminal `status`; clears `control`, notes the outcome on
    /// the linked event's timeline.
    pub async fn finish_plan_run(
        &self,
        id: i64,
        worker: &str,
        status: &str,
        message: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(self.sql(
            "UPDATE plan_runs SET status = ?, message = ?, control = '', finished_at = ?, \
             updated_at = ?, claimed_by = '', lease_until = 0 \
             WHERE id = ? AND claimed_by = ? AND status IN ('running', 'paused')",
        ))
        .bind(status)
        .bind(message)
        .bind(now)
        .bind(now)
        .bind(id)
        .bind(worker)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 1 {
            self.log_run_on_event(&mut tx, id, "plan-finished", "engine", status, now)
                .await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    pub async fn get_plan_run(&self, id: i64) -> Result<PlanRunRow, StoreError> {
        let q = format!("SELECT {RUN_COLS} FROM plan_runs WHERE id = ?");
        let row = sqlx::query(self.sql(&q))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("plan run {id}")))?;
        Ok(run_row(&row)?)
    }

    /// The newest runs (of one plan, or all), newest first.
    pub async fn list_plan_runs(
        &self,
        plan: Option<&str>,
        limit: i64,
    ) -> Result<Vec<PlanRunRow>, StoreError> {
        let rows = match plan {
            Some(p) => {
                let q = format!(
                    "SELECT {RUN_COLS} FROM plan_runs WHERE plan = ? ORDER BY id DESC LIMIT ?"
                );
                sqlx::query(self.sql(&q))
                    .bind(p)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                let q = format!("SELECT {RUN_COLS} FROM plan_runs ORDER BY id DESC LIMIT ?");
                sqlx::query(self.sql(&q))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        Ok(rows.iter().map(run_row).collect::<Result<_, _>>()?)
    }

    /// Every step of a run, in order.
    pub async fn plan_run_steps(&self, id: i64) -> Result<Vec<StepRow>, StoreError> {
        let q = format!("SELECT {STEP_COLS} FROM plan_run_steps WHERE run_id = ? ORDER BY seq");
        let rows = sqlx::query(self.sql(&q))
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(step_row).collect::<Result<_, _>>()?)
    }

    /// The newest change stamp of any run (a cheap "did anything change" for pollers). A lease
    /// expiring changes it too (no row is written then, but readers show the run interrupted):
    /// the low byte counts the active runs whose lease has expired at `now`.
    pub async fn plan_runs_stamp(&self, clock: impl Into<LeaseClock>) -> Result<i64, StoreError> {
        let clock = clock.into();
        let v: Option<i64> = sqlx::query_scalar("SELECT MAX(updated_at) FROM plan_runs")
            .fetch_one(&self.pool)
            .await?;
        let expired: i64 = sqlx::query_scalar(self.sql(&format!(
            "SELECT COUNT(*) FROM plan_runs WHERE status IN ('running', 'paused') \
             AND lease_until > 0 AND lease_until < {}",
            self.lease_now()
        )))
        .bind(clock.param())
        .fetch_one(&self.pool)
        .await?;
        Ok(v.unwrap_or(0).saturating_mul(256) + expired.clamp(0, 255))
    }

    pub(super) async fn holds(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        id: i64,
        worker: &str,
    ) -> Result<bool, StoreError> {
        let n: Option<i64> = sqlx::query_scalar(self.sql(
            "SELECT id FROM plan_runs WHERE id = ? AND claimed_by = ? AND status IN ('running', 'paused')",
        ))
        .bind(id)
        .bind(worker)
        .fetch_optional(&mut **tx)
        .await?;
        Ok(n.is_some())
    }

    pub(super) async fn touch_run(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        id: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(self.sql("UPDATE plan_runs SET updated_at = ? WHERE id = ?"))
            .bind(now)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Note a run's outcome on its event's timeline (runs launched from an event).
    pub(super) async fn log_run_on_event(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        id: i64,
        kind: &str,
        actor: &str,
        outcome: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let row =
            sqlx::query(self.sql("SELECT plan, version, event_id FROM plan_runs WHERE id = ?"))
                .bind(id)
                .fetch_one(&mut **tx)
                .await?;
        let event_id: i64 = row.try_get("event_id")?;
        if event_id == 0 {
            return Ok(());
        }
        let plan: String = row.try_get("plan")?;
        let version: i64 = row.try_get("version")?;
        sqlx::query(self.sql(LOG))
            .bind(event_id)
            .bind(now)
            .bind(kind)
            .bind(actor)
            .bind(format!("plan {plan} v{version} run {id}: {outcome}"))
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}
