//! The ingest circuit breaker: once the writer has seen the database away, requests are answered
//! 503 + `Retry-After` at once instead of queueing behind a pool timeout, and a probe closes the
//! breaker as soon as the database answers again (no restart).
//!
//! Only the writer trips it (it is the one that knows a write failed because the database is away,
//! not because of the data); only the probe, or a successful write, closes it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::store::Store;

/// How often the probe asks an away database whether it is back.
pub const PROBE_EVERY: Duration = Duration::from_millis(500);

/// Open (the database is away) or closed. Cheap to read from every request.
#[derive(Debug, Default)]
pub struct Breaker {
    /// Epoch ms when it opened; 0 while closed.
    open_since: AtomicI64,
    tripped: Notify,
    /// Mirrors the state for `/metrics` (`nightwatch_ingest_breaker_open`).
    gauge: Option<Arc<AtomicBool>>,
}

impl Breaker {
    /// A closed breaker whose state is mirrored into `gauge`.
    pub fn with_gauge(gauge: Arc<AtomicBool>) -> Breaker {
        Breaker {
            gauge: Some(gauge),
            ..Breaker::default()
        }
    }

    fn show(&self, open: bool) {
        if let Some(g) = &self.gauge {
            g.store(open, Ordering::Relaxed);
        }
    }

    /// The database is away: answer 503 from now on, and start probing.
    pub fn trip(&self, why: &str) {
        let now = crate::domain::time::now_ms().max(1);
        if self
            .open_since
            .compare_exchange(0, now, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.show(true);
            tracing::error!(
                error = why,
                "database away: ingest answers 503 until it is back"
            );
            self.tripped.notify_one();
        }
    }

    /// The database answered: accept requests again.
    pub fn close(&self) {
        let since = self.open_since.swap(0, Ordering::AcqRel);
        if since != 0 {
            self.show(false);
            let ms = crate::domain::time::now_ms() - since;
            tracing::warn!(away_ms = ms, "database back: ingest accepts requests again");
        }
    }

    pub fn is_open(&self) -> bool {
        self.open_since.load(Ordering::Acquire) != 0
    }

    /// Epoch ms when the breaker opened, if it is open.
    pub fn open_since(&self) -> Option<i64> {
        Some(self.open_since.load(Ordering::Acquire)).filter(|t| *t != 0)
    }
}

/// While the breaker is open, ask the database every [`PROBE_EVERY`] whether it is back (each ask
/// bounded by `ask_within`); close the breaker when it is.
pub async fn probe_loop(
    breaker: Arc<Breaker>,
    store: Store,
    ask_within: Duration,
    cancel: CancellationToken,
) {
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            () = breaker.tripped.notified() => {}
        }
        while breaker.is_open() {
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(PROBE_EVERY) => {}
            }
            if let Ok(Ok(_)) = tokio::time::timeout(ask_within, store.schema_version()).await {
                breaker.close();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trips_once_and_closes() {
        let b = Breaker::default();
        assert!(!b.is_open());
        b.trip("refused");
        let since = b.open_since();
        assert!(b.is_open() && since.is_some());
        b.trip("again");
        assert_eq!(b.open_since(), since, "a second trip keeps the first time");
        b.close();
        assert!(!b.is_open() && b.open_since().is_none());
    }
}
