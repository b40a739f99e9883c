//! The DR dashboard's collectors: one job, run by the master engine every `intervalSecs` of
//! `DR_DASHBOARD_CONFIG` (default 10 s). A round measures every sync link and the water levels of
//! the components on them with bounded concurrency and a timeout per server, reads zone traffic
//! from Prometheus when configured, writes the samples, turns breaches into risk events (which
//! resolve themselves), recomputes the readiness of every direction, and now and then compacts the
//! time series (downsampling and retention).
//!
//! Only the master collects: two engines polling the same servers would double the load and the
//! samples. A round is awaited before the next tick, so rounds never overlap; cancellation waits
//! for the current round (bounded by the timeouts).

pub mod events;
pub mod levels;
pub mod measure;
pub mod read;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::StreamExt as _;
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use super::Metrics;
use super::config_watch::Effective;
use crate::domain::Component;
use crate::domain::dr::{DashboardConfig, LinkKind, Readiness, WaterLevel, assess};
use crate::domain::notify::parse_channels;
use crate::domain::time::now_ms;
use crate::store::{SampleRow, Store, StoreError};

/// The system-configuration key of the collectors.
pub const CONFIG_KEY: &str = "DR_DASHBOARD_CONFIG";

/// Raw samples are kept this long before they are averaged into five-minute rows.
pub const RAW_KEEP_MS: i64 = 3_600_000;

/// How often the time series is compacted.
const COMPACT_EVERY_MS: i64 = 300_000;

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoundReport {
    pub links: usize,
    pub levels: usize,
    /// What was measured (also written to the store).
    pub samples: Vec<crate::domain::dr::LinkSample>,
    pub water: Vec<WaterLevel>,
    pub raised: usize,
    pub resolved: usize,
    pub verdicts: Vec<Readiness>,
}

/// The collector and what it remembers between rounds.
pub struct Collector {
    pub store: Store,
    memory: HashMap<String, measure::LinkMemory>,
    probes: Arc<crate::probes::ProbeContext>,
    http: reqwest::Client,
    last_compact: i64,
}

impl Collector {
    pub fn new(store: Store) -> Collector {
        Collector {
            store,
            memory: HashMap::new(),
            probes: Arc::new(crate::probes::ProbeContext::new()),
            http: reqwest::Client::new(),
            last_compact: 0,
        }
    }

    /// One round at `now` with `config`; `dashboard`/`channels` are the event filters and the
    /// notification channels.
    pub async fn round(
        &mut self,
        config: &DashboardConfig,
        dashboard: &serde_json::Value,
        channels: &[crate::domain::notify::Channel],
        now: i64,
    ) -> Result<RoundReport, StoreError> {
        let model = self.store.dr_model().await?;
        if model.is_empty() {
            return Ok(RoundReport::default());
        }
        let components = self.store.list_components().await?;
        let timeout = Duration::from_secs(config.timeout_secs);
        let by_name: HashMap<&str, &Component> =
            components.iter().map(|c| (c.name.as_str(), c)).collect();
        // Links, at most `concurrency` at once; each keeps its memory across rounds.
        let jobs: Vec<_> = model
            .links
            .iter()
            .filter_map(|l| {
                let (s, t) = (
                    by_name.get(l.source.as_str())?,
                    by_name.get(l.target.as_str())?,
                );
                let mem = self.memory.remove(&l.name).unwrap_or_default();
                // Owned: the futures below must not borrow across the stream (higher-ranked
                // lifetimes of a spawned task).
                Some((l.clone(), (*s).clone(), (*t).clone(), mem))
            })
            .collect();
        let probes = Arc::clone(&self.probes);
        let results: Vec<_> = futures::stream::iter(jobs)
            .map(|(l, s, t, mut mem)| {
                let probes = Arc::clone(&probes);
                async move {
                    let sample = measure::link(&l, &s, &t, &mut mem, &probes, timeout, now).await;
                    (l.name.clone(), mem, sample)
                }
            })
            .buffer_unordered(config.concurrency)
            .collect()
            .await;
        let mut samples = Vec::with_capacity(results.len());
        for (name, mem, sample) in results {
            self.memory.insert(name, mem);
            samples.push(sample);
        }
        // Water levels of every component on a link, once each.
        let mut on_links: Vec<(Component, LinkKind)> = Vec::new();
        for l in &model.links {
            for n in [&l.source, &l.target] {
                if let Some(c) = by_name.get(n.as_str())
                    && !on_links.iter().any(|(x, _)| x.name == c.name)
                {
                    on_links.push(((*c).clone(), l.kind));
                }
            }
        }
        let http = self.http.clone();
        let levels: Vec<WaterLevel> = futures::stream::iter(on_links)
            .map(|(c, kind)| {
                let http = http.clone();
                async move { levels::of_component(&c, kind, &http, timeout, now).await }
            })
            .buffer_unordered(config.concurrency)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .flatten()
            .collect();
        let mut rows: Vec<SampleRow> = samples.iter().map(SampleRow::of_link).collect();
        rows.extend(
            levels
                .iter()
                .map(|w| SampleRow::of_level(w, &w.severity(&config.thresholds).to_string())),
        );
        if !config.prometheus_url.is_empty() && !config.traffic_query.is_empty() {
            match levels::traffic(
                &http,
                &config.prometheus_url,
                &config.traffic_query,
                timeout,
                now,
            )
            .await
            {
                Ok(t) => rows.extend(t.iter().map(|t| SampleRow {
                    kind: "traffic".into(),
                    subject: t.zone.clone(),
                    at: now,
                    state: "ok".into(),
                    amount: (t.value * 1000.0) as i64,
                    extra: 0,
                    message: String::new(),
                    detail: String::new(),
                    coarse: false,
                })),
                Err(e) => tracing::warn!(error = %e, "zone traffic query failed"),
            }
        }
        self.store.insert_dr_samples(&rows).await?;
        let breaches = events::breaches(&model, &components, &samples, &levels, config);
        let (raised, resolved) =
            events::reconcile(&self.store, &breaches, dashboard, channels, now).await?;
        let view = crate::dr::snapshot(&self.store, &model, config, now).await?;
        let verdicts: Vec<Readiness> = model
            .directions()
            .iter()
            .map(|d| assess(d, &view.input(&model, config), now))
            .collect();
        self.store.put_readiness(&verdicts).await?;
        if now - self.last_compact >= COMPACT_EVERY_MS {
            self.last_compact = now;
            let retention = i64::try_from(config.retention_days).unwrap_or(7) * 86_400_000;
            let (made, dropped) = self
                .store
                .compact_dr_samples(now, RAW_KEEP_MS, retention)
                .await?;
            tracing::debug!(made, dropped, "DR samples compacted");
        }
        Ok(RoundReport {
            links: samples.len(),
            levels: levels.len(),
            samples,
            water: levels,
            raised,
            resolved,
            verdicts,
        })
    }
}

/// Run rounds while this engine is master, every `intervalSecs` of the live configuration.
pub async fn collect_loop(
    store: Store,
    metrics: Arc<Metrics>,
    config: watch::Receiver<Arc<Effective>>,
    notify_wake: Arc<Notify>,
    cancel: CancellationToken,
) {
    let mut collector = Collector::new(store);
    loop {
        let effective = Arc::clone(&*config.borrow());
        let cfg = DashboardConfig::from_value(&effective.get(CONFIG_KEY));
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(Duration::from_secs(cfg.interval_secs)) => {}
        }
        if !metrics.is_master.load(Ordering::Relaxed) {
            continue;
        }
        let dashboard = effective.get("RISK_DASHBOARD_CONFIG");
        let (channels, _) = parse_channels(&effective.get("NOTIFY_CHANNELS"));
        match collector.round(&cfg, &dashboard, &channels, now_ms()).await {
            Ok(r) => {
                if r.raised + r.resolved > 0 {
                    notify_wake.notify_one();
                }
                tracing::debug!(links = r.links, levels = r.levels, "DR round");
            }
            Err(e) => tracing::warn!(error = %e, "DR collection round failed; retrying"),
        }
    }
}
