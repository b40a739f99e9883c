//! `risk_events` and `event_log`: the batched ingest write, lists and counts for the console and
//! the CLI, and the operators' lifecycle actions.
//!
//! Ingest writes a whole batch in ONE transaction: read the existing rows of the batch's
//! fingerprints (locked on MySQL/PostgreSQL), compute every transition in Rust (pure, in
//! `domain::event`), then multi-row INSERTs for new events (`RETURNING` their ids where the dialect
//! has it), timeline entries and outbox rows, and multi-row UPDATEs for repeated ones. Statements
//! are what cost (DESIGN.md §10), so a batch of a thousand alerts, new or repeated, is a handful of
//! statements. Every write also bumps the change stamp and the maintained counts (`counts.rs`).

mod actions;
mod counts;
mod ingest;
mod list;
mod retention;

pub use actions::EventAction;
pub use ingest::{IngestItem, IngestOutcome};
pub use list::{COUNT_CAP, EventRead, EventStats};
pub use retention::{ArchivedEvent, RETENTION_DAYS};

use std::collections::BTreeMap;

use sqlx::Row;

use super::StoreError;
use crate::domain::event::{Event, Level, LogEntry, Status};

pub(super) const EVENT_COLS: &str = "id, fingerprint, source, ds_type, level, title, summary, labels, \
    annotations, component, status, firing, first_seen, last_seen, count, flapping, assignee, \
    original_level, source_url, updated_at";

pub(super) fn event(row: &sqlx::any::AnyRow) -> Result<Event, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        table: "risk_events",
        reason,
    };
    let level: String = row.try_get("level")?;
    let original: String = row.try_get("original_level")?;
    let status: String = row.try_get("status")?;
    let map = |col: &str| -> Result<BTreeMap<String, String>, StoreError> {
        let text: String = row.try_get(col)?;
        serde_json::from_str(&text).map_err(|e| corrupt(format!("{col}: {e}")))
    };
    Ok(Event {
        id: row.try_get("id")?,
        fingerprint: row.try_get("fingerprint")?,
        source: row.try_get("source")?,
        ds_type: row.try_get("ds_type")?,
        level: Level::parse(&level).ok_or_else(|| corrupt(format!("level {level:?}")))?,
        title: row.try_get("title")?,
        summary: row.try_get("summary")?,
        labels: map("labels")?,
        annotations: map("annotations")?,
        component: row.try_get("component")?,
        status: Status::parse(&status).ok_or_else(|| corrupt(format!("status {status:?}")))?,
        firing: row.try_get::<i64, _>("firing")? != 0,
        first_seen: row.try_get("first_seen")?,
        last_seen: row.try_get("last_seen")?,
        count: row.try_get("count")?,
        flapping: row.try_get::<i64, _>("flapping")? != 0,
        assignee: row.try_get("assignee")?,
        original_level: Level::parse(&original)
            .ok_or_else(|| corrupt(format!("level {original:?}")))?,
        source_url: row.try_get("source_url")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub(super) fn log_entry(row: &sqlx::any::AnyRow) -> Result<LogEntry, sqlx::Error> {
    Ok(LogEntry {
        id: row.try_get("id")?,
        event_id: row.try_get("event_id")?,
        at: row.try_get("at")?,
        kind: row.try_get("kind")?,
        actor: row.try_get("actor")?,
        message: row.try_get("message")?,
    })
}

/// `INSERT INTO table (cols) VALUES (?, …), (?, …), …` for `rows` rows.
pub(super) fn multi_insert(table: &str, cols: &[&str], rows: usize) -> String {
    let one = format!("({})", vec!["?"; cols.len()].join(", "));
    let mut q = format!("INSERT INTO {table} ({}) VALUES ", cols.join(", "));
    q.push_str(&vec![one; rows].join(", "));
    q
}

/// `?, ?, …` for an `IN (…)` list of `n` items.
pub(super) fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}
