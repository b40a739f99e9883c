//! The notifier's counters, and their lines for `GET /metrics` (Prometheus text format).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// Written by the notifier task, read by the HTTP handler (atomics: no lock).
#[derive(Debug, Default)]
pub struct NotifyMetrics {
    /// Notifications delivered.
    pub sent: AtomicU64,
    /// Attempts that failed and will be retried.
    pub retried: AtomicU64,
    /// Notifications given up on (`failed` rows).
    pub failed: AtomicU64,
}

impl NotifyMetrics {
    /// Append the exposition lines of these counters to `out`.
    pub fn render_into(&self, out: &mut String) {
        let samples = [
            (
                "nightwatch_notifications_sent_total",
                "Notifications delivered by this engine.",
                &self.sent,
            ),
            (
                "nightwatch_notification_retries_total",
                "Failed notification attempts that will be retried.",
                &self.retried,
            ),
            (
                "nightwatch_notifications_failed_total",
                "Notifications this engine gave up on.",
                &self.failed,
            ),
        ];
        for (name, help, v) in samples {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                v.load(Ordering::Relaxed)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters() {
        let m = NotifyMetrics::default();
        m.sent.store(2, Ordering::Relaxed);
        let mut out = String::new();
        m.render_into(&mut out);
        assert!(
            out.contains("\nnightwatch_notifications_sent_total 2\n"),
            "{out}"
        );
        assert_eq!(out.lines().filter(|l| !l.starts_with('#')).count(), 3);
    }
}
