//! Self-heal decisions: judged and recorded in one transaction that first locks the `'*'` state
//! row, so the counts a decision reads (cooldown, rates, concurrency) cannot change under it on
//! any engine; each decision goes on the event's timeline and into the audit log. Then the
//! outcome of the runs it started: healed, escalated, and a policy halted after consecutive
//! failures.

use sqlx::Row;

use super::audit::NewAudit;
use super::plans::LOG;
use super::{Store, StoreError};
use crate::domain::Danger;

/// A self-heal to judge.
#[derive(Debug, Clone)]
pub struct NewSelfHeal {
    pub event_id: i64,
    pub diagnosis_id: i64,
    pub scenario: String,
    pub conclusion: String,
    pub fault_key: String,
    pub plan: String,
    /// JSON object of the plan's parameters.
    pub params: String,
}

/// What a decision reads, counted under the lock.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealCounts {
    pub last_for_key: Option<i64>,
    pub key_last_hour: u32,
    pub scenario_last_hour: u32,
    pub global_last_hour: u32,
    pub running: u32,
    pub halted: bool,
}

/// A recorded decision.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SelfHealRow {
    pub id: i64,
    pub event_id: i64,
    pub diagnosis_id: i64,
    pub scenario: String,
    pub conclusion: String,
    pub fault_key: String,
    pub plan: String,
    pub params: String,
    /// ran, shadow, skipped.
    pub decision: String,
    pub rule: String,
    pub plan_run_id: i64,
    /// For `ran`: queued, running, healed, escalated; else `-`.
    pub status: String,
    pub created_at: i64,
    pub verify_until: i64,
    pub finished_at: i64,
    pub message: String,
}

const COLS: &str = "id, event_id, diagnosis_id, scenario, conclusion, fault_key, plan, params, \
                    decision, rule, plan_run_id, status, created_at, verify_until, finished_at, message";

fn row(r: &sqlx::any::AnyRow) -> Result<SelfHealRow, sqlx::Error> {
    Ok(SelfHealRow {
        id: r.try_get("id")?,
        event_id: r.try_get("event_id")?,
        diagnosis_id: r.try_get("diagnosis_id")?,
        scenario: r.try_get("scenario")?,
        conclusion: r.try_get("conclusion")?,
        fault_key: r.try_get("fault_key")?,
        plan: r.try_get("plan")?,
        params: r.try_get("params")?,
        decision: r.try_get("decision")?,
        rule: r.try_get("rule")?,
        plan_run_id: r.try_get("plan_run_id")?,
        status: r.try_get("status")?,
        created_at: r.try_get("created_at")?,
        verify_until: r.try_get("verify_until")?,
        finished_at: r.try_get("finished_at")?,
        message: r.try_get("message")?,
    })
}

fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

impl Store {
    /// Judge and record a decision: `decide` sees the counts read under the lock and returns
    /// `(decision, rule, timeline text)`; the row, the event's timeline entry and the audit entry
    /// are written in the same transaction. Returns the row id.
    pub async fn decide_self_heal(
        &self,
        new: &NewSelfHeal,
        now: i64,
        decide: impl FnOnce(&HealCounts) -> (&'static str, String, String),
    ) -> Result<(i64, &'static str), StoreError> {
        let mut tx = self.begin_write().await?;
        // The lock: every decision on every engine passes here one at a time.
        sqlx::query(self.sql("UPDATE self_heal_state SET updated_at = ? WHERE scenario = '*'"))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let hour = now - 3_600_000;
        let key_hour: i64 = sqlx::query_scalar(self.sql(
            "SELECT COUNT(*) FROM self_heals WHERE fault_key = ? AND decision = 'ran' AND created_at > ?",
        ))
        .bind(&new.fault_key)
        .bind(hour)
        .fetch_one(&mut *tx)
        .await?;
        let last_for_key: Option<i64> = sqlx::query_scalar(self.sql(
            "SELECT MAX(created_at) FROM self_heals WHERE fault_key = ? AND decision = 'ran'",
        ))
        .bind(&new.fault_key)
        .fetch_one(&mut *tx)
        .await?;
        let scenario_hour: i64 = sqlx::query_scalar(self.sql(
            "SELECT COUNT(*) FROM self_heals WHERE scenario = ? AND decision = 'ran' AND created_at > ?",
        ))
        .bind(&new.scenario)
        .bind(hour)
        .fetch_one(&mut *tx)
        .await?;
        let global_hour: i64 = sqlx::query_scalar(
            self.sql("SELECT COUNT(*) FROM self_heals WHERE decision = 'ran' AND created_at > ?"),
        )
        .bind(hour)
        .fetch_one(&mut *tx)
        .await?;
        let running: i64 = sqlx::query_scalar(self.sql(
            "SELECT COUNT(*) FROM self_heals WHERE scenario = ? AND decision = 'ran' \
             AND status IN ('queued', 'running')",
        ))
        .bind(&new.scenario)
        .fetch_one(&mut *tx)
        .await?;
        let halted: Option<i64> = sqlx::query_scalar(
            self.sql("SELECT halted_at FROM self_heal_state WHERE scenario = ?"),
        )
        .bind(&new.scenario)
        .fetch_optional(&mut *tx)
        .await?;
        let counts = HealCounts {
            last_for_key,
            key_last_hour: count(key_hour),
            scenario_last_hour: count(scenario_hour),
            global_last_hour: count(global_hour),
            running: count(running),
            halted: halted.unwrap_or(0) > 0,
        };
        let (decision, rule, text) = decide(&counts);
        let status = if decision == "ran" { "queued" } else { "-" };
        let nonce = format!("heal:{:016x}", rand::random::<u64>());
        sqlx::query(self.sql(
            "INSERT INTO self_heals (event_id, diagnosis_id, scenario, conclusion, fault_key, plan, \
             params, decision, rule, plan_run_id, status, created_at, verify_until, finished_at, \
             message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, 0, 0, ?)",
        ))
        .bind(new.event_id)
        .bind(new.diagnosis_id)
        .bind(&new.scenario)
        .bind(&new.conclusion)
        .bind(&new.fault_key)
        .bind(&new.plan)
        .bind(&new.params)
        .bind(decision)
        .bind(&rule)
        .bind(status)
        .bind(now)
        .bind(&nonce)
        .execute(&mut *tx)
        .await?;
        let id: i64 = sqlx::query_scalar(self.sql("SELECT id FROM self_heals WHERE message = ?"))
            .bind(&nonce)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(self.sql("UPDATE self_heals SET message = '' WHERE id = ?"))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(self.sql(LOG))
            .bind(new.event_id)
            .bind(now)
            .bind("self-heal")
            .bind("self-heal")
            .bind(&text)
            .execute(&mut *tx)
            .await?;
        let audit = NewAudit::new("self-heal", &format!("selfheal.{decision}"), &new.plan, Danger::G1)
            .reason(&text)
            .after(serde_json::json!({"self_heal": id, "event": new.event_id, "scenario": new.scenario, "conclusion": new.conclusion, "fault_key": new.fault_key, "rule": rule}));
        self.insert_audit_in(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok((id, decision))
    }

    /// The plan run a `ran` decision started (`status` running), or why it could not start
    /// (`status` escalated, with the reason).
    pub async fn set_self_heal_run(
        &self,
        id: i64,
        plan_run_id: i64,
        status: &str,
        verify_until: i64,
        message: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(self.sql(
            "UPDATE self_heals SET plan_run_id = ?, status = ?, verify_until = ?, message = ? WHERE id = ?",
        ))
        .bind(plan_run_id)
        .bind(status)
        .bind(verify_until)
        .bind(message)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// End a self-heal `healed` or `escalated` (once: `false` when another engine did), with the
    /// event's timeline entry; an escalation counts a failure for the scenario and halts its
    /// policy at `halt_after`; a heal clears the count.
    pub async fn finish_self_heal(
        &self,
        id: i64,
        healed: bool,
        message: &str,
        halt_after: u32,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let status = if healed { "healed" } else { "escalated" };
        let n = sqlx::query(self.sql(
            "UPDATE self_heals SET status = ?, finished_at = ?, message = ? \
             WHERE id = ? AND status IN ('queued', 'running')",
        ))
        .bind(status)
        .bind(now)
        .bind(message)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n != 1 {
            return Ok(false);
        }
        let r = sqlx::query(self.sql("SELECT event_id, scenario FROM self_heals WHERE id = ?"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let (event_id, scenario): (i64, String) = (r.try_get("event_id")?, r.try_get("scenario")?);
        let failures: i64 =
            sqlx::query_scalar(self.sql("SELECT failures FROM self_heal_state WHERE scenario = ?"))
                .bind(&scenario)
                .fetch_optional(&mut *tx)
                .await?
                .unwrap_or(0);
        let failures = if healed { 0 } else { failures + 1 };
        let halt = !healed && failures >= i64::from(halt_after.max(1));
        sqlx::query(self.sql("DELETE FROM self_heal_state WHERE scenario = ?"))
            .bind(&scenario)
            .execute(&mut *tx)
            .await?;
        let halted_at: i64 = if halt { now } else { 0 };
        sqlx::query(self.sql(
            "INSERT INTO self_heal_state (scenario, failures, halted_at, updated_at) VALUES (?, ?, ?, ?)",
        ))
        .bind(&scenario)
        .bind(failures)
        .bind(halted_at)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let mut text = format!("self-heal {id} {status}: {message}");
        if halt {
            text.push_str(&format!(
                "; policy of scenario {scenario} halted after {failures} consecutive failures (nightwatch selfheal resume {scenario})"
            ));
        }
        sqlx::query(self.sql(LOG))
            .bind(event_id)
            .bind(now)
            .bind("self-heal")
            .bind("self-heal")
            .bind(&text)
            .execute(&mut *tx)
            .await?;
        let audit = NewAudit::new("self-heal", &format!("selfheal.{status}"), &scenario, Danger::G1)
            .reason(&text)
            .after(serde_json::json!({"self_heal": id, "event": event_id, "failures": failures, "halted": halt}));
        self.insert_audit_in(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Clear a halted policy (audited).
    pub async fn resume_self_heal(
        &self,
        scenario: &str,
        actor: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(self.sql(
            "UPDATE self_heal_state SET failures = 0, halted_at = 0, updated_at = ? \
             WHERE scenario = ? AND halted_at > 0",
        ))
        .bind(now)
        .bind(scenario)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 1 {
            let audit = NewAudit::new(actor, "selfheal.resume", scenario, Danger::G2);
            self.insert_audit_in(&mut tx, &audit).await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Self-heals still waiting for their plan run or their event.
    pub async fn open_self_heals(&self) -> Result<Vec<SelfHealRow>, StoreError> {
        let q = format!(
            "SELECT {COLS} FROM self_heals WHERE status IN ('queued', 'running') ORDER BY id"
        );
        let rows = sqlx::query(self.sql(&q)).fetch_all(&self.pool).await?;
        rows.iter()
            .map(row)
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// Decisions, newest first: of one event, or all.
    pub async fn list_self_heals(
        &self,
        event_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<SelfHealRow>, StoreError> {
        let rows = match event_id {
            Some(e) => {
                let q = format!(
                    "SELECT {COLS} FROM self_heals WHERE event_id = ? ORDER BY id DESC LIMIT ?"
                );
                sqlx::query(self.sql(&q))
                    .bind(e)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                let q = format!("SELECT {COLS} FROM self_heals ORDER BY id DESC LIMIT ?");
                sqlx::query(self.sql(&q))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter()
            .map(row)
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// Scenarios whose policy is halted: (scenario, failures, halted_at).
    pub async fn halted_self_heals(&self) -> Result<Vec<(String, i64, i64)>, StoreError> {
        let rows = sqlx::query(self.sql(
            "SELECT scenario, failures, halted_at FROM self_heal_state WHERE halted_at > 0 ORDER BY scenario",
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("scenario")?,
                    r.try_get("failures")?,
                    r.try_get("halted_at")?,
                ))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }
}
