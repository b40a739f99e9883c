//! Engine metrics, rendered in the Prometheus text exposition format at `GET /metrics`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

/// Counters and gauges shared by the engine's tasks (atomics: written by one task, read by the
/// HTTP handler; no lock needed).
#[derive(Debug, Default)]
pub struct Metrics {
    pub http_requests: AtomicU64,
    pub heartbeats: AtomicU64,
    pub heartbeat_failures: AtomicU64,
    pub is_master: AtomicBool,
    pub master_term: AtomicI64,
    pub lease_changes: AtomicU64,
    pub started_at_ms: AtomicI64,
    pub config_reloads: AtomicU64,
    /// The notification worker's counters, once it runs.
    pub notify: std::sync::OnceLock<std::sync::Arc<super::notify::NotifyMetrics>>,
    pub ingest_requests: AtomicU64,
    pub ingest_bad_request: AtomicU64,
    pub ingest_unauthorized: AtomicU64,
    pub ingest_too_large: AtomicU64,
    pub ingest_busy: AtomicU64,
    pub ingest_db_errors: AtomicU64,
    pub ingest_batches: AtomicU64,
    pub alerts_accepted: AtomicU64,
    pub alerts_suppressed: AtomicU64,
    /// Alerts the database refused even after cleaning (left out of a 200).
    pub alerts_rejected: AtomicU64,
    /// 1 while the ingest breaker is open (the database is known to be away).
    pub ingest_breaker_open: std::sync::Arc<AtomicBool>,
    /// Ingest requests answered 503 because the breaker was open or the bound passed.
    pub ingest_away: AtomicU64,
}

impl Metrics {
    /// The exposition text.
    pub fn render(&self, instance: &str, db_up: bool, now_ms: i64) -> String {
        let started = self.started_at_ms.load(Ordering::Relaxed);
        let uptime = if started > 0 {
            (now_ms - started) as f64 / 1000.0
        } else {
            0.0
        };
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed).to_string();
        let labels = format!(
            "{{version=\"{}\",instance=\"{}\"}}",
            env!("CARGO_PKG_VERSION"),
            instance.replace('\\', "\\\\").replace('"', "\\\"")
        );
        let samples: [(&str, &str, &str, &str, String); 22] = [
            (
                "nightwatch_build_info",
                "gauge",
                "Build information.",
                &labels,
                "1".into(),
            ),
            (
                "nightwatch_database_up",
                "gauge",
                "1 when the database answered the last probe.",
                "",
                u8::from(db_up).to_string(),
            ),
            (
                "nightwatch_is_master",
                "gauge",
                "1 when this engine holds the master lease.",
                "",
                u8::from(self.is_master.load(Ordering::Relaxed)).to_string(),
            ),
            (
                "nightwatch_master_term",
                "gauge",
                "Fencing token of the lease this engine holds (0 when not master).",
                "",
                self.master_term.load(Ordering::Relaxed).to_string(),
            ),
            (
                "nightwatch_master_changes_total",
                "counter",
                "Times this engine gained or lost the master lease.",
                "",
                load(&self.lease_changes),
            ),
            (
                "nightwatch_heartbeats_total",
                "counter",
                "Heartbeats written to nw_component.",
                "",
                load(&self.heartbeats),
            ),
            (
                "nightwatch_heartbeat_failures_total",
                "counter",
                "Heartbeats that failed to reach the database.",
                "",
                load(&self.heartbeat_failures),
            ),
            (
                "nightwatch_http_requests_total",
                "counter",
                "HTTP requests served by the engine.",
                "",
                load(&self.http_requests),
            ),
            (
                "nightwatch_config_reloads_total",
                "counter",
                "Times the engine adopted a changed system configuration.",
                "",
                load(&self.config_reloads),
            ),
            (
                "nightwatch_ingest_requests_total",
                "counter",
                "Ingest requests received.",
                "",
                load(&self.ingest_requests),
            ),
            (
                "nightwatch_ingest_bad_request_total",
                "counter",
                "Ingest requests refused with 400.",
                "",
                load(&self.ingest_bad_request),
            ),
            (
                "nightwatch_ingest_unauthorized_total",
                "counter",
                "Ingest requests refused with 401.",
                "",
                load(&self.ingest_unauthorized),
            ),
            (
                "nightwatch_ingest_too_large_total",
                "counter",
                "Ingest requests refused with 413 (body over ingest.max_body_bytes); senders do not retry these.",
                "",
                load(&self.ingest_too_large),
            ),
            (
                "nightwatch_ingest_busy_total",
                "counter",
                "Ingest requests answered 503 (queue full or rate limit).",
                "",
                load(&self.ingest_busy),
            ),
            (
                "nightwatch_ingest_db_errors_total",
                "counter",
                "Ingest requests answered 503 because the database failed.",
                "",
                load(&self.ingest_db_errors),
            ),
            (
                "nightwatch_ingest_batches_total",
                "counter",
                "Transactions written by the ingest writer.",
                "",
                load(&self.ingest_batches),
            ),
            (
                "nightwatch_alerts_accepted_total",
                "counter",
                "Alerts stored (2xx answered).",
                "",
                load(&self.alerts_accepted),
            ),
            (
                "nightwatch_alerts_suppressed_total",
                "counter",
                "Alerts stored as suppressed by the RISK_DASHBOARD_CONFIG filters.",
                "",
                load(&self.alerts_suppressed),
            ),
            (
                "nightwatch_alerts_rejected_total",
                "counter",
                "Alerts the database refused even after cleaning; left out, never retried.",
                "",
                load(&self.alerts_rejected),
            ),
            (
                "nightwatch_ingest_breaker_open",
                "gauge",
                "1 while the database is known to be away: ingest answers 503 at once.",
                "",
                u8::from(self.ingest_breaker_open.load(Ordering::Relaxed)).to_string(),
            ),
            (
                "nightwatch_ingest_away_total",
                "counter",
                "Ingest requests answered 503 at once (breaker open) or at the request bound.",
                "",
                load(&self.ingest_away),
            ),
            (
                "nightwatch_uptime_seconds",
                "gauge",
                "Seconds since the engine started.",
                "",
                format!("{uptime:.3}"),
            ),
        ];
        let mut out = String::with_capacity(1024);
        for (name, kind, help, labels, value) in samples {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name}{labels} {value}"
            );
        }
        if let Some(n) = self.notify.get() {
            n.render_into(&mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_valid_exposition_lines() {
        let m = Metrics::default();
        m.heartbeats.store(3, Ordering::Relaxed);
        m.is_master.store(true, Ordering::Relaxed);
        m.started_at_ms.store(1_000, Ordering::Relaxed);
        let text = m.render("h:\"1\"", true, 3_500);
        assert!(text.contains("nightwatch_heartbeats_total 3\n"), "{text}");
        assert!(text.contains("nightwatch_is_master 1\n"), "{text}");
        assert!(text.contains("nightwatch_uptime_seconds 2.500\n"), "{text}");
        assert!(
            text.contains(r#"instance="h:\"1\"""#),
            "label escaped: {text}"
        );
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let value = line.rsplit(' ').next().unwrap();
            assert!(value.parse::<f64>().is_ok(), "bad sample line {line:?}");
        }
    }
}
