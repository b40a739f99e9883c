//! Per-source rate limits (`INGEST_AUTH.<source>.rate_per_sec`): a token bucket per source. Over the
//! limit the answer is 503 + Retry-After, never 429: Alertmanager retries only 5xx.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug, Default)]
pub struct RateLimits {
    // A std Mutex: held for a few arithmetic operations, never across an await.
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimits {
    /// Take one request's token for `source` at `rate` requests/s (burst = one second's worth).
    /// `false` when the bucket is empty.
    pub fn allow(&self, source: &str, rate: f64) -> bool {
        if rate <= 0.0 {
            return true;
        }
        let Ok(mut buckets) = self.buckets.lock() else {
            return true;
        };
        let now = Instant::now();
        let (tokens, at) = buckets
            .entry(source.to_owned())
            .or_insert((rate.max(1.0), now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(rate.max(1.0));
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_empties_then_refuses() {
        let l = RateLimits::default();
        let allowed = (0..10).filter(|_| l.allow("am", 3.0)).count();
        assert_eq!(allowed, 3, "burst of one second's worth");
        assert!(l.allow("other", 3.0), "sources are separate");
        assert!(l.allow("am", 0.0), "no limit configured");
    }
}
