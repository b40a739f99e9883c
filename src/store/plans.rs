//! `plans`, `plan_versions`, `scenarios`, `plan_runs`, `plan_run_steps`: versioned plan
//! definitions, and plan runs going through the database as a queue (DESIGN.md §2).
//!
//! A run is queued with all its steps (state `pending`) in one transaction with its audit entry
//! (and the linked event's timeline entry); a worker claims it with a lease (`queued` →
//! `running`), renews the lease while it runs, and writes every step's state, attempts, timings
//! and output as they happen, conditional on still holding the claim. A run whose lease expired
//! becomes `interrupted` (its running step too) and is never re-executed silently: an operator
//! resumes it from a chosen step. Operators steer a running run through `control` (`pause`,
//! `abort`), which the worker polls.
//!
//! Definitions are stored as the validated plan's JSON; this module does not interpret them.

use sqlx::Row;

use super::audit::NewAudit;
use super::{Store, StoreError};
use crate::domain::Danger;

/// One stored plan (its current version).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlanRow {
    pub name: String,
    pub version: i64,
    /// The validated plan as JSON.
    pub definition: String,
    pub content_hash: String,
    pub danger: String,
    pub builtin: bool,
    pub updated_at: i64,
}

/// One stored scenario.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScenarioRow {
    pub name: String,
    pub definition: String,
    pub builtin: bool,
    pub updated_at: i64,
}

/// A run to queue, with its steps in execution order.
#[derive(Debug, Clone, Default)]
pub struct NewPlanRun {
    pub plan: String,
    pub version: i64,
    /// Resolved parameters, JSON object.
    pub params: String,
    pub dry_run: bool,
    pub danger: String,
    pub requested_by: String,
    pub reason: String,
    /// A second operator must approve before a worker may claim it.
    pub approval_required: bool,
    /// The risk event it was launched from (0: none).
    pub event_id: i64,
    pub steps: Vec<NewStep>,
}

/// One step of a queued run.
#[derive(Debug, Clone, Default)]
pub struct NewStep {
    /// `precheck`, `step`, `rollback`, `postcheck`.
    pub phase: String,
    pub step_id: String,
    pub title: String,
    /// The operation kind (`command`, `sql`, …).
    pub kind: String,
    pub danger: String,
    /// Parallel group ('' for a serial step).
    pub group: String,
    /// The operation as resolved at queue time, one line (secrets masked).
    pub rendered: String,
}

/// One run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlanRunRow {
    pub id: i64,
    pub plan: String,
    pub version: i64,
    /// queued, awaiting_approval, running, paused, succeeded, failed, rolled_back, aborted,
    /// interrupted.
    pub status: String,
    pub params: String,
    pub dry_run: bool,
    pub danger: String,
    pub requested_by: String,
    pub reason: String,
    pub approval_required: bool,
    pub approved_by: String,
    pub event_id: i64,
    pub claimed_by: String,
    pub lease_until: i64,
    /// '' or a pending operator request: `pause`, `abort`.
    pub control: String,
    /// Where a resumed run starts (step seq; 0: from the start).
    pub resume_from: String,
    pub created_at: i64,
    pub started_at: i64,
    pub finished_at: i64,
    pub updated_at: i64,
    pub message: String,
}

/// One step's stored state.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StepRow {
    pub run_id: i64,
    pub seq: i64,
    pub phase: String,
    pub step_id: String,
    pub title: String,
    pub kind: String,
    pub danger: String,
    pub group: String,
    /// pending, running, waiting (a person must confirm), succeeded, failed, skipped,
    /// interrupted, aborted.
    pub status: String,
    pub attempts: i64,
    pub started_at: i64,
    pub finished_at: i64,
    pub updated_at: i64,
    pub rendered: String,
    pub message: String,
    pub values_json: String,
    pub output: String,
}

/// A step's new state, written by the worker.
#[derive(Debug, Clone, Default)]
pub struct StepUpdate {
    pub status: String,
    pub attempts: i64,
    pub started_at: i64,
    pub finished_at: i64,
    pub message: String,
    pub values_json: String,
    pub output: String,
}

/// Terminal run states.
pub const TERMINAL_RUN: [&str; 5] = [
    "succeeded",
    "failed",
    "rolled_back",
    "aborted",
    "interrupted",
];

const PLAN_COLS: &str = "name, version, definition, content_hash, danger, builtin, updated_at";
const RUN_COLS: &str = "id, plan, version, status, params, dry_run, danger, requested_by, reason, \
    approval_required, approved_by, event_id, claimed_by, lease_until, control, resume_from, \
    created_at, started_at, finished_at, updated_at, message";
const STEP_COLS: &str = "run_id, seq, phase, step_id, title, kind, danger, grp, status, attempts, \
    started_at, finished_at, updated_at, rendered, message, values_json, output";
const LOG: &str =
    "INSERT INTO event_log (event_id, at, kind, actor, message) VALUES (?, ?, ?, ?, ?)";

fn plan_row(r: &sqlx::any::AnyRow) -> Result<PlanRow, sqlx::Error> {
    Ok(PlanRow {
        name: r.try_get("name")?,
        version: r.try_get("version")?,
        definition: r.try_get("definition")?,
        content_hash: r.try_get("content_hash")?,
        danger: r.try_get("danger")?,
        builtin: r.try_get::<i64, _>("builtin")? != 0,
        updated_at: r.try_get("updated_at")?,
    })
}

fn run_row(r: &sqlx::any::AnyRow) -> Result<PlanRunRow, sqlx::Error> {
    Ok(PlanRunRow {
        id: r.try_get("id")?,
        plan: r.try_get("plan")?,
        version: r.try_get("version")?,
        status: r.try_get("status")?,
        params: r.try_get("params")?,
        dry_run: r.try_get::<i64, _>("dry_run")? != 0,
        danger: r.try_get("danger")?,
        requested_by: r.try_get("requested_by")?,
        reason: r.try_get("reason")?,
        approval_required: r.try_get::<i64, _>("approval_required")? != 0,
        approved_by: r.try_get("approved_by")?,
        event_id: r.try_get("event_id")?,
        claimed_by: r.try_get("claimed_by")?,
        lease_until: r.try_get("lease_until")?,
        control: r.try_get("control")?,
        resume_from: r.try_get("resume_from")?,
        created_at: r.try_get("created_at")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        updated_at: r.try_get("updated_at")?,
        message: r.try_get("message")?,
    })
}

fn step_row(r: &sqlx::any::AnyRow) -> Result<StepRow, sqlx::Error> {
    Ok(StepRow {
        run_id: r.try_get("run_id")?,
        seq: r.try_get("seq")?,
        phase: r.try_get("phase")?,
        step_id: r.try_get("step_id")?,
        title: r.try_get("title")?,
        kind: r.try_get("kind")?,
        danger: r.try_get("danger")?,
        group: r.try_get("grp")?,
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        updated_at: r.try_get("updated_at")?,
        rendered: r.try_get("rendered")?,
        message: r.try_get("message")?,
        values_json: r.try_get("values_json")?,
        output: r.try_get("output")?,
    })
}

/// `Ok` when the conditional write hit its row; else the run changed between read and write.
fn changed_meanwhile(n: u64, id: i64) -> Result<(), String> {
    if n == 1 {
        Ok(())
    } else {
        Err(format!("run {id} changed meanwhile; look again"))
    }
}

fn danger_of(s: &str) -> Danger {
    Danger::parse(s).unwrap_or(Danger::G3)
}

impl Store {
    /// Store `definition` as plan `name`. A changed definition (by `content_hash`) becomes a new
    /// version, kept in `plan_versions`; the same one changes nothing. Returns the current version.
    #[allow(clippy::too_many_arguments)]
    pub async fn upsert_plan(
        &self,
        name: &str,
        definition: &str,
        content_hash: &str,
        danger: &str,
        builtin: bool,
        actor: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let v = self
            .upsert_plan_in(
                &mut tx,
                name,
                definition,
                content_hash,
                danger,
                builtin,
                actor,
                now,
            )
            .await?;
        tx.commit().await?;
        Ok(v)
    }

    /// [`Store::upsert_plan`] inside the caller's transaction (a whole content bundle).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn upsert_plan_in(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        name: &str,
        definition: &str,
        content_hash: &str,
        danger: &str,
        builtin: bool,
        actor: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        let current: Option<(i64, String)> =
            sqlx::query(self.sql("SELECT version, content_hash FROM plans WHERE name = ?"))
                .bind(name)
                .fetch_optional(&mut **tx)
                .await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("version")?, r.try_get("content_hash")?)))
                .transpose()?;
        let version = match current {
            Some((v, hash)) if hash == content_hash => return Ok(v),
            Some((v, _)) => {
                sqlx::query(self.sql(
                    "UPDATE plans SET version = ?, definition = ?, content_hash = ?, danger = ?, \
                     builtin = ?, updated_at = ? WHERE name = ?",
                ))
                .bind(v + 1)
                .bind(definition)
                .bind(content_hash)
                .bind(danger)
                .bind(i64::from(builtin))
                .bind(now)
                .bind(name)
                .execute(&mut **tx)
                .await?;
                v + 1
            }
            None => {
                sqlx::query(self.sql(&format!(
                    "INSERT INTO plans ({PLAN_COLS}) VALUES (?, 1, ?, ?, ?, ?, ?)"
                )))
                .bind(name)
                .bind(definition)
                .bind(content_hash)
                .bind(danger)
                .bind(i64::from(builtin))
                .bind(now)
                .execute(&mut **tx)
                .await?;
                1
            }
        };
        sqlx::query(self.sql(
            "INSERT INTO plan_versions (name, version, definition, created_by, created_at) \
             VALUES (?, ?, ?, ?, ?)",
        ))
        .bind(name)
        .bind(version)
        .bind(definition)
        .bind(actor)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        let audit = NewAudit::new(actor, "plan.upsert", name, Danger::G1)
            .after(serde_json::json!({"version": version, "content_hash": content_hash}));
        self.insert_audit_in(tx, &audit).await?;
        Ok(version)
    }

    /// Every stored plan's definition, parsed (for validating content that refers to them).
    pub async fn plan_definitions(&self) -> Result<Vec<crate::domain::plan::Plan>, StoreError> {
        self.list_plans()
            .await?
            .iter()
            .map(|p| {
                serde_json::from_str(&p.definition).map_err(|e| StoreError::Corrupt {
                    table: "plans",
                    reason: format!("{}: {e}", p.name),
                })
            })
            .collect()
    }

    /// Every plan, by name.
    pub async fn list_plans(&self) -> Result<Vec<PlanRow>, StoreError> {
        let q = format!("SELECT {PLAN_COLS} FROM plans ORDER BY name");
        let rows = sqlx::query(self.sql(&q)).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(plan_row).collect::<Result<_, _>>()?)
    }

    pub async fn get_plan(&self, name: &str) -> Result<Option<PlanRow>, StoreError> {
        let q = format!("SELECT {PLAN_COLS} FROM plans WHERE name = ?");
        let row = sqlx::query(self.sql(&q))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(plan_row).transpose()?)
    }

    /// The definition of one version of a plan (what a run recorded).
    pub async fn plan_version(
        &self,
        name: &str,
        version: i64,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            self.sql("SELECT definition FROM plan_versions WHERE name = ? AND version = ?"),
        )
        .bind(name)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get("definition")).transpose()?)
    }

    /// Store a scenario (insert or replace).
    pub async fn upsert_scenario(
        &self,
        name: &str,
        definition: &str,
        builtin: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        self.upsert_scenario_in(&mut tx, name, definition, builtin, now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn upsert_scenario_in(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        name: &str,
        definition: &str,
        builtin: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(self.sql("DELETE FROM scenarios WHERE name = ?"))
            .bind(name)
            .execute(&mut **tx)
            .await?;
        sqlx::query(self.sql(
            "INSERT INTO scenarios (name, definition, builtin, updated_at) VALUES (?, ?, ?, ?)",
        ))
        .bind(name)
        .bind(definition)
        .bind(i64::from(builtin))
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Every stored scenario, parsed.
    pub async fn scenario_definitions(
        &self,
    ) -> Result<Vec<crate::domain::plan::Scenario>, StoreError> {
        self.list_scenarios()
            .await?
            .iter()
            .map(|s| {
                serde_json::from_str(&s.definition).map_err(|e| StoreError::Corrupt {
                    table: "scenarios",
                    reason: format!("{}: {e}", s.name),
                })
            })
            .collect()
    }

    pub async fn list_scenarios(&self) -> Result<Vec<ScenarioRow>, StoreError> {
        let rows = sqlx::query(
            self.sql("SELECT name, definition, builtin, updated_at FROM scenarios ORDER BY name"),
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ScenarioRow {
                    name: r.try_get("name")?,
                    definition: r.try_get("definition")?,
                    builtin: r.try_get::<i64, _>("builtin")? != 0,
                    updated_at: r.try_get("updated_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

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
        if run.requested_by == approver {
            return Ok(Err(format!(
                "run {id} was requested by {approver}: a second operator must approve it"
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

    /// Claim the oldest queued run for `worker` until `now + lease_ms` (`queued` → `running`).
    pub async fn claim_plan_run(
        &self,
        worker: &str,
        now: i64,
        lease_ms: i64,
    ) -> Result<Option<PlanRunRow>, StoreError> {
        let candidates: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM plan_runs WHERE status = 'queued' ORDER BY id LIMIT 8",
        )
        .fetch_all(&self.pool)
        .await?;
        for id in candidates {
            let q = "UPDATE plan_runs SET status = 'running', claimed_by = ?, lease_until = ?, \
                     started_at = CASE WHEN started_at = 0 THEN ? ELSE started_at END, updated_at = ? \
                     WHERE id = ? AND status = 'queued'";
            let won = sqlx::query(self.sql(q))
                .bind(worker)
                .bind(now + lease_ms)
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

    /// Extend the lease of a run `worker` holds; also returns the run's pending `control`
    /// request. `None`: the claim is lost (the run was interrupted meanwhile).
    pub async fn renew_plan_run(
        &self,
        id: i64,
        worker: &str,
        until: i64,
    ) -> Result<Option<String>, StoreError> {
        let q = "UPDATE plan_runs SET lease_until = ? WHERE id = ? AND claimed_by = ? \
                 AND status IN ('running', 'paused')";
        let n = sqlx::query(self.sql(q))
            .bind(until)
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

    /// Runs (and their running steps) whose lease expired become `interrupted`: their worker
    /// died. Returns their ids.
    pub async fn interrupt_expired_plan_runs(&self, now: i64) -> Result<Vec<i64>, StoreError> {
        let ids: Vec<i64> = sqlx::query_scalar(self.sql(
            "SELECT id FROM plan_runs WHERE status IN ('running', 'paused') AND lease_until < ?",
        ))
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        let mut done = Vec::new();
        for id in ids {
            let mut tx = self.begin_write().await?;
            let n = sqlx::query(self.sql(
                "UPDATE plan_runs SET status = 'interrupted', finished_at = ?, updated_at = ?, \
                 message = 'the engine running it stopped (lease expired); resume it from a step' \
                 WHERE id = ? AND status IN ('running', 'paused') AND lease_until < ?",
            ))
            .bind(now)
            .bind(now)
            .bind(id)
            .bind(now)
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
                self.log_run_on_event(&mut tx, id, "plan-finished", "engine", "interrupted", now)
                    .await?;
                done.push(id);
            }
            tx.commit().await?;
        }
        Ok(done)
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
                 message = ?, values_json = ?, output = ?, updated_at = ? WHERE run_id = ? AND seq = ?",
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

    /// The newest change stamp of any run (a cheap "did anything change" for pollers).
    pub async fn plan_runs_stamp(&self) -> Result<i64, StoreError> {
        let v: Option<i64> = sqlx::query_scalar("SELECT MAX(updated_at) FROM plan_runs")
            .fetch_one(&self.pool)
            .await?;
        Ok(v.unwrap_or(0))
    }

    async fn holds(
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

    async fn touch_run(
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
    async fn log_run_on_event(
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
