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

impl PlanRunRow {
    /// The run as a reader must see it at `now`: a `running` or `paused` run whose claim's lease
    /// expired has lost its engine, and shows `interrupted` (with why) even before some engine
    /// gets round to marking it so. Writers (the engine, steering) read the stored row instead.
    #[must_use]
    pub fn as_seen(mut self, now: i64) -> PlanRunRow {
        if matches!(self.status.as_str(), "running" | "paused")
            && self.lease_until > 0
            && self.lease_until < now
        {
            self.status = "interrupted".to_owned();
            self.message = format!(
                "engine gone: its lease expired {} s ago (claimed by {})",
                (now - self.lease_until) / 1000,
                if self.claimed_by.is_empty() {
                    "?"
                } else {
                    &self.claimed_by
                }
            );
        }
        self
    }

    /// Its steps as a reader must see them: a run seen interrupted has no running step left.
    #[must_use]
    pub fn steps_as_seen(&self, mut steps: Vec<StepRow>) -> Vec<StepRow> {
        if self.status == "interrupted" {
            for s in steps.iter_mut().filter(|s| s.status == "running") {
                s.status = "interrupted".to_owned();
            }
        }
        steps
    }
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
pub(super) const LOG: &str =
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
}

mod control;
mod processes;
mod runs;

pub use processes::StepProcess;
