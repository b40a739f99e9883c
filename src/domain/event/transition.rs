//! How an incoming alert changes the event it belongs to: dedup, resolve, reopen, flapping,
//! suppression by the filters, and operator re-grades that the source must not undo.

use super::{Incoming, Level, Status};

/// A state change flipping this many times within [`FLAP_WINDOW_MS`] marks the event flapping.
pub const FLAP_THRESHOLD: i64 = 4;
/// One hour.
pub const FLAP_WINDOW_MS: i64 = 3_600_000;

/// What is known of the stored event before the alert is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prior {
    pub status: Status,
    pub firing: bool,
    pub level: Level,
    pub original_level: Level,
    pub count: i64,
    pub flips: i64,
    pub flip_window_start: i64,
    pub flapping: bool,
    pub first_seen: i64,
}

/// The event's state after the alert, plus the timeline entries it produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub status: Status,
    pub firing: bool,
    pub level: Level,
    pub original_level: Level,
    pub count: i64,
    pub flips: i64,
    pub flip_window_start: i64,
    pub flapping: bool,
    pub first_seen: i64,
    /// (kind, message) for `event_log`.
    pub log: Vec<(&'static str, String)>,
    /// A new, visible, firing event (or one re-opened): worth a notification and the bell.
    pub alerting: bool,
    /// The source resolved a visible event.
    pub resolved: bool,
}

impl Transition {
    /// The state after this transition, as the `Prior` of the next alert (a repeat within one
    /// batch folds onto it).
    pub fn prior(&self) -> Prior {
        Prior {
            status: self.status,
            firing: self.firing,
            level: self.level,
            original_level: self.original_level,
            count: self.count,
            flips: self.flips,
            flip_window_start: self.flip_window_start,
            flapping: self.flapping,
            first_seen: self.first_seen,
        }
    }
}

/// Apply `inc` (at `now`) to `prior` (`None` for a new event). `keep` is the verdict of the
/// `dsTypeMap` / `riskLevelMap` filters.
pub fn apply(prior: Option<&Prior>, inc: &Incoming, keep: bool, now: i64) -> Transition {
    let Some(p) = prior else {
        let status = match (keep, inc.firing) {
            (false, _) => Status::Suppressed,
            (true, true) => Status::Open,
            (true, false) => Status::Resolved,
        };
        let kind = if keep { "received" } else { "suppressed" };
        let why = if keep {
            String::new()
        } else {
            " (filtered by RISK_DASHBOARD_CONFIG)".to_owned()
        };
        let state = if inc.firing { "firing" } else { "resolved" };
        return Transition {
            status,
            firing: inc.firing,
            level: inc.level,
            original_level: inc.level,
            count: 1,
            flips: 0,
            flip_window_start: now,
            flapping: false,
            first_seen: inc.starts_at.min(now).max(0),
            log: vec![(
                kind,
                format!("{} {state} from {}{why}", inc.level.as_str(), inc.source),
            )],
            alerting: keep && inc.firing,
            resolved: false,
        };
    };
    let mut t = Transition {
        status: p.status,
        firing: inc.firing,
        // An operator's re-grade stands; otherwise follow the source.
        level: if p.level == p.original_level {
            inc.level
        } else {
            p.level
        },
        original_level: inc.level,
        // `count` counts occurrences: a resolved notification (Alertmanager sends one per
        // resolved alert) ends one, it is not another.
        count: if inc.firing { p.count + 1 } else { p.count },
        flips: p.flips,
        flip_window_start: p.flip_window_start,
        flapping: p.flapping,
        first_seen: p.first_seen,
        log: Vec::new(),
        alerting: false,
        resolved: false,
    };
    if p.firing != inc.firing {
        if now - p.flip_window_start > FLAP_WINDOW_MS {
            t.flips = 1;
            t.flip_window_start = now;
        } else {
            t.flips += 1;
        }
        if !t.flapping && t.flips >= FLAP_THRESHOLD {
            t.flapping = true;
            t.log.push((
                "flapping",
                format!("{} state changes within an hour", t.flips),
            ));
        }
    } else if t.flapping && now - p.flip_window_start > FLAP_WINDOW_MS {
        t.flapping = false;
    }
    let visible = p.status != Status::Suppressed;
    match (p.firing, inc.firing) {
        (false, true) if matches!(p.status, Status::Resolved | Status::Closed) => {
            t.status = Status::Open;
            t.alerting = true;
            t.log
                .push(("reopened", format!("firing again from {}", inc.source)));
        }
        (true, false) if matches!(p.status, Status::Open | Status::Acked) => {
            t.status = Status::Resolved;
            t.resolved = true;
            t.log
                .push(("resolved", format!("resolved by {}", inc.source)));
        }
        (true, true) if visible && (t.count == 2 || is_power_of_ten(t.count)) => {
            // A timeline entry per repeat would flood it: log the 2nd, 10th, 100th, … only.
            t.log.push(("repeated", format!("seen {} times", t.count)));
        }
        _ => {}
    }
    if t.level != p.level {
        t.log.push((
            "regraded",
            format!(
                "{} → {} by {}",
                p.level.as_str(),
                t.level.as_str(),
                inc.source
            ),
        ));
    }
    t
}

fn is_power_of_ten(mut n: i64) -> bool {
    if n < 10 {
        return false;
    }
    while n % 10 == 0 {
        n /= 10;
    }
    n == 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn inc(firing: bool, level: Level) -> Incoming {
        Incoming {
            fingerprint: "f".into(),
            source: "alertmanager".into(),
            ds_type: "STACK#rds".into(),
            level,
            title: "t".into(),
            summary: String::new(),
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            component: String::new(),
            firing,
            starts_at: 100,
            source_url: String::new(),
        }
    }

    #[test]
    fn new_firing_alert_opens_and_alerts() {
        let t = apply(None, &inc(true, Level::P1), true, 1_000);
        assert_eq!((t.status, t.count, t.first_seen), (Status::Open, 1, 100));
        assert!(t.alerting);
        assert_eq!(t.log[0].0, "received");
    }

    #[test]
    fn filtered_alert_is_kept_suppressed_not_dropped() {
        let t = apply(None, &inc(true, Level::P3), false, 1_000);
        assert_eq!(t.status, Status::Suppressed);
        assert!(!t.alerting);
        assert_eq!(t.log[0].0, "suppressed");
        let r = apply(Some(&t.prior()), &inc(false, Level::P3), false, 2_000);
        assert_eq!(
            r.status,
            Status::Suppressed,
            "a suppressed event stays suppressed"
        );
        assert!(!r.resolved);
    }

    #[test]
    fn repeat_counts_and_resolve_then_reopen() {
        let a = apply(None, &inc(true, Level::P1), true, 1_000);
        let b = apply(Some(&a.prior()), &inc(true, Level::P1), true, 2_000);
        assert_eq!((b.status, b.count), (Status::Open, 2));
        assert_eq!(b.log[0].0, "repeated");
        let c = apply(Some(&b.prior()), &inc(false, Level::P1), true, 3_000);
        assert_eq!(c.status, Status::Resolved);
        assert!(c.resolved);
        assert_eq!(
            c.count, 2,
            "a resolved notification is not another occurrence"
        );
        let again = apply(Some(&c.prior()), &inc(false, Level::P1), true, 3_500);
        assert_eq!(
            (again.count, again.log.len()),
            (2, 0),
            "a repeated resolve adds nothing"
        );
        let d = apply(Some(&c.prior()), &inc(true, Level::P1), true, 4_000);
        assert_eq!(d.status, Status::Open);
        assert!(d.alerting);
        assert_eq!(d.log[0].0, "reopened");
    }

    #[test]
    fn acked_event_resolves_but_closed_stays_closed_until_it_fires_again() {
        let a = apply(None, &inc(true, Level::P0), true, 0);
        let acked = Prior {
            status: Status::Acked,
            ..a.prior()
        };
        assert_eq!(
            apply(Some(&acked), &inc(false, Level::P0), true, 1).status,
            Status::Resolved
        );
        let closed = Prior {
            status: Status::Closed,
            firing: false,
            ..a.prior()
        };
        assert_eq!(
            apply(Some(&closed), &inc(false, Level::P0), true, 1).status,
            Status::Closed
        );
        assert_eq!(
            apply(Some(&closed), &inc(true, Level::P0), true, 1).status,
            Status::Open
        );
    }

    #[test]
    fn flipping_often_marks_flapping() {
        let mut t = apply(None, &inc(true, Level::P1), true, 0);
        for i in 1..=FLAP_THRESHOLD {
            t = apply(
                Some(&t.prior()),
                &inc(i % 2 == 0, Level::P1),
                true,
                i * 1_000,
            );
        }
        assert!(t.flapping);
        assert!(t.log.iter().any(|(k, _)| *k == "flapping"));
        // A flip after a quiet hour starts a new window.
        let later = apply(
            Some(&t.prior()),
            &inc(!t.firing, Level::P1),
            true,
            10 * FLAP_WINDOW_MS,
        );
        assert_eq!(later.flips, 1);
    }

    #[test]
    fn operator_regrade_survives_source_repeats() {
        let a = apply(None, &inc(true, Level::P2), true, 0);
        let regraded = Prior {
            level: Level::P0,
            ..a.prior()
        };
        let b = apply(Some(&regraded), &inc(true, Level::P2), true, 1);
        assert_eq!(b.level, Level::P0);
        let c = apply(Some(&a.prior()), &inc(true, Level::P1), true, 1);
        assert_eq!(
            c.level,
            Level::P1,
            "without a re-grade the source's level wins"
        );
        assert!(c.log.iter().any(|(k, _)| *k == "regraded"));
    }

    #[test]
    fn repeats_are_logged_sparsely() {
        assert!(is_power_of_ten(10) && is_power_of_ten(1000));
        assert!(!is_power_of_ten(20) && !is_power_of_ten(1) && !is_power_of_ten(11));
    }
}
