//! Ingest: alerts arrive over HTTP, are authenticated, parsed, normalised, and handed to ONE writer
//! that stores them in batched transactions.
//!
//! The promises to senders: a 2xx is answered only after the alerts are committed; a full queue, a
//! rate limit or an unavailable database answer 503 with `Retry-After` (Alertmanager retries only
//! 5xx: a 429 would lose alerts for good); malformed bodies answer 400 naming the field; wrong
//! credentials 401; bodies over the limit 413, logged loudly and counted, because no one retries them.
//!
//! Endpoints: `POST /api/v1/alerts/alertmanager` (webhook v4), `POST /api/monitor/rms/alert`
//! (ak/sk of `NW_EMBEDDED_AK`), `POST /api/v1/events` (the generic event JSON).

mod alertmanager;
mod auth;
mod breaker;
mod clean;
mod generic;
mod handlers;
mod limit;
mod normalise;
mod writer;

use std::sync::Arc;

use tokio::sync::watch;

pub use breaker::{Breaker, probe_loop};
pub use handlers::routes;
pub use writer::{Writer, WriterConfig, spawn_writer};

use super::Metrics;
use super::config_watch::Effective;
use crate::settings::IngestSettings;

/// What the ingest handlers share.
#[derive(Clone)]
pub struct IngestState {
    pub writer: Writer,
    pub config: watch::Receiver<Arc<Effective>>,
    pub metrics: Arc<Metrics>,
    pub settings: Arc<IngestSettings>,
    pub limits: Arc<limit::RateLimits>,
    /// HMAC signatures seen within the replay window.
    pub replay: Arc<auth::ReplayGuard>,
}

impl IngestState {
    pub fn new(
        writer: Writer,
        config: watch::Receiver<Arc<Effective>>,
        metrics: Arc<Metrics>,
        settings: &IngestSettings,
    ) -> IngestState {
        IngestState {
            writer,
            config,
            metrics,
            settings: Arc::new(settings.clone()),
            limits: Arc::new(limit::RateLimits::default()),
            replay: Arc::new(auth::ReplayGuard::default()),
        }
    }
}
