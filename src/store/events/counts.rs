//! The change stamp and the maintained counts of `risk_events`.
//!
//! Every write to `risk_events` bumps its row in `change_stamps` and adds its (level, status)
//! deltas to `risk_event_counts` in the SAME transaction, so a poller reads one primary-key row to
//! learn whether anything changed, and the Overview's counts (and any count narrowed only by level
//! and status) are exact without a scan. Writes outside `store/events/` must not touch
//! `risk_events` (none do); the events store test compares the counts with `GROUP BY` after every
//! kind of write.

use std::collections::BTreeMap;

use sqlx::Row;

use super::super::{Store, StoreError};
use crate::domain::event::{EventQuery, Level, Status};

/// (level, status) → change, gathered during a write and applied once at its end.
#[derive(Debug, Default)]
pub(super) struct CountDeltas(BTreeMap<(&'static str, &'static str), i64>);

impl CountDeltas {
    /// An event moved from `before` (none: it is new) to `after` (none: it is gone).
    pub(super) fn moved(
        &mut self,
        before: Option<(Level, Status)>,
        after: Option<(Level, Status)>,
    ) {
        if before == after {
            return;
        }
        if let Some((l, s)) = before {
            *self.0.entry((l.as_str(), s.as_str())).or_default() -= 1;
        }
        if let Some((l, s)) = after {
            *self.0.entry((l.as_str(), s.as_str())).or_default() += 1;
        }
    }

    /// Apply the deltas and bump the change stamp, inside `tx`. Keys in a fixed (sorted) order, so
    /// two engines writing at once lock the count rows in the same order (no deadlock).
    pub(super) async fn apply(
        self,
        store: &Store,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    ) -> Result<(), StoreError> {
        let update = "UPDATE risk_event_counts SET n = n + ? WHERE level = ? AND status = ?";
        for ((level, status), n) in self.0 {
            if n == 0 {
                continue;
            }
            let done = sqlx::query(store.sql(update))
                .bind(n)
                .bind(level)
                .bind(status)
                .execute(&mut **tx)
                .await?;
            if done.rows_affected() == 0 {
                sqlx::query(
                    store.sql("INSERT INTO risk_event_counts (level, status, n) VALUES (?, ?, ?)"),
                )
                .bind(level)
                .bind(status)
                .bind(n)
                .execute(&mut **tx)
                .await?;
            }
        }
        bump(store, tx).await
    }
}

/// Bump the `risk_events` change stamp inside `tx`.
pub(super) async fn bump(
    store: &Store,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
) -> Result<(), StoreError> {
    sqlx::query(
        store.sql("UPDATE change_stamps SET version = version + 1 WHERE name = 'risk_events'"),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// The `risk_events` change stamp: it moves with every committed write (one primary-key read).
    pub async fn events_stamp(&self) -> Result<i64, StoreError> {
        let v: Option<i64> =
            sqlx::query_scalar("SELECT version FROM change_stamps WHERE name = 'risk_events'")
                .fetch_optional(&self.pool)
                .await?;
        Ok(v.unwrap_or(0))
    }

    /// The maintained counts: (level, status, n) for every combination with events.
    pub async fn event_counts(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT level, status, n FROM risk_event_counts WHERE n <> 0 ORDER BY level, status",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("level")?, r.try_get("status")?, r.try_get("n")?)))
            .collect()
    }

    /// Recount `risk_event_counts` from the table (one `GROUP BY` scan; the stamp moves if a
    /// count was wrong): for
    /// rows written behind the store's back (a bulk load, a restore). Returns the counts that
    /// were wrong, as (level, status, kept, actual).
    pub async fn recount_events(&self) -> Result<Vec<(String, String, i64, i64)>, StoreError> {
        let mut tx = self.begin_write().await?;
        let actual = sqlx::query(
            "SELECT level, status, COUNT(*) AS n FROM risk_events GROUP BY level, status",
        )
        .fetch_all(&mut *tx)
        .await?;
        let kept = sqlx::query("SELECT level, status, n FROM risk_event_counts")
            .fetch_all(&mut *tx)
            .await?;
        let mut want: BTreeMap<(String, String), i64> = BTreeMap::new();
        for r in &kept {
            want.insert((r.try_get("level")?, r.try_get("status")?), 0);
        }
        for r in &actual {
            want.insert((r.try_get("level")?, r.try_get("status")?), r.try_get("n")?);
        }
        let mut have: BTreeMap<(String, String), i64> = BTreeMap::new();
        for r in &kept {
            have.insert((r.try_get("level")?, r.try_get("status")?), r.try_get("n")?);
        }
        let mut wrong = Vec::new();
        for ((level, status), n) in want {
            let old = have.get(&(level.clone(), status.clone())).copied();
            if old == Some(n) {
                continue;
            }
            sqlx::query(self.sql("DELETE FROM risk_event_counts WHERE level = ? AND status = ?"))
                .bind(level.clone())
                .bind(status.clone())
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                self.sql("INSERT INTO risk_event_counts (level, status, n) VALUES (?, ?, ?)"),
            )
            .bind(level.clone())
            .bind(status.clone())
            .bind(n)
            .execute(&mut *tx)
            .await?;
            wrong.push((level, status, old.unwrap_or(0), n));
        }
        if !wrong.is_empty() {
            bump(self, &mut tx).await?;
        }
        tx.commit().await?;
        Ok(wrong)
    }

    /// The count of a query narrowed only by level and status, from the maintained counts.
    pub(super) async fn counted(&self, q: &EventQuery) -> Result<i64, StoreError> {
        let wanted = |level: &str, status: &str| {
            let level_ok = q.levels.is_empty() || q.levels.iter().any(|l| l.as_str() == level);
            let status_ok = if q.statuses.is_empty() {
                status != Status::Suppressed.as_str()
            } else {
                q.statuses.iter().any(|s| s.as_str() == status)
            };
            level_ok && status_ok
        };
        Ok(self
            .event_counts()
            .await?
            .into_iter()
            .filter(|(l, s, _)| wanted(l, s))
            .map(|(_, _, n)| n)
            .sum())
    }
}
