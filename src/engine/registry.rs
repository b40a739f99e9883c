//! The instance registry heartbeat and master election, one loop per engine.
//!
//! Every `heartbeat_secs` the engine refreshes its `nw_component` row and takes or renews the
//! master lease. The lease lasts `lease_secs` (> heartbeat), so a master that misses one beat keeps
//! it, and a dead master is replaced within one lease period. On shutdown the lease is released and
//! the row removed, so a successor takes over at once instead of waiting for expiry.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::Metrics;
use crate::domain::{EngineState, Instance, time::now_ms};
use crate::settings::Settings;
use crate::store::Store;

/// The lease every engine competes for.
pub const MASTER_ROLE: &str = "master";

pub struct Registry {
    store: Store,
    me: Instance,
    every: Duration,
    lease_ms: i64,
    metrics: Arc<Metrics>,
}

impl Registry {
    pub fn new(store: Store, me: Instance, settings: &Settings, metrics: Arc<Metrics>) -> Registry {
        metrics
            .started_at_ms
            .store(me.started_at, Ordering::Relaxed);
        Registry {
            store,
            me,
            every: Duration::from_secs(settings.engine.heartbeat_secs),
            lease_ms: i64::try_from(settings.engine.lease_secs.saturating_mul(1000))
                .unwrap_or(i64::MAX),
            metrics,
        }
    }

    /// One heartbeat and one election round.
    pub async fn beat(&self) -> Result<(), crate::store::StoreError> {
        let now = now_ms();
        let me = Instance {
            heartbeat_at: now,
            ..self.me.clone()
        };
        self.store.upsert_instance(&me).await?;
        self.metrics.heartbeats.fetch_add(1, Ordering::Relaxed);
        let lease = self
            .store
            .acquire_lease(MASTER_ROLE, &me, self.lease_ms)
            .await?;
        let master = lease.is_some();
        if self.metrics.is_master.swap(master, Ordering::Relaxed) != master {
            self.metrics.lease_changes.fetch_add(1, Ordering::Relaxed);
            tracing::info!(
                master,
                term = lease.as_ref().map(|l| l.term),
                "master lease changed"
            );
        }
        self.metrics
            .master_term
            .store(lease.map_or(0, |l| l.term), Ordering::Relaxed);
        Ok(())
    }

    /// Beat until cancelled, then release the lease and deregister.
    pub async fn run(self, cancel: CancellationToken) {
        let mut tick = tokio::time::interval(self.every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                _ = tick.tick() => {
                    if let Err(e) = self.beat().await {
                        // The database may be briefly away; the next beat retries. The lease
                        // expires on its own if this lasts, and another engine takes over.
                        self.metrics.heartbeat_failures.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(error = %e, "heartbeat failed");
                    }
                }
            }
        }
        self.release().await;
    }

    /// Give back what this engine took: the master lease (so a standby takes over at once) and
    /// its `nw_component` row. Called on shutdown, and when a start fails after the first beat.
    pub async fn release(&self) {
        if let Err(e) = self.store.release_lease(MASTER_ROLE, &self.me.id).await {
            tracing::warn!(error = %e, "could not release the master lease; it will expire");
        }
        if let Err(e) = self.store.remove_instance(&self.me.id).await {
            tracing::warn!(error = %e, "could not remove the instance row; it will go stale");
        }
        self.metrics.is_master.store(false, Ordering::Relaxed);
    }
}

/// For a process that runs no engine: keep `state` telling whether another process does (a live
/// engine row in `nw_component`), and register this process as `role` when it may write.
pub async fn watch_external_engine(
    store: Store,
    me: Option<Instance>,
    settings: Settings,
    off_reason: String,
    state: watch::Sender<EngineState>,
    cancel: CancellationToken,
) {
    let every = Duration::from_secs(settings.engine.heartbeat_secs);
    let ttl = i64::try_from(settings.engine.lease_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            _ = tick.tick() => {
                let now = now_ms();
                if let Some(me) = &me {
                    let row = Instance { heartbeat_at: now, ..me.clone() };
                    if let Err(e) = store.upsert_instance(&row).await {
                        tracing::warn!(error = %e, "console heartbeat failed");
                    }
                }
                let next = match store.list_instances().await {
                    Ok(list) => match list.iter().find(|i| i.role == "engine" && i.is_alive(now, ttl)) {
                        Some(e) => EngineState::External {
                            detail: format!("{} on {}", e.listen, e.hostname),
                        },
                        None => EngineState::Off { why: off_reason.clone() },
                    },
                    Err(e) => EngineState::Failed { error: format!("cannot read instances: {e}") },
                };
                state.send_if_modified(|s| if *s == next { false } else { *s = next; true });
            }
        }
    }
    if let Some(me) = &me {
        let _ = store.remove_instance(&me.id).await;
    }
}
