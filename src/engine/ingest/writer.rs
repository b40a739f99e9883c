//! The single ingest writer: requests queue on a bounded channel; the writer drains whatever is
//! waiting (up to `batch_max` alerts) and stores it in one transaction, then answers every request
//! of the batch. One writer keeps SQLite's single-writer rule and turns many small requests into a
//! few multi-row statements (DESIGN.md §10).
//!
//! What a failure means decides what happens next: the database away (connection refused, pool
//! timeout, no answer within the bound) fails every queued request at once with 503 and trips the
//! [`Breaker`]; the database refusing the data is never a 503: the batch is split per request, then
//! per alert, and only the alerts the database refuses on their own are left out (counted, logged,
//! reported as `rejected` in the 200), so one bad alert never costs the others.

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::{Notify, mpsc, oneshot, watch};

use super::super::Metrics;
use super::super::config_watch::Effective;
use super::breaker::Breaker;
use crate::domain::event::Incoming;
use crate::domain::notify::Channel;
use crate::domain::notify::parse_channels;
use crate::domain::sysconfig::{keeps_ds_type, keeps_level};
use crate::store::{IngestItem, Store};

/// Why a request could not be stored; all mean "retry later" to the sender (503).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteError {
    /// The queue is full.
    Busy,
    /// The database is known to be away (the breaker is open).
    Away,
    /// Not committed within the bound (`ingest.request_timeout_secs`).
    Timeout,
    /// The database failed; nothing of the request was stored.
    Database(String),
}

/// What one request's alerts became.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Accepted {
    pub accepted: usize,
    pub suppressed: usize,
    /// Alerts the database refused even after cleaning (never retried: it would refuse them
    /// again); counted in `nightwatch_ingest_alerts_rejected_total` and logged.
    #[serde(skip_serializing_if = "is_zero")]
    pub rejected: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

type Reply = oneshot::Sender<Result<Accepted, WriteError>>;

struct Job {
    items: Vec<Incoming>,
    reply: Reply,
}

/// The handle the HTTP handlers hold. Dropping every handle stops the writer after it drained the
/// queue, which is how a graceful shutdown loses nothing that was acknowledged.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
    breaker: Arc<Breaker>,
    bound: Duration,
}

impl Writer {
    /// Queue alerts and wait until they are committed, at most the request bound. A request that
    /// gave up is skipped by the writer if it has not started on it yet (its sender retries).
    pub async fn submit(&self, items: Vec<Incoming>) -> Result<Accepted, WriteError> {
        if self.breaker.is_open() {
            return Err(WriteError::Away);
        }
        let (reply, done) = oneshot::channel();
        self.tx
            .try_send(Job { items, reply })
            .map_err(|_| WriteError::Busy)?;
        match tokio::time::timeout(self.bound, done).await {
            Ok(answer) => answer.unwrap_or(Err(WriteError::Database("the writer stopped".into()))),
            Err(_) => Err(WriteError::Timeout),
        }
    }

    /// The breaker the writer feeds (for `/healthz` and the metrics).
    pub fn breaker(&self) -> &Arc<Breaker> {
        &self.breaker
    }
}

/// How the writer is set up.
pub struct WriterConfig {
    pub queue: usize,
    pub batch_max: usize,
    /// No request is held longer than this; a write that takes longer counts as the database away.
    pub bound: Duration,
}

/// The writer handle and the task to run. `wake` is notified after each commit that queued
/// notifications (the outbox worker waits on it).
pub fn spawn_writer(
    store: Store,
    config: watch::Receiver<Arc<Effective>>,
    metrics: Arc<Metrics>,
    setup: &WriterConfig,
    wake: Arc<Notify>,
) -> (
    Writer,
    impl std::future::Future<Output = ()> + Send + 'static,
) {
    let (tx, rx) = mpsc::channel(setup.queue.max(1));
    let breaker = Arc::new(Breaker::with_gauge(Arc::clone(
        &metrics.ingest_breaker_open,
    )));
    let sink = Sink {
        store,
        metrics,
        wake,
        breaker: Arc::clone(&breaker),
        bound: setup.bound,
    };
    (
        Writer {
            tx,
            breaker,
            bound: setup.bound,
        },
        run(sink, config, rx, setup.batch_max),
    )
}

/// Where batches go, and what the writer reports to.
struct Sink {
    store: Store,
    metrics: Arc<Metrics>,
    wake: Arc<Notify>,
    breaker: Arc<Breaker>,
    bound: Duration,
}

/// What one attempt at storing alerts came to.
enum Stored {
    Done,
    /// The database is away (or did not answer within the bound): retrying now is pointless.
    Away(String),
    /// The database refused the data itself.
    Refused(String),
    /// Any other failure (a missing table, a lock): this part answers 503, others may still pass.
    Failed(String),
}

impl Sink {
    async fn store(&self, items: &[IngestItem], channels: &[Channel], now: i64) -> Stored {
        match tokio::time::timeout(self.bound, self.store.ingest_batch(items, channels, now)).await
        {
            Ok(Ok(outcome)) => {
                self.breaker.close();
                if outcome.notifications > 0 {
                    self.wake.notify_one();
                }
                self.metrics.ingest_batches.fetch_add(1, Ordering::Relaxed);
                Stored::Done
            }
            Ok(Err(e)) if e.is_transient() => {
                self.breaker.trip(&e.to_string());
                Stored::Away(e.to_string())
            }
            Ok(Err(e)) if e.is_rejected_data() => Stored::Refused(e.to_string()),
            Ok(Err(e)) => Stored::Failed(e.to_string()),
            Err(_) => {
                let why = format!("no commit within {:?}", self.bound);
                self.breaker.trip(&why);
                Stored::Away(why)
            }
        }
    }

    /// Store one request's alerts after its batch failed: whole first; when the database refuses
    /// the data, alert by alert, leaving out only the ones refused on their own.
    async fn store_request(
        &self,
        items: &[IngestItem],
        range: Range<usize>,
        suppressed: usize,
        reply: Reply,
        channels: &[Channel],
        now: i64,
    ) -> bool {
        let whole = self.store(&items[range.clone()], channels, now).await;
        let why = match whole {
            Stored::Done => {
                answer(reply, range.len(), suppressed, 0, &self.metrics);
                return true;
            }
            Stored::Away(why) => {
                fail(reply, range.len(), why, &self.metrics);
                return false;
            }
            Stored::Failed(why) => {
                fail(reply, range.len(), why, &self.metrics);
                return true;
            }
            Stored::Refused(why) => why,
        };
        tracing::warn!(error = %why, alerts = range.len(), "the database refused a request; storing its alerts one by one");
        let (mut stored, mut rejected, mut kept_suppressed) = (0, 0, 0);
        for item in &items[range.clone()] {
            match self.store(std::slice::from_ref(item), channels, now).await {
                Stored::Done => {
                    stored += 1;
                    kept_suppressed += usize::from(!item.keep);
                }
                Stored::Refused(why) => {
                    rejected += 1;
                    // The fingerprint names the alert; its content may hold secrets or be huge.
                    tracing::error!(
                        error = %why,
                        fingerprint = %item.incoming.fingerprint,
                        "alert refused by the database even after cleaning: left out (never retried)"
                    );
                }
                Stored::Away(why) => {
                    fail(reply, range.len(), why, &self.metrics);
                    return false;
                }
                Stored::Failed(why) => {
                    fail(reply, range.len(), why, &self.metrics);
                    return true;
                }
            }
        }
        self.metrics
            .alerts_rejected
            .fetch_add(rejected as u64, Ordering::Relaxed);
        answer(reply, stored, kept_suppressed, rejected, &self.metrics);
        true
    }
}

async fn run(
    sink: Sink,
    config: watch::Receiver<Arc<Effective>>,
    mut rx: mpsc::Receiver<Job>,
    batch_max: usize,
) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        let mut total = jobs[0].items.len();
        while total < batch_max {
            match rx.try_recv() {
                Ok(job) => {
                    total += job.items.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        // A request whose sender gave up (the bound passed) was answered 503 already: storing it
        // now would count its alerts twice when the sender retries.
        jobs.retain(|j| !j.reply.is_closed());
        if jobs.is_empty() {
            continue;
        }
        // Queued before the breaker opened: trying again now would hold each request for another
        // pool timeout; the probe closes the breaker as soon as the database answers.
        if sink.breaker.is_open() {
            for job in jobs {
                let n = job.items.len();
                fail(job.reply, n, "database away".into(), &sink.metrics);
            }
            continue;
        }
        let effective = Arc::clone(&*config.borrow());
        // Everything a batch needs from the configuration, read once per batch (not per alert).
        let dashboard = effective.get("RISK_DASHBOARD_CONFIG");
        let (channels, problems) = parse_channels(&effective.get("NOTIFY_CHANNELS"));
        for p in problems {
            tracing::warn!(problem = %p, "NOTIFY_CHANNELS entry ignored");
        }
        // The alerts move into one batch; each request keeps its range of it for the answer.
        let mut items = Vec::with_capacity(total);
        let mut replies = Vec::with_capacity(jobs.len());
        for job in jobs {
            let start = items.len();
            let mut suppressed = 0;
            for inc in job.items {
                let keep = keeps_ds_type(&dashboard, &inc.ds_type)
                    && keeps_level(&dashboard, inc.level.as_str());
                suppressed += usize::from(!keep);
                items.push(IngestItem {
                    incoming: inc,
                    keep,
                });
            }
            replies.push((start..items.len(), suppressed, job.reply));
        }
        let now = crate::domain::time::now_ms();
        match sink.store(&items, &channels, now).await {
            Stored::Done => {
                for (range, suppressed, reply) in replies {
                    answer(reply, range.len(), suppressed, 0, &sink.metrics);
                }
            }
            Stored::Away(why) => {
                // Every queued request fails now rather than one pool timeout after another.
                for (range, _, reply) in replies {
                    fail(reply, range.len(), why.clone(), &sink.metrics);
                }
            }
            Stored::Refused(why) | Stored::Failed(why) => {
                // One bad request must not sink the others: each on its own.
                tracing::warn!(error = %why, jobs = replies.len(), "batch failed; storing requests one by one");
                let mut replies = replies.into_iter();
                for (range, suppressed, reply) in replies.by_ref() {
                    let go_on = sink
                        .store_request(&items, range, suppressed, reply, &channels, now)
                        .await;
                    if !go_on {
                        break;
                    }
                }
                for (range, _, reply) in replies {
                    fail(reply, range.len(), "database away".into(), &sink.metrics);
                }
            }
        }
    }
    tracing::info!("ingest writer drained and stopped");
}

fn answer(reply: Reply, accepted: usize, suppressed: usize, rejected: usize, metrics: &Metrics) {
    metrics
        .alerts_accepted
        .fetch_add(accepted as u64, Ordering::Relaxed);
    metrics
        .alerts_suppressed
        .fetch_add(suppressed as u64, Ordering::Relaxed);
    let _ = reply.send(Ok(Accepted {
        accepted,
        suppressed,
        rejected,
    }));
}

fn fail(reply: Reply, alerts: usize, error: String, metrics: &Metrics) {
    metrics.ingest_db_errors.fetch_add(1, Ordering::Relaxed);
    tracing::error!(error = %error, alerts, "alerts not stored; the sender gets 503 and retries");
    let _ = reply.send(Err(WriteError::Database(error)));
}
