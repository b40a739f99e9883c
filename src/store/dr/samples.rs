//! `dr_samples`: the collectors' time series. Raw rows are written in batches (multi-row INSERT:
//! a round of hundreds of links is a handful of statements), read back as the latest round or a
//! subject's history, and compacted: raw rows older than an hour become one average per subject
//! per five minutes (`coarse = 1`), and everything older than the retention goes.

use std::collections::BTreeMap;

use sqlx::Row;

use crate::domain::dr::{LevelKind, LinkSample, LinkState, WaterLevel};
use crate::store::{Store, StoreError};

/// Rows per INSERT statement.
const BATCH: usize = 200;

/// Width of a downsampled bucket.
pub const COARSE_MS: i64 = 300_000;

/// Points in a link's sparkline history.
pub const HISTORY_BUCKETS: usize = 60;

/// One row of `dr_samples`, as written and read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleRow {
    /// `link`, `level` or `traffic`.
    pub kind: String,
    pub subject: String,
    pub at: i64,
    pub state: String,
    pub amount: i64,
    pub extra: i64,
    pub message: String,
    pub detail: String,
    pub coarse: bool,
}

impl SampleRow {
    /// The row of a link sample (`-1` for unknown lag or bytes).
    pub fn of_link(s: &LinkSample) -> SampleRow {
        SampleRow {
            kind: "link".into(),
            subject: s.link.clone(),
            at: s.at,
            state: s.state.to_string(),
            amount: s.lag_ms.unwrap_or(-1),
            extra: s.bytes.unwrap_or(-1),
            message: s.message.clone(),
            detail: s.detail.to_string(),
            coarse: false,
        }
    }

    /// The row of a water level; its state is the severity it had when measured.
    pub fn of_level(l: &WaterLevel, state: &str) -> SampleRow {
        SampleRow {
            kind: "level".into(),
            subject: format!("{}/{}", l.component, l.kind),
            at: l.at,
            state: state.to_owned(),
            amount: l.used,
            extra: l.max,
            message: String::new(),
            detail: String::new(),
            coarse: false,
        }
    }

    pub fn link_sample(&self) -> LinkSample {
        LinkSample {
            link: self.subject.clone(),
            at: self.at,
            state: LinkState::parse(&self.state),
            lag_ms: (self.amount >= 0).then_some(self.amount),
            bytes: (self.extra >= 0).then_some(self.extra),
            message: self.message.clone(),
            detail: serde_json::from_str(&self.detail).unwrap_or_default(),
        }
    }

    pub fn water_level(&self) -> Option<WaterLevel> {
        let (component, kind) = self.subject.rsplit_once('/')?;
        Some(WaterLevel {
            component: component.to_owned(),
            kind: LevelKind::parse(kind)?,
            at: self.at,
            used: self.amount,
            max: self.extra,
        })
    }
}

/// A link's lag over the last hour: the worst lag (ms) of each of [`HISTORY_BUCKETS`] buckets,
/// oldest first; `None` where nothing was measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkHistory {
    pub link: String,
    pub points: Vec<Option<i64>>,
}

const COLS: &str = "kind, subject, at, state, amount, extra, message, detail, coarse";

fn row(r: &sqlx::any::AnyRow) -> Result<SampleRow, StoreError> {
    Ok(SampleRow {
        kind: r.try_get("kind")?,
        subject: r.try_get("subject")?,
        at: r.try_get("at")?,
        state: r.try_get("state")?,
        amount: r.try_get("amount")?,
        extra: r.try_get("extra")?,
        message: r.try_get("message")?,
        detail: r.try_get("detail")?,
        coarse: r.try_get::<i64, _>("coarse")? != 0,
    })
}

impl Store {
    /// Write samples in batches, in one transaction.
    pub async fn insert_dr_samples(&self, rows: &[SampleRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for chunk in rows.chunks(BATCH) {
            let marks = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ");
            let q = format!("INSERT INTO dr_samples ({COLS}) VALUES {marks}");
            let mut query = sqlx::query(self.sql(&q));
            for s in chunk {
                query = query
                    .bind(s.kind.clone())
                    .bind(s.subject.clone())
                    .bind(s.at)
                    .bind(s.state.clone())
                    .bind(s.amount)
                    .bind(s.extra)
                    .bind(s.message.clone())
                    .bind(s.detail.clone())
                    .bind(i64::from(s.coarse));
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The rows of the latest round of `kind` (`link`, `level`, `traffic`), by subject.
    pub async fn latest_dr_samples(&self, kind: &str) -> Result<Vec<SampleRow>, StoreError> {
        let q = format!(
            "SELECT {COLS} FROM dr_samples WHERE kind = ? AND coarse = 0 AND at = \
             (SELECT MAX(at) FROM dr_samples WHERE kind = ? AND coarse = 0) ORDER BY subject"
        );
        let rows = sqlx::query(self.sql(&q))
            .bind(kind.to_owned())
            .bind(kind.to_owned())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(row).collect()
    }

    /// The latest sample of every link measured in the latest round.
    pub async fn latest_link_samples(&self) -> Result<Vec<LinkSample>, StoreError> {
        Ok(self
            .latest_dr_samples("link")
            .await?
            .iter()
            .map(SampleRow::link_sample)
            .collect())
    }

    /// The latest water levels.
    pub async fn latest_water_levels(&self) -> Result<Vec<WaterLevel>, StoreError> {
        Ok(self
            .latest_dr_samples("level")
            .await?
            .iter()
            .filter_map(SampleRow::water_level)
            .collect())
    }

    /// One subject's rows since `since` (raw and downsampled), oldest first, at most `limit`
    /// (the newest ones).
    pub async fn dr_samples_of(
        &self,
        kind: &str,
        subject: &str,
        since: i64,
        limit: i64,
    ) -> Result<Vec<SampleRow>, StoreError> {
        let q = format!(
            "SELECT {COLS} FROM dr_samples WHERE kind = ? AND subject = ? AND at >= ? \
             ORDER BY at DESC LIMIT ?"
        );
        let rows = sqlx::query(self.sql(&q))
            .bind(kind.to_owned())
            .bind(subject.to_owned())
            .bind(since)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        let mut out: Vec<SampleRow> = rows.iter().map(row).collect::<Result<_, _>>()?;
        out.reverse();
        Ok(out)
    }

    /// Every link's lag over `[now - span_ms, now]` in [`HISTORY_BUCKETS`] buckets (worst lag of
    /// each), computed in one grouped query.
    pub async fn link_histories(
        &self,
        now: i64,
        span_ms: i64,
    ) -> Result<Vec<LinkHistory>, StoreError> {
        let width = (span_ms / HISTORY_BUCKETS as i64).max(1);
        let since = now - span_ms;
        let bucket = self.dialect.int_div("at - ?", "?");
        let q = format!(
            "SELECT subject, {bucket} AS bucket, MAX(amount) AS worst FROM dr_samples \
             WHERE kind = 'link' AND coarse = 0 AND at > ? GROUP BY subject, bucket"
        );
        let rows = sqlx::query(self.sql(&q))
            .bind(since)
            .bind(width)
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
        let mut by: BTreeMap<String, Vec<Option<i64>>> = BTreeMap::new();
        for r in &rows {
            let subject: String = r.try_get("subject")?;
            let bucket = int_of(r, "bucket")?;
            let worst: i64 = r.try_get("worst")?;
            let points = by
                .entry(subject)
                .or_insert_with(|| vec![None; HISTORY_BUCKETS]);
            if let Some(p) = usize::try_from(bucket)
                .ok()
                .and_then(|b| points.get_mut(b.min(HISTORY_BUCKETS - 1)))
            {
                *p = Some(p.map_or(worst, |x: i64| x.max(worst)));
            }
        }
        Ok(by
            .into_iter()
            .map(|(link, points)| LinkHistory { link, points })
            .collect())
    }

    /// Downsample raw rows older than `now - raw_keep_ms` into five-minute averages and drop
    /// everything older than `now - retention_ms`. Returns (rows downsampled, rows dropped).
    pub async fn compact_dr_samples(
        &self,
        now: i64,
        raw_keep_ms: i64,
        retention_ms: i64,
    ) -> Result<(usize, u64), StoreError> {
        // Whole buckets only, so a bucket is never averaged twice.
        let cutoff = (now - raw_keep_ms) - (now - raw_keep_ms).rem_euclid(COARSE_MS);
        let q = format!("SELECT {COLS} FROM dr_samples WHERE coarse = 0 AND at < ? ORDER BY at");
        let raw: Vec<SampleRow> = sqlx::query(self.sql(&q))
            .bind(cutoff)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(row)
            .collect::<Result<_, _>>()?;
        let mut groups: BTreeMap<(String, String, i64), Vec<&SampleRow>> = BTreeMap::new();
        for r in &raw {
            groups
                .entry((
                    r.kind.clone(),
                    r.subject.clone(),
                    r.at - r.at.rem_euclid(COARSE_MS),
                ))
                .or_default()
                .push(r);
        }
        let coarse: Vec<SampleRow> = groups
            .into_iter()
            .map(|((kind, subject, at), rs)| {
                let n = rs.len() as i64;
                let avg = |f: fn(&SampleRow) -> i64| rs.iter().map(|r| f(r)).sum::<i64>() / n;
                // The worst state of the bucket: a break inside it must not average away.
                let state = rs
                    .iter()
                    .map(|r| r.state.as_str())
                    .max_by_key(|s| match *s {
                        "broken" | "critical" => 3,
                        "unknown" => 2,
                        "warn" => 1,
                        _ => 0,
                    })
                    .unwrap_or("unknown")
                    .to_owned();
                SampleRow {
                    kind,
                    subject,
                    at,
                    state,
                    amount: avg(|r| r.amount),
                    extra: avg(|r| r.extra),
                    message: String::new(),
                    detail: String::new(),
                    coarse: true,
                }
            })
            .collect();
        let made = coarse.len();
        self.insert_dr_samples(&coarse).await?;
        sqlx::query(self.sql("DELETE FROM dr_samples WHERE coarse = 0 AND at < ?"))
            .bind(cutoff)
            .execute(&self.pool)
            .await?;
        let dropped = sqlx::query(self.sql("DELETE FROM dr_samples WHERE at < ?"))
            .bind(now - retention_ms)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok((made, dropped))
    }
}

/// The bucket number (an integer on every dialect thanks to `Dialect::int_div`).
fn int_of(r: &sqlx::any::AnyRow, col: &str) -> Result<i64, StoreError> {
    Ok(r.try_get::<i64, _>(col)?)
}
