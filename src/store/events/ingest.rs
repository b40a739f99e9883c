//! The batched ingest transaction.

use std::collections::HashMap;

use sqlx::Row;

use super::super::{Dialect, Store, StoreError, restart::restarting_on};
use super::counts::CountDeltas;
use super::{marks, multi_insert};
use crate::domain::event::{Incoming, Prior, Status, Transition, apply};
use crate::domain::notify::{Channel, Notification};

/// One alert with the filters' verdict.
#[derive(Debug, Clone)]
pub struct IngestItem {
    pub incoming: Incoming,
    /// `false`: filtered by `RISK_DASHBOARD_CONFIG` (stored as suppressed).
    pub keep: bool,
}

/// What a batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestOutcome {
    pub created: usize,
    pub updated: usize,
    pub suppressed: usize,
    /// Events that became visible and firing (new or re-opened): (id, level).
    pub alerting: Vec<(i64, crate::domain::event::Level)>,
    pub notifications: usize,
}

/// Rows per multi-row statement: under every backend's bind-parameter limit (22 columns × 400).
const CHUNK: usize = 400;

const NEW_COLS: [&str; 21] = [
    "fingerprint",
    "source",
    "ds_type",
    "level",
    "title",
    "summary",
    "labels",
    "annotations",
    "component",
    "status",
    "firing",
    "first_seen",
    "last_seen",
    "count",
    "flips",
    "flip_window_start",
    "flapping",
    "assignee",
    "original_level",
    "source_url",
    "updated_at",
];

/// The columns a repeat changes (after `id`), in the order `update_many` binds them.
const UPDATE_COLS: [&str; 16] = [
    "level",
    "title",
    "summary",
    "labels",
    "annotations",
    "component",
    "status",
    "firing",
    "last_seen",
    "count",
    "flips",
    "flip_window_start",
    "flapping",
    "original_level",
    "source_url",
    "updated_at",
];

struct Existing {
    id: i64,
    prior: Prior,
    /// (level, status) as stored before this batch (for the maintained counts).
    stored: (crate::domain::event::Level, Status),
}

impl Store {
    /// Store a batch of alerts in one transaction: nothing of it is visible until all of it is.
    /// `channels` decide which notifications go to the outbox (in the same transaction).
    ///
    /// Several writers at once (engines sharing a database, an inspection run's checks) take
    /// their locks in one order: existing rows by fingerprint, new rows inserted by fingerprint,
    /// updates by id. What is left is run again whole (its transaction was rolled back): a
    /// deadlock victim, and a batch whose new event another writer inserted and committed first
    /// (the unique fingerprint refuses the second insert; run again, it finds the row).
    pub async fn ingest_batch(
        &self,
        items: &[IngestItem],
        channels: &[Channel],
        now: i64,
    ) -> Result<IngestOutcome, StoreError> {
        restarting_on(
            |e| matches!(e, StoreError::Deadlock(_) | StoreError::Conflict(_)),
            || self.ingest_batch_once(items, channels, now),
        )
        .await
    }

    async fn ingest_batch_once(
        &self,
        items: &[IngestItem],
        channels: &[Channel],
        now: i64,
    ) -> Result<IngestOutcome, StoreError> {
        let mut out = IngestOutcome::default();
        if items.is_empty() {
            return Ok(out);
        }
        let mut tx = self.begin_write().await?;
        // 1. Existing rows of every fingerprint in the batch.
        let mut existing: HashMap<String, Existing> = HashMap::new();
        let mut fps: Vec<&str> = items
            .iter()
            .map(|i| i.incoming.fingerprint.as_str())
            .collect();
        fps.sort_unstable();
        fps.dedup();
        // Lock the rows on servers so two engines cannot interleave updates of one event; SQLite
        // has one writer at a time anyway. In fingerprint order: PostgreSQL locks the rows as the
        // sort returns them (a scan of a small table walks the heap, whose order updates change).
        let lock = match self.dialect {
            Dialect::Sqlite => "",
            Dialect::MySql | Dialect::Postgres => " FOR UPDATE",
        };
        for chunk in fps.chunks(CHUNK) {
            let q = format!(
                "SELECT id, fingerprint, status, firing, level, original_level, count, flips, \
                 flip_window_start, flapping, first_seen FROM risk_events WHERE fingerprint IN ({}) \
                 ORDER BY fingerprint{lock}",
                marks(chunk.len())
            );
            let mut query = sqlx::query(self.sql(&q));
            for fp in chunk {
                query = query.bind(*fp);
            }
            for row in query.fetch_all(&mut *tx).await? {
                let level: String = row.try_get("level")?;
                let original: String = row.try_get("original_level")?;
                let status: String = row.try_get("status")?;
                let bad = |what: String| StoreError::Corrupt {
                    table: "risk_events",
                    reason: what,
                };
                let prior = Prior {
                    status: Status::parse(&status).ok_or_else(|| bad(status.clone()))?,
                    firing: row.try_get::<i64, _>("firing")? != 0,
                    level: crate::domain::event::Level::parse(&level)
                        .ok_or_else(|| bad(level.clone()))?,
                    original_level: crate::domain::event::Level::parse(&original)
                        .ok_or_else(|| bad(original.clone()))?,
                    count: row.try_get("count")?,
                    flips: row.try_get("flips")?,
                    flip_window_start: row.try_get("flip_window_start")?,
                    flapping: row.try_get::<i64, _>("flapping")? != 0,
                    first_seen: row.try_get("first_seen")?,
                };
                existing.insert(
                    row.try_get("fingerprint")?,
                    Existing {
                        id: row.try_get("id")?,
                        stored: (prior.level, prior.status),
                        prior,
                    },
                );
            }
        }

        // 2. Transitions, in arrival order; a fingerprint repeated within the batch folds.
        let mut new_rows: Vec<(usize, Transition)> = Vec::new(); // (item index, final state)
        let mut new_index: HashMap<&str, usize> = HashMap::new(); // fingerprint → new_rows index
        let mut updates: HashMap<i64, (usize, Transition)> = HashMap::new();
        let mut logs_new: Vec<(usize, &'static str, String)> = Vec::new(); // by new_rows index
        let mut logs_old: Vec<(i64, &'static str, String)> = Vec::new();
        let mut notify_new: Vec<(usize, &'static str)> = Vec::new();
        let mut notify_old: Vec<(i64, usize, &'static str)> = Vec::new();
        for (idx, item) in items.iter().enumerate() {
            let inc = &item.incoming;
            let fp = inc.fingerprint.as_str();
            if let Some(e) = existing.get_mut(fp) {
                let t = apply(Some(&e.prior), inc, item.keep, now);
                e.prior = t.prior();
                logs_old.extend(t.log.iter().map(|(k, m)| (e.id, *k, m.clone())));
                if t.alerting {
                    notify_old.push((e.id, idx, "firing"));
                    out.alerting.push((e.id, t.level));
                } else if t.resolved {
                    notify_old.push((e.id, idx, "resolved"));
                }
                updates.insert(e.id, (idx, t));
            } else if let Some(&n) = new_index.get(fp) {
                let prior = new_rows[n].1.prior();
                let t = apply(Some(&prior), inc, item.keep, now);
                logs_new.extend(t.log.iter().map(|(k, m)| (n, *k, m.clone())));
                if t.resolved {
                    notify_new.push((n, "resolved"));
                }
                new_rows[n] = (idx, t);
            } else {
                let t = apply(None, inc, item.keep, now);
                let n = new_rows.len();
                logs_new.extend(t.log.iter().map(|(k, m)| (n, *k, m.clone())));
                if t.alerting {
                    notify_new.push((n, "firing"));
                }
                if t.status == Status::Suppressed {
                    out.suppressed += 1;
                }
                new_index.insert(fp, n);
                new_rows.push((idx, t));
            }
        }

        // 3. New events: multi-row INSERT in fingerprint order (the unique index's lock order in
        //    every engine), then read their ids back.
        let mut new_ids: Vec<i64> = vec![0; new_rows.len()];
        let mut by_fp: Vec<&(usize, Transition)> = new_rows.iter().collect();
        by_fp.sort_unstable_by_key(|(idx, _)| items[*idx].incoming.fingerprint.as_str());
        for chunk in by_fp.chunks(CHUNK) {
            let q = multi_insert("risk_events", &NEW_COLS, chunk.len());
            // The new ids: returned by the INSERT itself where the dialect can, else read back by
            // fingerprint (unique) in one more statement.
            let rows = if self.dialect.returning() {
                let q = format!("{q} RETURNING id, fingerprint");
                let mut query = sqlx::query(self.sql(&q));
                query = bind_new(query, chunk, items, now);
                query.fetch_all(&mut *tx).await?
            } else {
                bind_new(sqlx::query(self.sql(&q)), chunk, items, now)
                    .execute(&mut *tx)
                    .await?;
                let q = format!(
                    "SELECT id, fingerprint FROM risk_events WHERE fingerprint IN ({})",
                    marks(chunk.len())
                );
                let mut query = sqlx::query(self.sql(&q));
                for (idx, _) in chunk {
                    query = query.bind(items[*idx].incoming.fingerprint.clone());
                }
                query.fetch_all(&mut *tx).await?
            };
            for row in rows {
                let fp: String = row.try_get("fingerprint")?;
                if let Some(&n) = new_index.get(fp.as_str()) {
                    new_ids[n] = row.try_get("id")?;
                }
            }
        }
        out.created = new_rows.len();

        // 4. Repeated events: one multi-row UPDATE per chunk (ids in order: the same lock order in
        //    every engine).
        let mut changed: Vec<(&i64, &(usize, Transition))> = updates.iter().collect();
        changed.sort_by_key(|(id, _)| **id);
        for chunk in changed.chunks(CHUNK) {
            let q = self
                .dialect
                .update_many("risk_events", "id", &UPDATE_COLS, chunk.len());
            let mut query = sqlx::query(self.sql(&q));
            for (id, (idx, t)) in chunk {
                let inc = &items[*idx].incoming;
                query = query
                    .bind(**id)
                    .bind(t.level.as_str())
                    .bind(inc.title.clone())
                    .bind(inc.summary.clone())
                    .bind(serde_json::to_string(&inc.labels).unwrap_or_default())
                    .bind(serde_json::to_string(&inc.annotations).unwrap_or_default())
                    .bind(inc.component.clone())
                    .bind(t.status.as_str())
                    .bind(i64::from(t.firing))
                    .bind(now)
                    .bind(t.count)
                    .bind(t.flips)
                    .bind(t.flip_window_start)
                    .bind(i64::from(t.flapping))
                    .bind(t.original_level.as_str())
                    .bind(inc.source_url.clone())
                    .bind(now);
            }
            query.execute(&mut *tx).await?;
        }
        out.updated = updates.len();

        // The maintained counts and the change stamp, in this transaction.
        let mut deltas = CountDeltas::default();
        for (_, t) in &new_rows {
            deltas.moved(None, Some((t.level, t.status)));
        }
        for e in existing.values() {
            if let Some((_, t)) = updates.get(&e.id) {
                deltas.moved(Some(e.stored), Some((t.level, t.status)));
            }
        }
        deltas.apply(self, &mut tx).await?;

        // 5. Timeline entries.
        let mut logs: Vec<(i64, &'static str, String)> = logs_old;
        logs.extend(logs_new.into_iter().map(|(n, k, m)| (new_ids[n], k, m)));
        for chunk in logs.chunks(CHUNK) {
            let q = multi_insert(
                "event_log",
                &["event_id", "at", "kind", "actor", "message"],
                chunk.len(),
            );
            let mut query = sqlx::query(self.sql(&q));
            for (id, kind, msg) in chunk {
                query = query
                    .bind(*id)
                    .bind(now)
                    .bind(*kind)
                    .bind("")
                    .bind(msg.clone());
            }
            query.execute(&mut *tx).await?;
        }

        // 6. Notifications, through the outbox (same transaction: no event without its message).
        let mut outbox: Vec<(String, i64, String)> = Vec::new();
        let mut push = |id: i64, idx: usize, kind: &'static str, t: &Transition| {
            let inc = &items[idx].incoming;
            for ch in channels
                .iter()
                .filter(|c| c.wants(t.level, &inc.source) && (kind == "firing" || c.resolved))
            {
                let n = Notification {
                    kind: kind.to_owned(),
                    event: event_of(id, inc, t, now),
                };
                outbox.push((
                    ch.name.clone(),
                    id,
                    serde_json::to_string(&n).unwrap_or_default(),
                ));
            }
        };
        for (n, kind) in notify_new {
            if kind == "firing" {
                out.alerting.push((new_ids[n], new_rows[n].1.level));
            }
            push(new_ids[n], new_rows[n].0, kind, &new_rows[n].1);
        }
        for (id, idx, kind) in notify_old {
            if let Some((_, t)) = updates.get(&id) {
                push(id, idx, kind, t);
            }
        }
        out.notifications = outbox.len();
        for chunk in outbox.chunks(CHUNK) {
            let cols = [
                "channel",
                "event_id",
                "payload",
                "status",
                "attempts",
                "next_try",
                "claimed_by",
                "lease_until",
                "last_error",
                "created_at",
                "delivered_at",
            ];
            let q = multi_insert("outbox", &cols, chunk.len());
            let mut query = sqlx::query(self.sql(&q));
            for (ch, id, payload) in chunk {
                query = query
                    .bind(ch.clone())
                    .bind(*id)
                    .bind(payload.clone())
                    .bind("pending")
                    .bind(0_i64)
                    .bind(now)
                    .bind("")
                    .bind(0_i64)
                    .bind("")
                    .bind(now)
                    .bind(0_i64);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(out)
    }
}

/// Bind the values of new events (`NEW_COLS`, in order) for a chunk of `(item, transition)`.
fn bind_new<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    chunk: &[&(usize, Transition)],
    items: &[IngestItem],
    now: i64,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for (idx, t) in chunk {
        let inc = &items[*idx].incoming;
        query = query
            .bind(inc.fingerprint.clone())
            .bind(inc.source.clone())
            .bind(inc.ds_type.clone())
            .bind(t.level.as_str())
            .bind(inc.title.clone())
            .bind(inc.summary.clone())
            .bind(serde_json::to_string(&inc.labels).unwrap_or_default())
            .bind(serde_json::to_string(&inc.annotations).unwrap_or_default())
            .bind(inc.component.clone())
            .bind(t.status.as_str())
            .bind(i64::from(t.firing))
            .bind(t.first_seen)
            .bind(now)
            .bind(t.count)
            .bind(t.flips)
            .bind(t.flip_window_start)
            .bind(i64::from(t.flapping))
            .bind("")
            .bind(t.original_level.as_str())
            .bind(inc.source_url.clone())
            .bind(now);
    }
    query
}

fn event_of(id: i64, inc: &Incoming, t: &Transition, now: i64) -> crate::domain::event::Event {
    crate::domain::event::Event {
        id,
        fingerprint: inc.fingerprint.clone(),
        source: inc.source.clone(),
        ds_type: inc.ds_type.clone(),
        level: t.level,
        title: inc.title.clone(),
        summary: inc.summary.clone(),
        labels: inc.labels.clone(),
        annotations: inc.annotations.clone(),
        component: inc.component.clone(),
        status: t.status,
        firing: t.firing,
        first_seen: t.first_seen,
        last_seen: now,
        count: t.count,
        flapping: t.flapping,
        assignee: String::new(),
        original_level: t.original_level,
        source_url: inc.source_url.clone(),
        updated_at: now,
    }
}
