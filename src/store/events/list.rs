//! Reading events: pages for the windowed Events table (keyset, or a small OFFSET), counts (exact
//! from the maintained counts, else capped), one event with its timeline, and the Overview
//! statistics (counts maintained, per-hour buckets in SQL over an index).
//!
//! Free-text words go through each backend's text index (see `Dialect::event_text`); every other
//! filter is a column `IN (…)`.

use sqlx::Row;

use super::super::{Dialect, Store, StoreError};
use super::{EVENT_COLS, event, log_entry, marks};
use crate::domain::event::{Event, EventQuery, KeyValue, Level, LogEntry, SortKey, Status};

/// An hour in epoch milliseconds.
const HOUR: i64 = 3_600_000;

/// The batch retention reads (closed events last seen before a cutoff, oldest first).
pub(super) const RETENTION_SELECT: &str = "SELECT id, level FROM risk_events \
    WHERE status = 'closed' AND last_seen < ? ORDER BY last_seen LIMIT ?";

/// An event read whose plan can be asked for ([`Store::explain_event_read`]).
#[derive(Debug, Clone)]
pub enum EventRead {
    /// A page of the Events list (keyset or offset, any filter).
    Page(Box<EventQuery>),
    /// The Overview's per-hour statistics as of `now`.
    PerHour { now: i64 },
    /// Retention's batch of closed events last seen before `cutoff`.
    Retention { cutoff: i64 },
}

/// Counts past this are shown as "10,000+" and refined by an exact count in the background.
pub const COUNT_CAP: i64 = 10_000;

/// A bind of a built query: text or a whole number.
enum Bind {
    Text(String),
    Int(i64),
}

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
    /// The `risk_events` change stamp these were read at (poll again only when it moves).
    pub stamp: i64,
    /// The hour (epoch ms / 3,600,000) the last bucket of `per_hour` is (the buckets are whole
    /// hours, so they move only when the hour does).
    pub hour: i64,
    /// MTTD, diagnosis time, MTTR and self-heals per scenario over the last 7 days.
    pub scenarios: Vec<crate::store::ScenarioMetrics>,
}

/// Past this many free-text matches a word is common: a page in sort order is found sooner by
/// walking the sort's index and testing each row with `LIKE` (it stops after the page) than by
/// reading every match from the text index and sorting them (SQLite; measured at 1M events, a word
/// in one title of six). FTS5 does not seek by rowid inside a long doclist, so probing the text
/// index per row instead cost a whole doclist per row (147 s for one page at 1M).
const DENSE_TEXT: i64 = 10_000;

/// Fewer matches than this are read through a filter's index and sorted (SQLite, sorted by title
/// or count); more walk the sort's index ([`Store::forced_sort_index`]).
const FEW_MATCHES: i64 = 1_000;

/// A WHERE clause and its binds (`dense_text`: see [`DENSE_TEXT`]).
fn where_clause(dialect: Dialect, q: &EventQuery, dense_text: bool) -> (String, Vec<Bind>) {
    let mut parts: Vec<String> = Vec::new();
    let mut binds: Vec<Bind> = Vec::new();
    let any_of =
        |col: &str, values: Vec<String>, parts: &mut Vec<String>, binds: &mut Vec<Bind>| {
            if !values.is_empty() {
                parts.push(format!("{col} IN ({})", marks(values.len())));
                binds.extend(values.into_iter().map(Bind::Text));
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
    let (mut indexed, mut left) = dialect.event_text(&q.text);
    if dense_text && dialect == Dialect::Sqlite {
        // Same matches (the trigram index finds substrings, case-insensitively, per column).
        indexed.clear();
        left = q.text.clone();
    }
    for (cond, value) in indexed {
        parts.push(cond.to_owned());
        binds.push(Bind::Text(value));
    }
    for word in &left {
        parts.push(
            "(LOWER(title) LIKE ? OR LOWER(component) LIKE ? OR LOWER(summary) LIKE ?)".to_owned(),
        );
        let pattern = format!("%{}%", word.replace(['%', '_'], ""));
        binds.extend([0, 1, 2].map(|_| Bind::Text(pattern.clone())));
    }
    // Keyset: `col <= v AND (col < v OR id < i)` (descending) is `(col, id) < (v, i)` in a shape
    // every planner turns into an index range on `col` (MariaDB does not for row values).
    if let Some(k) = &q.after {
        let col = q.sort.column();
        let (le, lt) = if q.descending {
            ("<=", "<")
        } else {
            (">=", ">")
        };
        parts.push(format!("{col} {le} ? AND ({col} {lt} ? OR id {lt} ?)"));
        let v = || match &k.value {
            KeyValue::Int(n) => Bind::Int(*n),
            KeyValue::Text(t) => Bind::Text(t.clone()),
        };
        binds.extend([v(), v(), Bind::Int(k.id)]);
    }
    (parts.join(" AND "), binds)
}

/// Bind `binds` in order onto a query (any of sqlx's query kinds).
macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        let mut query = $query;
        for b in $binds {
            query = match b {
                Bind::Text(t) => query.bind(t),
                Bind::Int(n) => query.bind(n),
            };
        }
        query
    }};
}

impl Store {
    /// One page of events matching `q`: `q.limit` rows after `q.after` (keyset) when set, else
    /// after skipping `q.offset`.
    pub async fn list_events(&self, q: &EventQuery) -> Result<Vec<Event>, StoreError> {
        let dense = self.text_is_dense(q).await?;
        let forced = self.forced_sort_index(q).await?;
        let (sql, binds) = self.page_sql(q, dense, forced);
        let query = bind_all!(sqlx::query(self.sql(&sql)), binds);
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(event).collect()
    }

    /// Whether `q`'s free text matches more than [`DENSE_TEXT`] events (SQLite only: one read of
    /// at most that many entries of the text index).
    async fn text_is_dense(&self, q: &EventQuery) -> Result<bool, StoreError> {
        // Walking the sort's index finds a common word's first page soon only when the matches
        // are spread along it (in time, count, level). Sorted by title they cluster (every "Disk
        // usage…" title sorts together) and the walk read 500,000 rows before the first match at
        // 1M (1–2 s); sorting the matches costs what they number (0.3 s for 166,000).
        if self.dialect != Dialect::Sqlite || q.sort == SortKey::Title {
            return Ok(false);
        }
        let (indexed, _) = self.dialect.event_text(&q.text);
        let Some((_, value)) = indexed.into_iter().next() else {
            return Ok(false);
        };
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT rowid FROM risk_events_text \
             WHERE risk_events_text MATCH ? LIMIT ?) AS m",
        )
        .bind(value)
        .bind(DENSE_TEXT + 1)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > DENSE_TEXT)
    }

    /// SQLite: the sort's index to walk for a page sorted by title or count whose filters that
    /// index carries (level, status, data source, source: migration 0017), unless they match
    /// fewer than [`FEW_MATCHES`] events. SQLite's planner otherwise reads every match of a
    /// data-source filter through its own index and sorts them (250,000 rows, 0.3–0.7 s at 1M),
    /// where the walk tests index entries only and stops after a page.
    async fn forced_sort_index(&self, q: &EventQuery) -> Result<Option<&'static str>, StoreError> {
        let index = match q.sort {
            SortKey::Title => "risk_events_title",
            SortKey::Count => "risk_events_count",
            _ => return Ok(None),
        };
        let covered = q.text.is_empty() && q.components.is_empty() && q.assignees.is_empty();
        if self.dialect != Dialect::Sqlite || !covered {
            return Ok(None);
        }
        let (n, exact) = self.count_events_capped(q, FEW_MATCHES).await?;
        Ok((!exact || n >= FEW_MATCHES).then_some(index))
    }

    /// The page query of [`Store::list_events`] and its binds (`forced`: an index SQLite must
    /// walk, see [`Store::forced_sort_index`]).
    fn page_sql(
        &self,
        q: &EventQuery,
        dense_text: bool,
        forced: Option<&str>,
    ) -> (String, Vec<Bind>) {
        let (cond, mut binds) = where_clause(self.dialect, q, dense_text);
        let dir = if q.descending { "DESC" } else { "ASC" };
        let indexed = forced
            .map(|i| format!(" INDEXED BY {i}"))
            .unwrap_or_default();
        let sql = format!(
            "SELECT {EVENT_COLS} FROM risk_events{indexed} WHERE {cond} ORDER BY {} {dir}, id {dir} LIMIT ? OFFSET ?",
            q.sort.column()
        );
        binds.push(Bind::Int(q.limit.clamp(0, 10_000)));
        binds.push(Bind::Int(if q.after.is_some() {
            0
        } else {
            q.offset.max(0)
        }));
        (sql, binds)
    }

    /// The per-hour statistics query of [`Store::event_stats`] for hours from `since`.
    fn per_hour_sql(&self, since: i64) -> (String, Vec<Bind>) {
        let bucket = self.dialect.int_div("first_seen - ?", &HOUR.to_string());
        let sql = format!(
            "SELECT {bucket} AS b, COUNT(*) AS n FROM risk_events \
             WHERE first_seen >= ? AND status <> 'suppressed' GROUP BY b"
        );
        (sql, vec![Bind::Int(since), Bind::Int(since)])
    }

    /// The database's plan for one of the event reads, as text (one line per plan row): what the
    /// EXPLAIN tests assert an index on. Read-only.
    pub async fn explain_event_read(&self, read: &EventRead) -> Result<String, StoreError> {
        let (sql, binds) = match read {
            EventRead::Page(q) => self.page_sql(
                q,
                self.text_is_dense(q).await?,
                self.forced_sort_index(q).await?,
            ),
            EventRead::PerHour { now } => {
                self.per_hour_sql((now.div_euclid(HOUR) - (LEVELS_BY_HOUR as i64 - 1)) * HOUR)
            }
            EventRead::Retention { cutoff } => (
                RETENTION_SELECT.to_owned(),
                vec![Bind::Int(*cutoff), Bind::Int(1_000)],
            ),
        };
        let prefix = match self.dialect {
            Dialect::Sqlite => "EXPLAIN QUERY PLAN",
            Dialect::MySql | Dialect::Postgres => "EXPLAIN",
        };
        let sql = format!("{prefix} {sql}");
        let rows = bind_all!(sqlx::query(self.sql(&sql)), binds)
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::new();
        for row in &rows {
            use sqlx::Column as _;
            let mut cells = Vec::new();
            for (i, col) in row.columns().iter().enumerate() {
                let v = row
                    .try_get::<Option<String>, _>(i)
                    .ok()
                    .flatten()
                    .or_else(|| {
                        row.try_get::<Option<i64>, _>(i)
                            .ok()
                            .flatten()
                            .map(|n| n.to_string())
                    })
                    .unwrap_or_default();
                cells.push(format!("{}={v}", col.name()));
            }
            out.push(cells.join(" "));
        }
        Ok(out.join("\n"))
    }

    /// How many events match `q` (ignoring its page), exactly. Narrowed only by level and
    /// status, it is read from the maintained counts; otherwise it scans what matches.
    pub async fn count_events(&self, q: &EventQuery) -> Result<i64, StoreError> {
        if q.counted_by_level_status() {
            return self.counted(q).await;
        }
        let q = EventQuery {
            after: None,
            ..q.clone()
        };
        let (cond, binds) = where_clause(self.dialect, &q, false);
        let sql = format!("SELECT COUNT(*) FROM risk_events WHERE {cond}");
        let query = bind_all!(sqlx::query_as::<_, (i64,)>(self.sql(&sql)), binds);
        Ok(query.fetch_one(&self.pool).await?.0)
    }

    /// A count that stays cheap: exact from the maintained counts when they answer `q`, else at
    /// most `cap + 1` matching rows are read. `(count, exact)`; not exact means "more than `cap`"
    /// (the count returned is `cap`).
    pub async fn count_events_capped(
        &self,
        q: &EventQuery,
        cap: i64,
    ) -> Result<(i64, bool), StoreError> {
        if q.counted_by_level_status() {
            return Ok((self.counted(q).await?, true));
        }
        let q = EventQuery {
            after: None,
            ..q.clone()
        };
        let (cond, mut binds) = where_clause(self.dialect, &q, false);
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 AS one FROM risk_events WHERE {cond} LIMIT ?) AS capped"
        );
        binds.push(Bind::Int(cap + 1));
        let query = bind_all!(sqlx::query_as::<_, (i64,)>(self.sql(&sql)), binds);
        let n = query.fetch_one(&self.pool).await?.0;
        Ok(if n > cap { (cap, false) } else { (n, true) })
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

    /// One event's change stamp: its `updated_at` and the id of its newest timeline entry (two
    /// index lookups: the primary key, and `event_log (event_id, id)`). (0, 0) when it is gone.
    pub async fn event_detail_stamp(&self, id: i64) -> Result<(i64, i64), StoreError> {
        let updated: Option<i64> =
            sqlx::query_scalar(self.sql("SELECT updated_at FROM risk_events WHERE id = ?"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        let log: Option<i64> =
            sqlx::query_scalar(self.sql("SELECT MAX(id) FROM event_log WHERE event_id = ?"))
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
        Ok((updated.unwrap_or(0), log.unwrap_or(0)))
    }

    /// Counts by level and status (maintained), suppressed total, and events first seen in each
    /// of the last 24 whole hours (the current one last), bucketed in SQL over the index on
    /// `(first_seen, status)`. The stamp is read first: a change after it shows as a new stamp.
    pub async fn event_stats(&self, now: i64) -> Result<EventStats, StoreError> {
        let hour = 3_600_000;
        let mut stats = EventStats {
            stamp: self.events_stamp().await?,
            hour: now.div_euclid(hour),
            ..EventStats::default()
        };
        for (level, status, n) in self.event_counts().await? {
            if status == Status::Suppressed.as_str() {
                stats.suppressed += n;
            }
            stats.total += n;
            stats.by_level_status.push((level, status, n));
        }
        let since = (stats.hour - (LEVELS_BY_HOUR as i64 - 1)) * hour;
        let (sql, binds) = self.per_hour_sql(since);
        let rows = bind_all!(sqlx::query(self.sql(&sql)), binds)
            .fetch_all(&self.pool)
            .await?;
        let mut per_hour = vec![0_i64; LEVELS_BY_HOUR];
        for r in &rows {
            let (b, n): (i64, i64) = (r.try_get("b")?, r.try_get("n")?);
            let slot = usize::try_from(b).unwrap_or(0).min(LEVELS_BY_HOUR - 1);
            per_hour[slot] += n;
        }
        stats.per_hour = per_hour;
        stats.scenarios = self.scenario_metrics(now - 7 * 24 * hour).await?;
        Ok(stats)
    }

    /// Open P0/P1 events created after event `after_id` (for "a new P0/P1 rings the bell").
    pub async fn urgent_after(&self, after_id: i64) -> Result<Vec<(i64, Level)>, StoreError> {
        // The new rows are a short range of the primary key. Without statistics SQLite took
        // `status = 'open'` for selective and read half the table through its index on every
        // poll (108 ms at 1M); NOT INDEXED leaves it the rowid range only.
        let from = match self.dialect {
            Dialect::Sqlite => "risk_events NOT INDEXED",
            Dialect::MySql | Dialect::Postgres => "risk_events",
        };
        let sql = format!(
            "SELECT id, level FROM {from} WHERE id > ? AND status = 'open' \
             AND level IN ('P0', 'P1') ORDER BY id"
        );
        let rows = sqlx::query(self.sql(&sql))
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
