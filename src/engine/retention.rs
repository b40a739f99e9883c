//! Retention of closed events: once an hour (and a minute after start) the master moves closed
//! events last seen more than `engine.retention_days` ago to the archive table
//! (`Store::archive_closed_events`), so the live table, its indexes and every scan stop growing
//! with age. Only the master acts (one engine, not N, walks the table); 0 days keeps everything.
//! Each round also refreshes SQLite's planner statistics ([`Store::refresh_planner_stats`]).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::Metrics;
use crate::domain::time::now_ms;
use crate::store::Store;

const DAY_MS: i64 = 86_400_000;

/// Archive old closed events every `every` while this engine is master.
pub async fn retention_loop(
    store: Store,
    metrics: Arc<Metrics>,
    days: u32,
    every: Duration,
    cancel: CancellationToken,
) {
    let start = tokio::time::Instant::now() + Duration::from_secs(60).min(every);
    let mut tick = tokio::time::interval_at(start, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            _ = tick.tick() => {}
        }
        if !metrics.is_master.load(Ordering::Relaxed) {
            continue;
        }
        if days > 0 {
            let now = now_ms();
            let cutoff = now - i64::from(days) * DAY_MS;
            match store.archive_closed_events(cutoff, now).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(archived = n, days, "retention: closed events archived"),
                Err(e) => tracing::warn!(error = %e, "retention round failed; retrying next round"),
            }
        }
        if let Err(e) = store.refresh_planner_stats().await {
            tracing::warn!(error = %e, "planner statistics not refreshed; retrying next round");
        }
    }
}
