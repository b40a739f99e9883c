//! Windows and thresholds: a rule × target is judged over successive observations. A condition
//! must fail `failure_threshold` times in a row AND for at least `window` ("CPU > 80 % for 5
//! minutes", "3 times in a row") before the check fires; it clears after `success_threshold`
//! passes in a row.

use serde::{Deserialize, Serialize};

/// How a check turns observations into a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    /// The condition must have been failing for this long (ms); 0: no window.
    pub window_ms: i64,
    /// Failures in a row before firing (at least 1).
    pub failure_threshold: u32,
    /// Passes in a row before a firing check clears (at least 1).
    pub success_threshold: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            window_ms: 0,
            failure_threshold: 1,
            success_threshold: 1,
        }
    }
}

/// The remembered state of one rule × target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Track {
    pub consecutive_failures: u32,
    pub consecutive_successes: u32,
    /// When the current run of failures began (epoch ms).
    pub failing_since: Option<i64>,
    /// The check is over its thresholds (a risk event is open for it).
    pub firing: bool,
    /// Why the target's host could not be reached, from the last observation that could not
    /// reach it; cleared by the next one that measured (the component's last connection error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreachable: Option<String>,
}

/// The verdict of one observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    /// Failing, but not yet for long enough / often enough to fire (or clearing, not yet cleared).
    Warn,
    Fail,
    /// The probe itself failed (timeout, bad answer, configuration): counts as a failure for
    /// firing.
    Error,
    /// "cannot reach host": the probe runs on the target's host and could not get there over SSH
    /// (refused, timed out, host key unknown or changed, authentication failed). Not a failed
    /// check: nothing was measured. Counts as a failure for firing, like an error. Stored as
    /// `unreach` (it fits the 8-character verdict column of every dialect).
    #[serde(rename = "unreach")]
    Unreachable,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
            Verdict::Unreachable => "unreach",
        }
    }
}

impl Track {
    /// Record one observation at `now`: `Some(holds)` from the condition, `None` when the probe
    /// failed. Returns the verdict.
    pub fn observe(&mut self, now: i64, holds: Option<bool>, th: &Thresholds) -> Verdict {
        if holds.is_some() {
            self.unreachable = None;
        }
        if holds == Some(true) {
            self.consecutive_failures = 0;
            self.failing_since = None;
            self.consecutive_successes += 1;
            if self.firing && self.consecutive_successes >= th.success_threshold.max(1) {
                self.firing = false;
            }
            return if self.firing {
                Verdict::Warn
            } else {
                Verdict::Pass
            };
        }
        self.consecutive_successes = 0;
        self.consecutive_failures += 1;
        let since = *self.failing_since.get_or_insert(now);
        if self.consecutive_failures >= th.failure_threshold.max(1) && now - since >= th.window_ms {
            self.firing = true;
        }
        match (holds, self.firing) {
            (None, _) => Verdict::Error,
            (_, true) => Verdict::Fail,
            _ => Verdict::Warn,
        }
    }

    /// Record at `now` that the probe could not reach the target's host (`why`, kept as the last
    /// connection error until an observation measures again). Counts as a failure for firing.
    pub fn observe_unreachable(&mut self, now: i64, why: &str, th: &Thresholds) -> Verdict {
        self.observe(now, None, th);
        let why: String = why.chars().take(MAX_REACH_ERROR).collect();
        self.unreachable = Some(why);
        Verdict::Unreachable
    }
}

/// The longest connection error a track keeps (characters).
pub const MAX_REACH_ERROR: usize = 500;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_only_after_the_window() {
        // CPU > 80 % for 5 minutes, sampled every minute.
        let th = Thresholds {
            window_ms: 300_000,
            ..Thresholds::default()
        };
        let mut t = Track::default();
        let verdicts: Vec<Verdict> = (0..=6)
            .map(|m| t.observe(m * 60_000, Some(false), &th))
            .collect();
        assert_eq!(
            &verdicts[..5],
            &[Verdict::Warn; 5],
            "minutes 0..4: not yet 5 minutes"
        );
        assert_eq!(
            verdicts[5],
            Verdict::Fail,
            "minute 5: failing for 5 minutes"
        );
        assert!(t.firing);
        assert_eq!(t.observe(7 * 60_000, Some(true), &th), Verdict::Pass);
        assert!(!t.firing);
    }

    #[test]
    fn a_pass_resets_the_window() {
        let th = Thresholds {
            window_ms: 300_000,
            ..Thresholds::default()
        };
        let mut t = Track::default();
        for m in 0..4 {
            t.observe(m * 60_000, Some(false), &th);
        }
        t.observe(4 * 60_000, Some(true), &th);
        assert_eq!(
            t.observe(6 * 60_000, Some(false), &th),
            Verdict::Warn,
            "window starts again"
        );
    }

    #[test]
    fn three_times_in_a_row() {
        let th = Thresholds {
            failure_threshold: 3,
            success_threshold: 2,
            window_ms: 0,
        };
        let mut t = Track::default();
        assert_eq!(t.observe(0, Some(false), &th), Verdict::Warn);
        assert_eq!(
            t.observe(1, None, &th),
            Verdict::Error,
            "a probe error counts as a failure"
        );
        assert_eq!(t.observe(2, Some(false), &th), Verdict::Fail);
        assert_eq!(
            t.observe(3, Some(true), &th),
            Verdict::Warn,
            "clearing needs 2 passes"
        );
        assert_eq!(t.observe(4, Some(true), &th), Verdict::Pass);
    }

    #[test]
    fn an_unreachable_host_is_its_own_verdict_and_is_remembered_until_measured() {
        let th = Thresholds {
            failure_threshold: 2,
            ..Thresholds::default()
        };
        let mut t = Track::default();
        assert_eq!(
            t.observe_unreachable(0, "ops@10.0.0.5:22: Connection refused", &th),
            Verdict::Unreachable
        );
        assert!(!t.firing, "one failure of two");
        assert_eq!(
            t.observe_unreachable(1, "ops@10.0.0.5:22: Connection refused", &th),
            Verdict::Unreachable,
            "still its own verdict once firing"
        );
        assert!(t.firing, "an unreachable host fires like an error");
        let text = serde_json::to_string(&t).unwrap();
        let back: Track = serde_json::from_str(&text).unwrap();
        assert_eq!(back, t);
        assert!(text.contains("Connection refused"), "{text}");
        assert_eq!(t.observe(2, None, &th), Verdict::Error);
        assert!(t.unreachable.is_some(), "an error measured nothing either");
        assert_eq!(t.observe(3, Some(false), &th), Verdict::Fail);
        assert_eq!(t.unreachable, None, "a measurement clears it");
        let old: Track = serde_json::from_str(
            r#"{"consecutive_failures":0,"consecutive_successes":1,"failing_since":null,"firing":false}"#,
        )
        .unwrap();
        assert_eq!(old.unreachable, None, "tracks stored before it read");
        assert_eq!(
            serde_json::to_value(Verdict::Unreachable).unwrap(),
            Verdict::Unreachable.as_str()
        );
    }
}
