//! The single ingest writer: requests queue on a bounded channel; the writer drains whatever is
//! waiting (up to `batch_max` alerts) and stores it in one transaction, then answers every request
//! of the batch. One writer keeps SQLite's single-writer rule and turns many small requests into a
//! few multi-row statements (DESIGN.md §10).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::{Notify, mpsc, oneshot, watch};

use super::super::Metrics;
use super::super::config_watch::Effective;
use crate::domain::event::Incoming;
use crate::domain::notify::parse_channels;
use crate::domain::sysconfig::{keeps_ds_type, keeps_level};
use crate::store::{IngestItem, Store};

/// Why a request could not be stored; both mean "retry later" to the sender (503).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteError {
    /// The queue is full.
    Busy,
    /// The database failed; nothing of the request was stored.
    Database(String),
}

/// What one request's alerts became.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Accepted {
    pub accepted: usize,
    pub suppressed: usize,
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
}

impl Writer {
    /// Queue alerts and wait until they are committed.
    pub async fn submit(&self, items: Vec<Incoming>) -> Result<Accepted, WriteError> {
        let (reply, done) = oneshot::channel();
        self.tx
            .try_send(Job { items, reply })
            .map_err(|_| WriteError::Busy)?;
        done.await
            .unwrap_or(Err(WriteError::Database("the writer stopped".into())))
    }
}

/// The writer handle and the task to run. `wake` is notified after each commit that queued
/// notifications (the outbox worker waits on it).
pub fn spawn_writer(
    store: Store,
    config: watch::Receiver<Arc<Effective>>,
    metrics: Arc<Metrics>,
    queue: usize,
    batch_max: usize,
    wake: Arc<Notify>,
) -> (
    Writer,
    impl std::future::Future<Output = ()> + Send + 'static,
) {
    let (tx, rx) = mpsc::channel(queue);
    (
        Writer { tx },
        run(store, config, metrics, rx, batch_max, wake),
    )
}

async fn run(
    store: Store,
    config: watch::Receiver<Arc<Effective>>,
    metrics: Arc<Metrics>,
    mut rx: mpsc::Receiver<Job>,
    batch_max: usize,
    wake: Arc<Notify>,
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
        match store.ingest_batch(&items, &channels, now).await {
            Ok(outcome) => {
                if outcome.notifications > 0 {
                    wake.notify_one();
                }
                metrics.ingest_batches.fetch_add(1, Ordering::Relaxed);
                for (range, suppressed, reply) in replies {
                    answer(reply, range.len(), suppressed, &metrics);
                }
            }
            Err(e) if replies.len() > 1 => {
                // One bad request must not sink the others: retry each on its own.
                tracing::warn!(error = %e, jobs = replies.len(), "batch failed; storing requests one by one");
                for (range, suppressed, reply) in replies {
                    match store
                        .ingest_batch(&items[range.clone()], &channels, now)
                        .await
                    {
                        Ok(outcome) => {
                            if outcome.notifications > 0 {
                                wake.notify_one();
                            }
                            metrics.ingest_batches.fetch_add(1, Ordering::Relaxed);
                            answer(reply, range.len(), suppressed, &metrics);
                        }
                        Err(e) => fail(reply, range.len(), e.to_string(), &metrics),
                    }
                }
            }
            Err(e) => {
                for (range, _, reply) in replies {
                    fail(reply, range.len(), e.to_string(), &metrics);
                }
            }
        }
    }
    tracing::info!("ingest writer drained and stopped");
}

fn answer(reply: Reply, accepted: usize, suppressed: usize, metrics: &Metrics) {
    metrics
        .alerts_accepted
        .fetch_add(accepted as u64, Ordering::Relaxed);
    metrics
        .alerts_suppressed
        .fetch_add(suppressed as u64, Ordering::Relaxed);
    let _ = reply.send(Ok(Accepted {
        accepted,
        suppressed,
    }));
}

fn fail(reply: Reply, alerts: usize, error: String, metrics: &Metrics) {
    metrics.ingest_db_errors.fetch_add(1, Ordering::Relaxed);
    tracing::error!(error = %error, alerts, "alerts not stored; the sender gets 503 and retries");
    let _ = reply.send(Err(WriteError::Database(error)));
}
