//! Operators steering plan runs: approval by a second operator, pause/resume/abort requests,
//! resuming a stopped run from a step (or skipping it), confirming a manual step. Every action is
//! audited with its danger and reason; a conditional write refuses a run that changed meanwhile.

use super::super::audit::NewAudit;
use super::super::{Store, StoreError};
use super::{changed_meanwhile, danger_of};
use crate::domain::Danger;
use crate::domain::audit::account_of;

impl Store {
    /// A second operator approves a run awaiting approval. Refused (`Ok(Err(reason))`) for the
    /// operator who requested it, or when it is not awaiting approval.
    pub async fn approve_plan_run(
        &self,
        id: i64,
        approver: &str,
        reason: &str,
        now: i64,
    ) -> Result<Result<(), String>, StoreError> {
        let run = self.get_plan_run(id).await?;
        if run.status != "awaiting_approval" {
            return Ok(Err(format!(
                "run {id} is {}, not awaiting approval",
                run.status
            )));
        }
        // The same account is the same person, whichever host it acts from.
        if account_of(&run.requested_by) == account_of(approver) {
            return Ok(Err(format!(
                "run {id} was requested by {}: a second operator must approve it (another account \
                 than {:?})",
                run.requested_by,
                account_of(approver)
            )));
        }
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(self.sql(
            "UPDATE plan_runs SET status = 'queued', approved_by = ?, updated_at = ? \
             WHERE id = ? AND status = 'awaiting_approval'",
        ))
        .bind(approver)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 1 {
            let audit = NewAudit::new(approver, "plan.approve", &run.plan, danger_of(&run.danger))
                .reason(reason)
                .after(serde_json::json!({"run": id}));
            self.insert_audit_in(&mut tx, &audit).await?;
        }
        tx.commit().await?;
        Ok(if n == 1 {
            Ok(())
        } else {
            Err(format!("run {id} changed meanwhile"))
        })
    }

    /// An operator's request to a live run: `pause`, `abort` (a running or paused run) or
    /// `resume` (a paused one; clears the request). Audited with its danger and reason. A queued
    /// or awaiting run is aborted at once. `Ok(Err(reason))`: not applicable to this run.
    pub async fn control_plan_run(
        &self,
        id: i64,
        request: &str,
        actor: &str,
        reason: &str,
        now: i64,
    ) -> Result<Result<(), String>, StoreError> {
        let run = self.get_plan_run(id).await?;
        let (danger, q): (Danger, &str) = match (request, run.status.as_str()) {
            ("abort", "queued" | "awaiting_approval") => (
                Danger::G2,
                "UPDATE plan_runs SET status = 'aborted', control = '', finished_at = ?, \
                 updated_at = ?, message = 'aborted before it started' \
                 WHERE id = ? AND status IN ('queued', 'awaiting_approval')",
            ),
            ("abort", "running" | "paused") => (
                Danger::G2,
                "UPDATE plan_runs SET control = 'abort', updated_at = ? WHERE id = ? AND status IN ('running', 'paused')",
            ),
            ("pause", "running") => (
                Danger::G1,
                "UPDATE plan_runs SET control = 'pause', updated_at = ? WHERE id = ? AND status = 'running'",
            ),
            ("resume", "paused" | "running")
                if run.control == "pause" || run.status == "paused" =>
            {
                (
                    Danger::G1,
                    "UPDATE plan_runs SET control = '', updated_at = ? WHERE id = ? AND status IN ('running', 'paused')",
                )
            }
            (req, status) => {
                return Ok(Err(format!("cannot {req} run {id}: it is {status}")));
            }
        };
        let mut tx = self.begin_write().await?;
        let mut query = sqlx::query(self.sql(q)).bind(now);
        if q.contains("finished_at = ?") {
            query = query.bind(now);
        }
        let n = query.bind(id).execute(&mut *tx).await?.rows_affected();
        if n == 1 {
            let audit = NewAudit::new(actor, &format!("plan.{request}"), &run.plan, danger)
                .reason(reason)
                .after(serde_json::json!({"run": id}));
            self.insert_audit_in(&mut tx, &audit).await?;
            if request == "abort" && matches!(run.status.as_str(), "queued" | "awaiting_approval") {
                self.log_run_on_event(&mut tx, id, "plan-finished", actor, "aborted", now)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(changed_meanwhile(n, id))
    }

    /// Put a finished or interrupted run back in the queue from step `from_seq`: that step and
    /// every later one become `pending` again; with `skip`, step `from_seq` is marked `skipped`
    /// instead and the run resumes after it. Audited (G3 for a skip or a resume after an
    /// interruption, G2 otherwise). `Ok(Err(reason))`: not applicable.
    pub async fn resume_plan_run(
        &self,
        id: i64,
        from_seq: i64,
        skip: bool,
        actor: &str,
        reason: &str,
        now: i64,
    ) -> Result<Result<(), String>, StoreError> {
        let run = self.get_plan_run(id).await?;
        if !matches!(
            run.status.as_str(),
            "failed" | "interrupted" | "aborted" | "rolled_back"
        ) {
            return Ok(Err(format!(
                "run {id} is {}: only a failed, aborted or interrupted run can be resumed",
                run.status
            )));
        }
        if run.dry_run {
            return Ok(Err(format!(
                "run {id} is a dry run: start a new run instead"
            )));
        }
        let steps = self.plan_run_steps(id).await?;
        if !steps.iter().any(|s| s.seq == from_seq) {
            return Ok(Err(format!("run {id} has no step {from_seq}")));
        }
        let danger = if skip || run.status == "interrupted" {
            Danger::G3
        } else {
            Danger::G2
        };
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(self.sql(
            "UPDATE plan_runs SET status = 'queued', control = '', resume_from = ?, finished_at = 0, \
             updated_at = ?, message = ? WHERE id = ? AND status = ?",
        ))
        .bind(from_seq.to_string())
        .bind(now)
        .bind(format!("resumed from step {from_seq} by {actor}"))
        .bind(id)
        .bind(&run.status)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 1 {
            sqlx::query(self.sql(
                "UPDATE plan_run_steps SET status = 'pending', message = '', updated_at = ? \
                 WHERE run_id = ? AND seq >= ?",
            ))
            .bind(now)
            .bind(id)
            .bind(from_seq)
            .execute(&mut *tx)
            .await?;
            if skip {
                sqlx::query(self.sql(
                    "UPDATE plan_run_steps SET status = 'skipped', message = ?, updated_at = ? \
                     WHERE run_id = ? AND seq = ?",
                ))
                .bind(format!("skipped by {actor}: {reason}"))
                .bind(now)
                .bind(id)
                .bind(from_seq)
                .execute(&mut *tx)
                .await?;
            }
            let action = if skip {
                "plan.skip_step"
            } else {
                "plan.resume"
            };
            let audit = NewAudit::new(actor, action, &run.plan, danger)
                .reason(reason)
                .after(serde_json::json!({"run": id, "from_step": from_seq}));
            self.insert_audit_in(&mut tx, &audit).await?;
        }
        tx.commit().await?;
        Ok(changed_meanwhile(n, id))
    }

    /// A person confirms a manual step is done (step `waiting` → `succeeded`). Audited.
    pub async fn confirm_manual_step(
        &self,
        id: i64,
        seq: i64,
        actor: &str,
        note: &str,
        now: i64,
    ) -> Result<Result<(), String>, StoreError> {
        let run = self.get_plan_run(id).await?;
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(self.sql(
            "UPDATE plan_run_steps SET status = 'succeeded', finished_at = ?, updated_at = ?, message = ? \
             WHERE run_id = ? AND seq = ? AND status = 'waiting'",
        ))
        .bind(now)
        .bind(now)
        .bind(format!("confirmed done by {actor}{}", if note.is_empty() { String::new() } else { format!(": {note}") }))
        .bind(id)
        .bind(seq)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 1 {
            self.touch_run(&mut tx, id, now).await?;
            let audit = NewAudit::new(actor, "plan.confirm_step", &run.plan, Danger::G1)
                .reason(note)
                .after(serde_json::json!({"run": id, "step": seq}));
            self.insert_audit_in(&mut tx, &audit).await?;
        }
        tx.commit().await?;
        Ok(if n == 1 {
            Ok(())
        } else {
            Err(format!(
                "step {seq} of run {id} is not waiting for a confirmation"
            ))
        })
    }
}
