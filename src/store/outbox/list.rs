//! Reading the outbox for people: counts for the overview and `/metrics`, one event's deliveries
//! for its detail view. Read-only.

use sqlx::Row;

use super::{COLS, OutboxItem, item};
use crate::domain::event::LogEntry;
use crate::store::{Store, StoreError};

impl Store {
    /// How many rows are (pending, delivered, failed).
    pub async fn outbox_counts(&self) -> Result<(i64, i64, i64), StoreError> {
        let rows =
            sqlx::query(self.sql("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status"))
                .fetch_all(&self.pool)
                .await?;
        let (mut pending, mut delivered, mut failed) = (0, 0, 0);
        for r in &rows {
            let status: String = r.try_get("status")?;
            let n: i64 = r.try_get("n")?;
            match status.as_str() {
                "pending" => pending = n,
                "delivered" => delivered = n,
                "failed" => failed = n,
                _ => {}
            }
        }
        Ok((pending, delivered, failed))
    }

    /// Every notification of one event, oldest first (for the event's detail view).
    pub async fn outbox_for_event(&self, event_id: i64) -> Result<Vec<OutboxItem>, StoreError> {
        let q = format!("SELECT {COLS} FROM outbox WHERE event_id = ? ORDER BY id");
        let rows = sqlx::query(self.sql(&q))
            .bind(event_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(item).collect::<Result<_, _>>()?)
    }

    /// The delivery entries (`notified`, `notify-failed`) of one event's timeline, oldest first.
    pub async fn notification_log(&self, event_id: i64) -> Result<Vec<LogEntry>, StoreError> {
        let q = "SELECT id, event_id, at, kind, actor, message FROM event_log \
                 WHERE event_id = ? AND kind IN ('notified', 'notify-failed') ORDER BY id";
        let rows = sqlx::query(self.sql(q))
            .bind(event_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(LogEntry {
                    id: r.try_get("id")?,
                    event_id: r.try_get("event_id")?,
                    at: r.try_get("at")?,
                    kind: r.try_get("kind")?,
                    actor: r.try_get("actor")?,
                    message: r.try_get("message")?,
                })
            })
            .collect()
    }
}
