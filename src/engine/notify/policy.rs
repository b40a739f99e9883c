//! How the notifier paces itself: batch size, lease, HTTP timeout and the retry backoff. Pure
//! values and arithmetic; no IO.

use std::time::Duration;

/// When to retry a failed delivery: `base · 2^(failures − 1)`, capped, and never after
/// `max_attempts` attempts in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    /// Attempts in all (the first one included) before a row is marked `failed`.
    pub max_attempts: i64,
}

impl Default for Backoff {
    /// 5 s, 10 s, 20 s … capped at 10 min; 10 attempts (about 30 min of trying in all).
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(5),
            cap: Duration::from_secs(600),
            max_attempts: 10,
        }
    }
}

impl Backoff {
    /// The next try (epoch ms) after the `failures`-th failed attempt, or `None` to give up.
    pub fn next_try(&self, failures: i64, now: i64) -> Option<i64> {
        if failures >= self.max_attempts {
            return None;
        }
        let exp = u32::try_from((failures - 1).clamp(0, 30)).unwrap_or(30);
        let base = i64::try_from(self.base.as_millis()).unwrap_or(i64::MAX);
        let cap = i64::try_from(self.cap.as_millis()).unwrap_or(i64::MAX);
        Some(now.saturating_add(base.saturating_mul(1_i64 << exp).min(cap)))
    }
}

/// The notifier's knobs. The defaults are what engines run with; tests shorten them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// How often the outbox is polled when nobody wakes the notifier.
    pub tick: Duration,
    /// Rows claimed per round.
    pub batch: i64,
    /// Deliveries in flight at once within a round (one slow receiver must not hold up others).
    pub concurrency: usize,
    /// Per request, connection included.
    pub timeout: Duration,
    /// How long a claim lasts. It must outlast a whole round (`batch / concurrency` waves of
    /// `timeout`), or another engine may take a row over and send it a second time.
    pub lease: Duration,
    pub backoff: Backoff,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            tick: Duration::from_secs(1),
            batch: 32,
            concurrency: 8,
            timeout: Duration::from_secs(10),
            // 32 / 8 = 4 waves of at most 10 s: 40 s; three times that for slow databases.
            lease: Duration::from_secs(120),
            backoff: Backoff::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_and_gives_up() {
        let b = Backoff::default();
        assert_eq!(b.next_try(1, 1_000), Some(6_000));
        assert_eq!(b.next_try(2, 1_000), Some(11_000));
        assert_eq!(b.next_try(4, 0), Some(40_000));
        assert_eq!(b.next_try(9, 0), Some(600_000), "capped at 10 min");
        assert_eq!(b.next_try(10, 0), None, "10 attempts in all");
        let huge = Backoff {
            max_attempts: i64::MAX,
            ..b
        };
        assert_eq!(huge.next_try(1_000, 0), Some(600_000), "no overflow");
    }

    #[test]
    fn default_lease_outlasts_a_round() {
        let o = Options::default();
        let waves = u32::try_from(o.batch)
            .unwrap()
            .div_ceil(u32::try_from(o.concurrency).unwrap());
        assert!(o.lease > o.timeout * waves);
    }
}
