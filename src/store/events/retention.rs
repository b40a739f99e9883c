//! Retention: closed events whose last sighting is older than the retention period move to
//! `risk_events_archive` (same columns plus `archived_at`), in batches, each batch one
//! transaction (copy, delete, counts, stamp), so the live table stops growing and nothing is
//! lost: archived rows are listed for export by [`Store::list_archived`]. Their timelines stay in
//! `event_log` (ids are never reused).

use sqlx::Row;

use super::super::{Dialect, Store, StoreError};
use super::counts::CountDeltas;
use super::{EVENT_COLS, event, marks};
use crate::domain::event::{Event, Level, Status};

/// Closed events are kept this many days after they were last seen (`events.retention_days`).
pub const RETENTION_DAYS: i64 = 400;

/// Rows moved per transaction (short write locks on SQLite).
const BATCH: i64 = 1_000;

/// An archived event and when it was archived (epoch ms).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ArchivedEvent {
    #[serde(flatten)]
    pub event: Event,
    pub archived_at: i64,
}

impl Store {
    /// Keep SQLite's query-planner statistics current (`PRAGMA optimize` over every table; it
    /// re-analyzes a table only when it has none or its size changed 25-fold: 1.6 s at 1M, read
    /// only). Without them SQLite guesses that `status = 'open'` selects ten rows and sorts half a
    /// million instead of walking the sort's index; sampled statistics (`analysis_limit`) were
    /// as wrong (1,001 rows per status). MariaDB and PostgreSQL keep their own statistics
    /// (InnoDB persistent stats, autovacuum's analyze).
    pub async fn refresh_planner_stats(&self) -> Result<(), StoreError> {
        if self.dialect != Dialect::Sqlite {
            return Ok(());
        }
        sqlx::raw_sql("PRAGMA analysis_limit = 0; PRAGMA optimize = 0x10002")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Move closed events last seen before `cutoff` (epoch ms) to the archive. Returns how many
    /// moved. Safe to run from several engines at once (each batch re-reads under its own lock).
    pub async fn archive_closed_events(&self, cutoff: i64, now: i64) -> Result<u64, StoreError> {
        let mut moved = 0_u64;
        loop {
            let mut tx = self.begin_write().await?;
            let rows = sqlx::query(self.sql(super::list::RETENTION_SELECT))
                .bind(cutoff)
                .bind(BATCH)
                .fetch_all(&mut *tx)
                .await?;
            if rows.is_empty() {
                tx.rollback().await?;
                return Ok(moved);
            }
            let mut ids = Vec::with_capacity(rows.len());
            let mut deltas = CountDeltas::default();
            for r in &rows {
                ids.push(r.try_get::<i64, _>("id")?);
                let level: String = r.try_get("level")?;
                let level = Level::parse(&level).ok_or_else(|| StoreError::Corrupt {
                    table: "risk_events",
                    reason: format!("level {level:?}"),
                })?;
                deltas.moved(Some((level, Status::Closed)), None);
            }
            let copy = format!(
                "INSERT INTO risk_events_archive ({EVENT_COLS}, flips, flip_window_start, archived_at) \
                 SELECT {EVENT_COLS}, flips, flip_window_start, ? FROM risk_events \
                 WHERE status = 'closed' AND id IN ({})",
                marks(ids.len())
            );
            let mut q = sqlx::query(self.sql(&copy)).bind(now);
            for id in &ids {
                q = q.bind(*id);
            }
            let copied = q.execute(&mut *tx).await?.rows_affected();
            let delete = format!(
                "DELETE FROM risk_events WHERE status = 'closed' AND id IN ({})",
                marks(ids.len())
            );
            let mut q = sqlx::query(self.sql(&delete));
            for id in &ids {
                q = q.bind(*id);
            }
            let deleted = q.execute(&mut *tx).await?.rows_affected();
            if copied != deleted || deleted != ids.len() as u64 {
                tx.rollback().await?;
                return Err(StoreError::Conflict(format!(
                    "retention: {copied} copied but {deleted} deleted of {} selected; nothing moved",
                    ids.len()
                )));
            }
            deltas.apply(self, &mut tx).await?;
            tx.commit().await?;
            moved += deleted;
        }
    }

    /// Archived events with id above `after_id`, oldest id first, at most `limit` (for export).
    pub async fn list_archived(
        &self,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<ArchivedEvent>, StoreError> {
        let sql = format!(
            "SELECT {EVENT_COLS}, archived_at FROM risk_events_archive WHERE id > ? ORDER BY id LIMIT ?"
        );
        let rows = sqlx::query(self.sql(&sql))
            .bind(after_id)
            .bind(limit.clamp(0, 100_000))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ArchivedEvent {
                    event: event(r)?,
                    archived_at: r.try_get("archived_at")?,
                })
            })
            .collect()
    }
}
