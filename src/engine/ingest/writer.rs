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

struct Job {
    items: Vec<Incoming>,
    reply: oneshot::Sender<Result<Accepted, WriteError>>,
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
        match store_jobs(&store, &effective, &jobs).await {
            Ok(queued) => {
                if queued > 0 {
                    wake.notify_one();
                }
                reply_all(jobs, &effective, &metrics);
            }
            Err(e) if jobs.len() > 1 => {
                // One bad request must not sink the others: retry each on its own.
                tracing::warn!(error = %e, jobs = jobs.len(), "batch failed; storing requests one by one");
                for job in jobs {
                    match store_jobs(&store, &effective, std::slice::from_ref(&job)).await {
                        Ok(_) => reply_all(vec![job], &effective, &metrics),
                        Err(e) => fail(job, e, &metrics),
                    }
                }
            }
            Err(e) => {
                for job in jobs {
                    fail(job, e.clone(), &metrics);
                }
            }
        }
    }
    tracing::info!("ingest writer drained and stopped");
}

fn keep(effective: &Effective, inc: &Incoming) -> bool {
    let dashboard = effective.get("RISK_DASHBOARD_CONFIG");
    keeps_ds_type(&dashboard, &inc.ds_type) && keeps_level(&dashboard, inc.level.as_str())
}

async fn store_jobs(store: &Store, effective: &Effective, jobs: &[Job]) -> Result<usize, String> {
    let items: Vec<IngestItem> = jobs
        .iter()
        .flat_map(|j| j.items.iter())
        .map(|inc| IngestItem {
            keep: keep(effective, inc),
            incoming: inc.clone(),
        })
        .collect();
    let (channels, problems) = parse_channels(&effective.get("NOTIFY_CHANNELS"));
    for p in problems {
        tracing::warn!(problem = %p, "NOTIFY_CHANNELS entry ignored");
    }
    let now = crate::domain::time::now_ms();
    let outcome = store
        .ingest_batch(&items, &channels, now)
        .await
        .map_err(|e| e.to_string())?;
    Ok(outcome.notifications)
}

fn reply_all(jobs: Vec<Job>, effective: &Effective, metrics: &Metrics) {
    metrics.ingest_batches.fetch_add(1, Ordering::Relaxed);
    for job in jobs {
        let suppressed = job.items.iter().filter(|i| !keep(effective, i)).count();
        metrics
            .alerts_accepted
            .fetch_add(job.items.len() as u64, Ordering::Relaxed);
        metrics
            .alerts_suppressed
            .fetch_add(suppressed as u64, Ordering::Relaxed);
        let _ = job.reply.send(Ok(Accepted {
            accepted: job.items.len(),
            suppressed,
        }));
    }
}

fn fail(job: Job, error: String, metrics: &Metrics) {
    metrics.ingest_db_errors.fetch_add(1, Ordering::Relaxed);
    tracing::error!(error = %error, alerts = job.items.len(), "alerts not stored; the sender gets 503 and retries");
    let _ = job.reply.send(Err(WriteError::Database(error)));
}
