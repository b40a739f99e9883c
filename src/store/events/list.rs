//! Reading events: pages for the windowed Events table, counts, one event with its timeline, and
//! the Overview statistics.

use sqlx::Row;

use super::super::{Store, StoreError};
use super::{EVENT_COLS, event, log_entry, marks};
use crate::domain::event::{Event, EventQuery, Level, LogEntry, Status};

/// Hours covered by the Overview sparkline.
pub const LEVELS_BY_HOUR: usize = 24;

/// Counts for the Overview pane.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct EventStats {
    /// (level, status, count) for every combination present.
    pub by_level_status: Vec<(String, String, i64)>,
    pub suppressed: i64,
    /// Events first seen in each of the last 24 hours, oldest first.
    pub per_hour: Vec<i64>,
    pub total: i64,
    /// Newest change (for cheap "did anything change" polling).
    pub stamp: i64,
}

/// A WHERE clause and its binds (all text).
fn where_clause(q: &EventQuery) -> (String, Vec<String>) {
    let mut parts: Vec<String> = Vec::new();
    let mut binds: Vec<String> = Vec::new();
    let any_of =
        |col: &str, values: Vec<String>, parts: &mut Vec<String>, binds: &mut Vec<String>| {
            if !values.is_empty() {
                parts.push(format!("{col} IN ({})", marks(values.len())));
                binds.extend(values);
            }
        };
    any_of(
        "level",
        q.levels.iter().map(|l| l.as_str().to_owned()).collect(),
        &mut parts,
        &mut binds,
    );
    if q.statuses.is_empty() {
        parts.push("status <> 'suppressed'".to_owned());
    } else {
        any_of(
            "status",
            q.statuses.iter().map(|s| s.as_str().to_owned()).collect(),
            &mut parts,
            &mut binds,
        );
    }
    any_of("source", q.sources.clone(), &mut parts, &mut binds);
    any_of("ds_type", q.ds_types.clone(), &mut parts, &mut binds);
    any_of("assignee", q.assignees.clone(), &mut parts, &mut binds);
    any_of("component", q.components.clone(), &mut parts, &mut binds);
    for word in &q.text {
        parts.push(
            "(LOWER(title) LIKE ? OR LOWER(component) LIKE ? OR LOWER(summary) LIKE ?)".to_owned(),
        );
        let pattern = format!("%{}%", word.replace(['%', '_'], ""));
        binds.extend([pattern.clone(), pattern.clone(), pattern]);
    }
    (parts.join(" AND "), binds)
}

impl Store {
    /// One page of events matching `q` (`q.offset`, `q.limit`).
    pub async fn list_events(&self, q: &EventQuery) -> Result<Vec<Event>, StoreError> {
        let (cond, binds) = where_clause(q);
        let dir = if q.descending { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT {EVENT_COLS} FROM risk_events WHERE {cond} ORDER BY {} {dir}, id {dir} LIMIT ? OFFSET ?",
            q.sort.column()
        );
        let mut query = sqlx::query(self.sql(&sql));
        for b in binds {
            query = query.bind(b);
        }
        let rows = query
            .bind(q.limit.clamp(0, 10_000))
            .bind(q.offset.max(0))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(event).collect()
    }

    /// How many events match `q` (ignoring its page).
    pub async fn count_events(&self, q: &EventQuery) -> Result<i64, StoreError> {
        let (cond, binds) = where_clause(q);
        let sql = format!("SELECT COUNT(*) FROM risk_events WHERE {cond}");
        let mut query = sqlx::query_scalar(self.sql(&sql));
        for b in binds {
            query = query.bind(b);
        }
        Ok(query.fetch_one(&self.pool).await?)
    }

    /// One event by id.
    pub async fn get_event(&self, id: i64) -> Result<Event, StoreError> {
        let sql = format!("SELECT {EVENT_COLS} FROM risk_events WHERE id = ?");
        let row = sqlx::query(self.sql(&sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("event {id}")))?;
        event(&row)
    }

    /// The timeline of an event, oldest first.
    pub async fn event_log(&self, id: i64) -> Result<Vec<LogEntry>, StoreError> {
        let sql = "SELECT id, event_id, at, kind, actor, message FROM event_log WHERE event_id = ? ORDER BY id";
        let rows = sqlx::query(self.sql(sql))
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(log_entry).collect::<Result<_, _>>()?)
    }

    /// Counts by level and status, suppressed total, events per hour over 24 h.
    pub async fn event_stats(&self, now: i64) -> Result<EventStats, StoreError> {
        let rows = sqlx::query(
            "SELECT level, status, COUNT(*) AS n FROM risk_events GROUP BY level, status",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut stats = EventStats::default();
        for r in &rows {
            let (level, status, n): (String, String, i64) =
                (r.try_get("level")?, r.try_get("status")?, r.try_get("n")?);
            if status == Status::Suppressed.as_str() {
                stats.suppressed += n;
            }
            stats.total += n;
            stats.by_level_status.push((level, status, n));
        }
        let hour = 3_600_000;
        let since = now - hour * LEVELS_BY_HOUR as i64;
        let sql =
            "SELECT first_seen FROM risk_events WHERE first_seen >= ? AND status <> 'suppressed'";
        let mut per_hour = vec![0_i64; LEVELS_BY_HOUR];
        // Bucketing in Rust keeps the SQL portable (integer division differs between backends).
        let firsts: Vec<i64> = sqlx::query_scalar(self.sql(sql))
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
        for t in firsts {
            let bucket = ((t - since) / hour) as usize;
            if let Some(slot) = per_hour.get_mut(bucket.min(LEVELS_BY_HOUR - 1)) {
                *slot += 1;
            }
        }
        stats.per_hour = per_hour;
        let stamp: Option<i64> = sqlx::query_scalar("SELECT MAX(updated_at) FROM risk_events")
            .fetch_one(&self.pool)
            .await?;
        stats.stamp = stamp.unwrap_or(0);
        Ok(stats)
    }

    /// Open P0/P1 events created after event `after_id` (for "a new P0/P1 rings the bell").
    pub async fn urgent_after(&self, after_id: i64) -> Result<Vec<(i64, Level)>, StoreError> {
        let sql = "SELECT id, level FROM risk_events WHERE id > ? AND status = 'open' \
                   AND level IN ('P0', 'P1') ORDER BY id";
        let rows = sqlx::query(self.sql(sql))
            .bind(after_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let l: String = r.try_get("level")?;
                Ok((r.try_get("id")?, Level::parse(&l).unwrap_or(Level::P1)))
            })
            .collect()
    }

    /// The highest event id (0 when none).
    pub async fn max_event_id(&self) -> Result<i64, StoreError> {
        let v: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM risk_events")
            .fetch_one(&self.pool)
            .await?;
        Ok(v.unwrap_or(0))
    }
}
