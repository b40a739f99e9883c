//! The engine's view of the system configuration, kept current while it runs.
//!
//! Every `engine.config_poll_secs` (≤ 30 s, so a change takes effect within 30 s as documented)
//! the engine checks one cheap stamp; when it moved, changed keys are adopted by their rules:
//! ordinary keys at once; `RMS_CONFIG` only when its `version` field was raised; restart-required
//! keys (`META_SYNC_INTERVAL`, `BASELINE_SYNC_INTERVAL`) only at start-up. What was adopted is
//! written next to the heartbeat (`nw_component.applied`) so consoles can show "not applied" and
//! "restart needed". Values are never logged.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::Metrics;
use crate::domain::sysconfig::{self as reg, version_raised};
use crate::sysconfig::scrub::secrets_of_value;
use crate::sysconfig::{ConfigError, Scrubber, SysConfig};

/// The configuration the engine runs with: key → (config version adopted, value in clear), and
/// the output scrubber built from every secret in use (rebuilt with each change).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Effective {
    pub values: BTreeMap<String, (i64, Value)>,
    /// The secrets the engine holds apart from the configuration (the database password, the
    /// secret key).
    pub base: Arc<Scrubber>,
    /// `base` plus every secret of the adopted configuration: what every writer of output uses.
    pub scrub: Arc<Scrubber>,
}

impl Effective {
    /// The adopted value of a key (its default when never saved).
    pub fn get(&self, key: &str) -> Value {
        self.values
            .get(key)
            .map(|(_, v)| v.clone())
            .or_else(|| reg::lookup(key).map(|s| (s.default)()))
            .unwrap_or(Value::Null)
    }

    /// Rebuild [`Effective::scrub`] from `base` and the adopted values.
    pub fn rescrub(&mut self) {
        let found = self
            .values
            .iter()
            .flat_map(|(k, (_, v))| secrets_of_value(reg::lookup(k), v));
        self.scrub = Arc::new(self.base.extended(found));
    }

    /// `{key: version}` of what was adopted, as written to `nw_component.applied`.
    pub fn applied(&self) -> String {
        let m: serde_json::Map<String, Value> = self
            .values
            .iter()
            .map(|(k, (v, _))| (k.clone(), Value::from(*v)))
            .collect();
        Value::Object(m).to_string()
    }
}

/// Load everything at start-up: every key is adopted as stored, restart-required ones included.
/// `secrets` are the engine's own secrets to scrub (with the secret key, added here). Returns the
/// configuration stamp read *before* loading, so a save that lands during the load is seen as a
/// change by the first poll instead of being missed.
pub async fn initial(
    cfg: &SysConfig,
    secrets: Vec<String>,
) -> Result<(i64, Effective), ConfigError> {
    let stamp = cfg.store().config_stamp().await?;
    let mut values = BTreeMap::new();
    for view in cfg.list().await? {
        if view.version > 0 {
            values.insert(view.key.clone(), cfg.effective(&view.key).await?);
        }
    }
    let key_forms = cfg.secret_key_forms().await;
    let mut e = Effective {
        values,
        base: Arc::new(Scrubber::new(secrets.into_iter().chain(key_forms))),
        scrub: Arc::default(),
    };
    e.rescrub();
    Ok((stamp, e))
}

/// Adopt what changed since `current`, by the rules above. Returns the new state.
pub async fn reload(cfg: &SysConfig, current: &Effective) -> Result<Effective, ConfigError> {
    let mut next = current.clone();
    for view in cfg.list().await? {
        let adopted = current.values.get(&view.key).map_or(0, |(v, _)| *v);
        if view.version == adopted {
            continue;
        }
        let spec = reg::lookup(&view.key);
        if spec.is_some_and(|s| s.restart_required) {
            tracing::info!(key = %view.key, version = view.version, "saved; takes effect at the next engine restart");
            continue;
        }
        let (version, value) = cfg.effective(&view.key).await?;
        if spec.is_some_and(|s| s.version_gated) {
            let old = current.get(&view.key);
            let field = |v: &Value| {
                v.get("version")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned()
            };
            if !version_raised(&field(&old), &field(&value)) {
                tracing::warn!(
                    key = %view.key,
                    version,
                    "saved without raising its \"version\" field ({}): not applied",
                    field(&value)
                );
                continue;
            }
        }
        tracing::info!(key = %view.key, version, "configuration applied");
        next.values.insert(view.key.clone(), (version, value));
    }
    next.rescrub();
    Ok(next)
}

/// Poll until cancelled, publishing each new [`Effective`] and recording it for `instance_id`.
pub async fn run(
    cfg: SysConfig,
    mut stamp: i64,
    instance_id: String,
    every: Duration,
    tx: watch::Sender<Arc<Effective>>,
    metrics: Arc<Metrics>,
    cancel: CancellationToken,
) {
    let store = cfg.store().clone();
    // Never hold the watch borrow across an await (it is a lock).
    let applied = tx.borrow().applied();
    let _ = store.set_applied(&instance_id, &applied).await;
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            _ = tick.tick() => {}
        }
        let now = match store.config_stamp().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot check the configuration; retrying");
                continue;
            }
        };
        if now == stamp {
            continue;
        }
        let current = Arc::clone(&*tx.borrow());
        match reload(&cfg, &current).await {
            Ok(next) => {
                stamp = now;
                metrics.config_reloads.fetch_add(1, Ordering::Relaxed);
                if let Err(e) = store.set_applied(&instance_id, &next.applied()).await {
                    tracing::warn!(error = %e, "cannot record the applied configuration");
                }
                tx.send_if_modified(|cur| {
                    if **cur == next {
                        false
                    } else {
                        *cur = Arc::new(next);
                        true
                    }
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "configuration reload failed; keeping the current one")
            }
        }
    }
}
