//! The notifier: every engine runs one. It drains the `outbox` (filled by ingest in the same
//! transaction as the event change) and delivers each row to its `NOTIFY_CHANNELS` channel, with
//! retries and exponential backoff.
//!
//! Rows are claimed with a lease, so several engines share the work and each row goes to exactly
//! one of them; a crashed engine's rows are taken over when its lease expires (delivery is
//! at-least-once). The channel is looked up by name at delivery time in the configuration the
//! engine currently runs with, so a changed URL or secret applies to queued rows too, and a
//! channel removed meanwhile fails its rows with a clear error. It must never log a channel URL
//! (it carries the robot's access token): log lines and stored errors name the channel.

mod format;
mod metrics;
mod policy;
mod send;
mod sign;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures::StreamExt as _;
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use metrics::NotifyMetrics;
pub use policy::{Backoff, Options};
pub use send::{Outcome, deliver};

use super::config_watch::Effective;
use crate::domain::notify::{Channel, parse_channels};
use crate::domain::time::now_ms;
use crate::store::{OutboxItem, Store, StoreError};

/// The configuration key the channels come from.
pub const CHANNELS_KEY: &str = "NOTIFY_CHANNELS";

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("cannot build the notification HTTP client: {0}")]
    Client(String),
}

/// What the rest of the engine keeps of a running notifier.
#[derive(Debug, Clone, Default)]
pub struct NotifyHandle {
    wake: Arc<Notify>,
    pub metrics: Arc<NotifyMetrics>,
}

impl NotifyHandle {
    /// Deliver now rather than at the next tick (call after committing outbox rows).
    pub fn wake(&self) {
        // `notify_one` keeps a permit when the notifier is busy, so a wake during a round is not
        // lost: the next wait returns at once.
        self.wake.notify_one();
    }
}

/// One engine's delivery worker.
pub struct Notifier {
    store: Store,
    /// Claims are stamped with this (the engine's instance id: unique per process start).
    worker: String,
    config: watch::Receiver<Arc<Effective>>,
    client: reqwest::Client,
    options: Options,
    handle: NotifyHandle,
}

impl Notifier {
    pub fn new(
        store: Store,
        worker: String,
        config: watch::Receiver<Arc<Effective>>,
        options: Options,
    ) -> Result<Notifier, NotifyError> {
        let client = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.timeout)
            // A redirect is answered as a failure naming the status: following it would post
            // the event to wherever a receiver points, and the right URL belongs in the channel.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("nightwatch/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| NotifyError::Client(e.to_string()))?;
        Ok(Notifier {
            store,
            worker,
            config,
            client,
            options,
            handle: NotifyHandle::default(),
        })
    }

    /// Share `wake` (e.g. the one the ingest writer notifies) instead of a private one.
    pub fn with_wake(mut self, wake: Arc<Notify>) -> Notifier {
        self.handle.wake = wake;
        self
    }

    pub fn handle(&self) -> NotifyHandle {
        self.handle.clone()
    }

    /// One round: claim what is due, deliver it, record each outcome. Returns how many rows were
    /// claimed (a full batch means more may be waiting).
    pub async fn round(&self) -> Result<usize, StoreError> {
        // Parsed per round, so a saved change of the channels applies to rows already queued.
        // The watch borrow is a lock: it ends with this statement, before any await.
        let channels = parse_channels(&self.config.borrow().get(CHANNELS_KEY)).0;
        let lease_ms = i64::try_from(self.options.lease.as_millis()).unwrap_or(i64::MAX);
        let items = self
            .store
            .claim_due_outbox(&self.worker, now_ms(), lease_ms, self.options.batch)
            .await?;
        let claimed = items.len();
        // Concurrently within the round: one receiver that hangs until the timeout must not
        // hold up every other channel.
        futures::stream::iter(items)
            .map(|item| self.process(&channels, item))
            .buffer_unordered(self.options.concurrency.max(1))
            .for_each(|r| async {
                if let Err(e) = r {
                    // The row stays claimed and is taken over when the lease expires.
                    tracing::warn!(error = %e, "cannot record a notification outcome");
                }
            })
            .await;
        Ok(claimed)
    }

    async fn process(&self, channels: &[Channel], item: OutboxItem) -> Result<(), StoreError> {
        let outcome = match channels.iter().find(|c| c.name == item.channel) {
            Some(ch) => deliver(&self.client, ch, &item.payload, now_ms()).await,
            None => Outcome::Permanent(format!(
                "channel {:?} is not configured in {CHANNELS_KEY} (removed, renamed or invalid)",
                item.channel
            )),
        };
        // A receiver's answer may echo what it was sent or called with (DingTalk echoes the
        // access_token): scrubbed before it is stored, logged or shown.
        let outcome = match outcome {
            Outcome::Retry(e) => Outcome::Retry(self.config.borrow().scrub.clean(&e)),
            Outcome::Permanent(e) => Outcome::Permanent(self.config.borrow().scrub.clean(&e)),
            o => o,
        };
        let now = now_ms();
        let m = &self.handle.metrics;
        let (ch, event, id) = (&item.channel, item.event_id, item.id);
        let held = match outcome {
            Outcome::Delivered => {
                let held = self.store.complete_outbox(id, &self.worker, now).await?;
                m.sent.fetch_add(1, Ordering::Relaxed);
                tracing::info!(channel = %ch, event, outbox = id, "notification sent");
                held
            }
            Outcome::Retry(error) => {
                let failures = item.attempts + 1;
                let next = self.options.backoff.next_try(failures, now);
                let held = self
                    .store
                    .fail_outbox(id, &self.worker, now, &error, next)
                    .await?;
                if next.is_some() {
                    m.retried.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(channel = %ch, event, outbox = id, attempt = failures, %error, "notification failed; will retry");
                } else {
                    m.failed.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(channel = %ch, event, outbox = id, attempts = failures, %error, "notification failed; giving up");
                }
                held
            }
            Outcome::Permanent(error) => {
                let held = self
                    .store
                    .fail_outbox(id, &self.worker, now, &error, None)
                    .await?;
                m.failed.fetch_add(1, Ordering::Relaxed);
                tracing::error!(channel = %ch, event, outbox = id, %error, "notification cannot be delivered");
                held
            }
        };
        if !held {
            tracing::warn!(channel = %ch, event, outbox = id, "claim lost before the outcome was recorded (lease expired); another worker owns the row");
        }
        Ok(())
    }

    /// Deliver until cancelled: a round at every tick and whenever woken, repeated while rounds
    /// come back full. On cancel the round in flight is abandoned (shutdown must not wait for
    /// receivers that hang) and this worker's claims are given back, so another engine takes them
    /// over at once; a request that already reached its receiver may then be sent twice.
    pub async fn run(self, cancel: CancellationToken) {
        let mut tick = tokio::time::interval(self.options.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        'outer: loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                _ = tick.tick() => {}
                () = self.handle.wake.notified() => {}
            }
            loop {
                let done = tokio::select! {
                    () = cancel.cancelled() => break 'outer,
                    r = self.round() => r,
                };
                match done {
                    Ok(n) if i64::try_from(n).unwrap_or(0) >= self.options.batch => continue,
                    Ok(_) => break,
                    Err(e) => {
                        // The database may be briefly away: the next tick tries again.
                        tracing::warn!(error = %e, "cannot claim notifications");
                        break;
                    }
                }
            }
        }
        if let Err(e) = self.store.release_outbox(&self.worker).await {
            tracing::warn!(error = %e, "cannot release claimed notifications; their lease will expire");
        }
    }
}

/// Start this engine's notifier on `tasks` (stopped by `cancel`), woken by `wake` (which ingest
/// notifies after committing outbox rows). The handle holds its counters. Should the HTTP client
/// fail to build, the error is logged and no worker runs here: the rows wait in the outbox for
/// another engine or a restart, nothing is lost.
pub fn spawn(
    tasks: &TaskTracker,
    store: &Store,
    worker: &str,
    config: &watch::Receiver<Arc<Effective>>,
    wake: &Arc<Notify>,
    cancel: &CancellationToken,
) -> NotifyHandle {
    let notifier = Notifier::new(
        store.clone(),
        worker.to_owned(),
        config.clone(),
        Options::default(),
    );
    match notifier {
        Ok(n) => {
            let n = n.with_wake(Arc::clone(wake));
            let handle = n.handle();
            tasks.spawn(n.run(cancel.clone()));
            handle
        }
        Err(e) => {
            tracing::error!(error = %e, "notifications will not be delivered by this engine");
            NotifyHandle::default()
        }
    }
}
