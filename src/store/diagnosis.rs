//! Fault diagnosis: the stored trees, and diagnosis runs as a queue (queue exactly once by a dedup
//! key, claim with a lease, renew, interrupt expired ones, finish with the trace and the event's
//! timeline entry in one transaction); the matcher's cursor over the event log.

use sqlx::Row;

use super::plans::LOG;
use super::{LeaseClock, Store, StoreError};

/// A stored tree.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TreeRow {
    pub name: String,
    pub definition: String,
    pub builtin: bool,
    pub updated_at: i64,
}

/// A diagnosis run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DiagnosisRow {
    pub id: i64,
    pub event_id: i64,
    pub tree: String,
    pub scenario: String,
    /// queued, running, done, failed, interrupted.
    pub status: String,
    pub requested_by: String,
    pub claimed_by: String,
    /// The path (JSON `domain::diagnosis::Trace`), `{}` until finished.
    pub trace: String,
    pub conclusion: String,
    pub cause: String,
    pub level: String,
    pub created_at: i64,
    pub started_at: i64,
    pub finished_at: i64,
}

/// A run to queue.
#[derive(Debug, Clone)]
pub struct NewDiagnosis {
    pub event_id: i64,
    pub tree: String,
    pub scenario: String,
    /// `auto:LOG_ID` or `manual:NONCE`: a second queue with the same key is refused (`None`).
    pub dedup: String,
    pub source_log: i64,
    pub requested_by: String,
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct DiagnosisEnd<'a> {
    pub status: &'a str,
    pub trace: &'a str,
    pub conclusion: &'a str,
    pub cause: &'a str,
    pub level: &'a str,
    /// The event's timeline entry.
    pub log: &'a str,
}

const COLS: &str = "id, event_id, tree, scenario, status, requested_by, claimed_by, trace, \
                    conclusion, cause, level, created_at, started_at, finished_at";

fn row(r: &sqlx::any::AnyRow) -> Result<DiagnosisRow, sqlx::Error> {
    Ok(DiagnosisRow {
        id: r.try_get("id")?,
        event_id: r.try_get("event_id")?,
        tree: r.try_get("tree")?,
        scenario: r.try_get("scenario")?,
        status: r.try_get("status")?,
        requested_by: r.try_get("requested_by")?,
        claimed_by: r.try_get("claimed_by")?,
        trace: r.try_get("trace")?,
        conclusion: r.try_get("conclusion")?,
        cause: r.try_get("cause")?,
        level: r.try_get("level")?,
        created_at: r.try_get("created_at")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

impl Store {
    pub(super) async fn upsert_tree_in(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        name: &str,
        definition: &str,
        builtin: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(self.sql("DELETE FROM diagnosis_trees WHERE name = ?"))
            .bind(name)
            .execute(&mut **tx)
            .await?;
        sqlx::query(self.sql(
            "INSERT INTO diagnosis_trees (name, definition, builtin, updated_at) VALUES (?, ?, ?, ?)",
        ))
        .bind(name)
        .bind(definition)
        .bind(i64::from(builtin))
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn list_trees(&self) -> Result<Vec<TreeRow>, StoreError> {
        let rows = sqlx::query(self.sql(
            "SELECT name, definition, builtin, updated_at FROM diagnosis_trees ORDER BY name",
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TreeRow {
                    name: r.try_get("name")?,
                    definition: r.try_get("definition")?,
                    builtin: r.try_get::<i64, _>("builtin")? != 0,
                    updated_at: r.try_get("updated_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// Every stored tree, parsed.
    pub async fn tree_definitions(
        &self,
    ) -> Result<Vec<crate::domain::diagnosis::Tree>, StoreError> {
        self.list_trees()
            .await?
            .iter()
            .map(|t| {
                serde_json::from_str(&t.definition).map_err(|e| StoreError::Corrupt {
                    table: "diagnosis_trees",
                    reason: format!("{}: {e}", t.name),
                })
            })
            .collect()
    }

    /// Queue a run; `None` when a run with the same dedup key exists (queued exactly once, by
    /// whichever engine got there first).
    pub async fn queue_diagnosis(
        &self,
        d: &NewDiagnosis,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let q = "INSERT INTO diagnoses (event_id, tree, scenario, status, dedup, source_log, \
                 requested_by, claimed_by, lease_until, trace, conclusion, cause, level, \
                 created_at, started_at, finished_at, updated_at) \
                 VALUES (?, ?, ?, 'queued', ?, ?, ?, '', 0, '{}', '', '', '', ?, 0, 0, ?)";
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(self.sql(q))
            .bind(d.event_id)
            .bind(&d.tree)
            .bind(&d.scenario)
            .bind(&d.dedup)
            .bind(d.source_log)
            .bind(&d.requested_by)
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await;
        match inserted.map_err(StoreError::from) {
            Ok(_) => {}
            Err(StoreError::Conflict(_)) => return Ok(None),
            Err(e) => return Err(e),
        }
        let id: i64 = sqlx::query_scalar(self.sql("SELECT id FROM diagnoses WHERE dedup = ?"))
            .bind(&d.dedup)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(self.sql(LOG))
            .bind(d.event_id)
            .bind(now)
            .bind("diagnosis-queued")
            .bind(&d.requested_by)
            .bind(format!(
                "diagnosis {} (scenario {}) queued as run {id}",
                d.tree, d.scenario
            ))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// Claim the oldest queued run (or run `only`) for `worker` for `lease_ms`.
    pub async fn claim_diagnosis(
        &self,
        worker: &str,
        only: Option<i64>,
        clock: impl Into<LeaseClock>,
        lease_ms: i64,
    ) -> Result<Option<DiagnosisRow>, StoreError> {
        let clock = clock.into();
        let now = clock.stamp();
        let candidates: Vec<i64> = match only {
            Some(id) => vec![id],
            None => {
                sqlx::query_scalar(
                    "SELECT id FROM diagnoses WHERE status = 'queued' ORDER BY id LIMIT 8",
                )
                .fetch_all(&self.pool)
                .await?
            }
        };
        let q = format!(
            "UPDATE diagnoses SET status = 'running', claimed_by = ?, lease_until = {} + ?, \
             started_at = ?, updated_at = ? WHERE id = ? AND status = 'queued'",
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
                return self.get_diagnosis(id).await.map(Some);
            }
        }
        Ok(None)
    }

    /// Extend the lease `worker` holds; `false` when the claim is lost.
    pub async fn renew_diagnosis(
        &self,
        id: i64,
        worker: &str,
        clock: impl Into<LeaseClock>,
        lease_ms: i64,
    ) -> Result<bool, StoreError> {
        let clock = clock.into();
        let q = format!(
            "UPDATE diagnoses SET lease_until = {} + ? WHERE id = ? AND claimed_by = ? \
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

    /// Runs whose worker died (lease expired) become `interrupted`, on the event's timeline too.
    pub async fn interrupt_expired_diagnoses(
        &self,
        clock: impl Into<LeaseClock>,
    ) -> Result<Vec<i64>, StoreError> {
        let clock = clock.into();
        let expired = self.lease_now();
        let rows = sqlx::query(self.sql(&format!(
            "SELECT id, event_id FROM diagnoses WHERE status = 'running' AND lease_until < {expired}"
        )))
        .bind(clock.param())
        .fetch_all(&self.pool)
        .await?;
        let mut done = Vec::new();
        for r in rows {
            let (id, event_id): (i64, i64) = (r.try_get("id")?, r.try_get("event_id")?);
            let mut tx = self.begin_write().await?;
            let n = sqlx::query(self.sql(&format!(
                "UPDATE diagnoses SET status = 'interrupted', finished_at = ?, updated_at = ? \
                 WHERE id = ? AND status = 'running' AND lease_until < {expired}"
            )))
            .bind(clock.stamp())
            .bind(clock.stamp())
            .bind(id)
            .bind(clock.param())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                sqlx::query(self.sql(LOG))
                    .bind(event_id)
                    .bind(clock.stamp())
                    .bind("diagnosed")
                    .bind("engine")
                    .bind(format!(
                        "diagnosis run {id} interrupted: its engine stopped before it concluded"
                    ))
                    .execute(&mut *tx)
                    .await?;
                done.push(id);
            }
            tx.commit().await?;
        }
        Ok(done)
    }

    /// Record how a run `worker` holds ended, with the event's timeline entry. `false`: the claim
    /// was lost meanwhile (nothing written).
    pub async fn finish_diagnosis(
        &self,
        id: i64,
        worker: &str,
        end: &DiagnosisEnd<'_>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(self.sql(
            "UPDATE diagnoses SET status = ?, trace = ?, conclusion = ?, cause = ?, level = ?, \
             finished_at = ?, updated_at = ?, claimed_by = '' \
             WHERE id = ? AND claimed_by = ? AND status = 'running'",
        ))
        .bind(end.status)
        .bind(end.trace)
        .bind(end.conclusion)
        .bind(end.cause)
        .bind(end.level)
        .bind(now)
        .bind(now)
        .bind(id)
        .bind(worker)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n != 1 {
            return Ok(false);
        }
        let event_id: i64 =
            sqlx::query_scalar(self.sql("SELECT event_id FROM diagnoses WHERE id = ?"))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        sqlx::query(self.sql(LOG))
            .bind(event_id)
            .bind(now)
            .bind("diagnosed")
            .bind("engine")
            .bind(end.log)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn get_diagnosis(&self, id: i64) -> Result<DiagnosisRow, StoreError> {
        let q = format!("SELECT {COLS} FROM diagnoses WHERE id = ?");
        let r = sqlx::query(self.sql(&q))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("diagnosis run {id}")))?;
        Ok(row(&r)?)
    }

    /// Runs, newest first: of one event, or all.
    pub async fn list_diagnoses(
        &self,
        event_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<DiagnosisRow>, StoreError> {
        let rows = match event_id {
            Some(e) => {
                let q = format!(
                    "SELECT {COLS} FROM diagnoses WHERE event_id = ? ORDER BY id DESC LIMIT ?"
                );
                sqlx::query(self.sql(&q))
                    .bind(e)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                let q = format!("SELECT {COLS} FROM diagnoses ORDER BY id DESC LIMIT ?");
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

    /// The matcher's cursor: the last event-log entry it has read.
    pub async fn diagnosis_cursor(&self) -> Result<i64, StoreError> {
        let v: Option<i64> =
            sqlx::query_scalar(self.sql("SELECT last_log FROM diagnosis_matcher WHERE id = 1"))
                .fetch_optional(&self.pool)
                .await?;
        Ok(v.unwrap_or(0))
    }

    /// Move the cursor forward (never back: two engines may both have read).
    pub async fn advance_diagnosis_cursor(&self, to: i64, now: i64) -> Result<(), StoreError> {
        sqlx::query(self.sql(
            "UPDATE diagnosis_matcher SET last_log = ?, updated_at = ? WHERE id = 1 AND last_log < ?",
        ))
        .bind(to)
        .bind(now)
        .bind(to)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Event-log entries after `after` that start an alerting episode (`received`, `reopened`):
    /// `(log id, event id)`, oldest first.
    pub async fn alerting_logs_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        let rows = sqlx::query(self.sql(
            "SELECT id, event_id FROM event_log WHERE id > ? AND kind IN ('received', 'reopened') \
             ORDER BY id LIMIT ?",
        ))
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("event_id")?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// The highest event-log id (the cursor's end when a scan found nothing).
    pub async fn last_event_log(&self) -> Result<i64, StoreError> {
        let v: Option<i64> = sqlx::query_scalar(self.sql("SELECT MAX(id) FROM event_log"))
            .fetch_one(&self.pool)
            .await?;
        Ok(v.unwrap_or(0))
    }
}
