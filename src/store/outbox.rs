//! `outbox`: the durable queue of notifications to deliver, drained by every engine's notifier.
//!
//! Rows are enqueued in the same transaction as the event change that caused them, so a
//! notification exists exactly when its change committed. Workers claim due rows with a lease
//! (`claimed_by`, `lease_until`) through one conditional UPDATE, so with several engines each row
//! is claimed by exactly one of them; a worker that dies leaves its rows to be claimed again when
//! the lease expires (delivery is therefore at-least-once, never silently lost). Completion and
//! failure are conditional on still holding the claim. This module knows nothing about channels,
//! HTTP or formats, and never sees a channel URL or secret.

mod list;

use sqlx::Row;

use super::{Store, StoreError, restart::restarting};

/// Longest `last_error` kept (characters); a receiver may answer with a whole HTML page.
const MAX_ERROR_CHARS: usize = 500;

/// One outbox row, as a worker claims it and as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    pub id: i64,
    /// The `NOTIFY_CHANNELS` name (never the URL).
    pub channel: String,
    pub event_id: i64,
    /// The `Notification` JSON.
    pub payload: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Failed attempts so far.
    pub attempts: i64,
    pub next_try: i64,
    pub last_error: String,
    pub created_at: i64,
    pub delivered_at: i64,
}

const COLS: &str = "id, channel, event_id, payload, status, attempts, next_try, last_error, \
                    created_at, delivered_at";

const INSERT: &str = "INSERT INTO outbox (channel, event_id, payload, status, attempts, next_try, \
                      claimed_by, lease_until, last_error, created_at, delivered_at) \
                      VALUES (?, ?, ?, 'pending', 0, ?, '', 0, '', ?, 0)";

/// Claimable: pending, due, and not under someone else's live lease. Written twice in the claim
/// (inner pick, outer re-check) because the outer check is what makes two racing claims disjoint.
const CLAIMABLE: &str =
    "status = 'pending' AND next_try <= ? AND (claimed_by = '' OR lease_until < ?)";

const LOG: &str =
    "INSERT INTO event_log (event_id, at, kind, actor, message) VALUES (?, ?, ?, ?, ?)";

/// How an attempt on a claimed row ended.
#[derive(Clone, Copy)]
enum Settle<'a> {
    Delivered,
    /// The error, and when to try again.
    Retry(&'a str, i64),
    /// The error; no more attempts.
    Failed(&'a str),
}

/// The `event_id` of a notice about no event (an inspection run's summary).
pub const NO_EVENT: i64 = 0;

/// Who writes the timeline entries of deliveries.
const ACTOR: &str = "notifier";

fn item(row: &sqlx::any::AnyRow) -> Result<OutboxItem, sqlx::Error> {
    Ok(OutboxItem {
        id: row.try_get("id")?,
        channel: row.try_get("channel")?,
        event_id: row.try_get("event_id")?,
        payload: row.try_get("payload")?,
        status: row.try_get("status")?,
        attempts: row.try_get("attempts")?,
        next_try: row.try_get("next_try")?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
        delivered_at: row.try_get("delivered_at")?,
    })
}

/// `s` cut to at most `max` characters (on a character boundary).
fn truncate(s: &str, max: usize) -> &str {
    s.char_indices().nth(max).map_or(s, |(i, _)| &s[..i])
}

impl Store {
    /// Queue one notification for `channel`, due at once.
    pub async fn enqueue_outbox(
        &self,
        channel: &str,
        event_id: i64,
        payload_json: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        self.enqueue_outbox_in(&mut tx, channel, event_id, payload_json, now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// [`Store::enqueue_outbox`] inside the caller's transaction, so the event change and its
    /// notifications commit together or not at all.
    pub(super) async fn enqueue_outbox_in(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        channel: &str,
        event_id: i64,
        payload_json: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(self.sql(INSERT))
            .bind(channel)
            .bind(event_id)
            .bind(payload_json)
            .bind(now)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Claim up to `limit` due rows for `worker` until `now + lease_ms`, oldest first, and return
    /// them. Safe with any number of workers on any number of engines: the UPDATE re-checks the
    /// claimable condition row by row under the database's row lock (SQLite: the write lock), so
    /// of two racing claims only one changes a given row; each then reads back only the rows
    /// stamped with its own name and lease. The lease must outlast a batch's delivery, or another
    /// worker may send a row a second time.
    pub async fn claim_due_outbox(
        &self,
        worker: &str,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let lease_until = now.saturating_add(lease_ms);
        // A read first: when nothing is due (nearly always) no write lock is taken, so an idle
        // notifier polling every second never queues behind the ingest writer (SQLite has one).
        let q = format!("SELECT id FROM outbox WHERE {CLAIMABLE} LIMIT 1");
        let due = sqlx::query(self.sql(&q))
            .bind(now)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        if due.is_none() {
            return Ok(Vec::new());
        }
        // The pick sits in a derived table: MySQL refuses a subquery on the updated table
        // otherwise, and takes no LIMIT directly inside IN (…).
        let q = format!(
            "UPDATE outbox SET claimed_by = ?, lease_until = ? WHERE id IN \
             (SELECT id FROM (SELECT id FROM outbox WHERE {CLAIMABLE} ORDER BY id LIMIT ?) due) \
             AND {CLAIMABLE}"
        );
        let claimed = restarting(|| {
            sqlx::query(self.sql(&q))
                .bind(worker)
                .bind(lease_until)
                .bind(now)
                .bind(now)
                .bind(limit)
                .bind(now)
                .bind(now)
                .execute(&self.pool)
        })
        .await?
        .rows_affected();
        if claimed == 0 {
            return Ok(Vec::new());
        }
        let q = format!(
            "SELECT {COLS} FROM outbox WHERE claimed_by = ? AND lease_until = ? \
             AND status = 'pending' ORDER BY id"
        );
        let rows = sqlx::query(self.sql(&q))
            .bind(worker)
            .bind(lease_until)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(item).collect::<Result<_, _>>()?)
    }

    /// Mark a claimed row delivered and note it on the event's timeline. `Ok(false)`: `worker` no
    /// longer holds the claim (its lease expired and another worker took the row over).
    pub async fn complete_outbox(
        &self,
        id: i64,
        worker: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        restarting(|| self.settle(id, worker, now, Settle::Delivered)).await
    }

    /// Record a failed attempt of a claimed row: back to `pending` at `next_try`, or `failed`
    /// for good when `next_try` is `None` (then also noted on the event's timeline). The error is
    /// kept truncated. `Ok(false)`: `worker` no longer holds the claim.
    pub async fn fail_outbox(
        &self,
        id: i64,
        worker: &str,
        now: i64,
        error: &str,
        next_try: Option<i64>,
    ) -> Result<bool, StoreError> {
        let error = truncate(error, MAX_ERROR_CHARS);
        let how = match next_try {
            Some(at) => Settle::Retry(error, at),
            None => Settle::Failed(error),
        };
        restarting(|| self.settle(id, worker, now, how)).await
    }

    /// End one attempt of a claimed row, in one transaction with its timeline entry.
    async fn settle(
        &self,
        id: i64,
        worker: &str,
        now: i64,
        how: Settle<'_>,
    ) -> Result<bool, sqlx::Error> {
        let (status, delivered_at, failures, error, next_try) = match how {
            Settle::Delivered => ("delivered", now, 0_i64, None, None),
            Settle::Retry(e, at) => ("pending", 0, 1, Some(e), Some(at)),
            Settle::Failed(e) => ("failed", 0, 1, Some(e), None),
        };
        // NULL keeps the column: a delivered row keeps the error of its last failed attempt.
        let q = "UPDATE outbox SET status = ?, delivered_at = ?, attempts = attempts + ?, \
                 last_error = COALESCE(?, last_error), next_try = COALESCE(?, next_try), \
                 claimed_by = '', lease_until = 0 \
                 WHERE id = ? AND claimed_by = ? AND status = 'pending'";
        // Not `begin_write`: a deadlock victim must be recognised (`sqlx::Error`). The UPDATE comes
        // first, which on SQLite takes the write lock at once, as BEGIN IMMEDIATE would.
        let mut tx = self.pool.begin().await?;
        let won = sqlx::query(self.sql(q))
            .bind(status)
            .bind(delivered_at)
            .bind(failures)
            .bind(error)
            .bind(next_try)
            .bind(id)
            .bind(worker)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if won && status != "pending" {
            let row = sqlx::query(self.sql("SELECT channel, event_id FROM outbox WHERE id = ?"))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let channel: String = row.try_get("channel")?;
            let event_id: i64 = row.try_get("event_id")?;
            let (kind, message) = match error {
                None => ("notified", format!("sent to {channel}")),
                Some(e) => ("notify-failed", format!("not sent to {channel}: {e}")),
            };
            // Event 0: a notice about no event (an inspection run's summary); no timeline.
            if event_id != NO_EVENT {
                sqlx::query(self.sql(LOG))
                    .bind(event_id)
                    .bind(now)
                    .bind(kind)
                    .bind(ACTOR)
                    .bind(message)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(won)
    }

    /// Give back every row `worker` still holds (clean shutdown), so another worker can take them
    /// at once instead of waiting for the lease to expire. Returns how many.
    pub async fn release_outbox(&self, worker: &str) -> Result<u64, StoreError> {
        let q = "UPDATE outbox SET claimed_by = '', lease_until = 0 \
                 WHERE claimed_by = ? AND status = 'pending'";
        Ok(sqlx::query(self.sql(q))
            .bind(worker)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
