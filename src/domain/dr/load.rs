//! Can the target datacenter take the source's load? Zone traffic per datacenter and the projected
//! connections of the target after a switchover.
//!
//! The rule (also in the README and `DR_DASHBOARD_CONFIG`'s description): connections grow with the
//! traffic served, so
//! - when zone traffic is known for both sides and the target already serves some (active-active),
//!   the target's connections scale with the traffic it will carry:
//!   `projected = in use on target × (traffic of source + traffic of target) / traffic of target`;
//! - otherwise (no traffic query, a side without a figure, or a standby serving none) the source's
//!   connections move over as they are: `projected = in use on target + in use on source`.
//!
//! The target cannot take the load when `projected / max_connections` of the target reaches the
//! `connections.critical` threshold. Memory and disk hold data, not load: they block readiness when
//! critical as they stand (see `assess`). Pure: no IO.

use serde::{Deserialize, Serialize};

use super::{DrModel, Traffic};

/// The traffic of datacenter `dc`: the sum of the series whose `zone` names the datacenter or its
/// zone; `None` when no series does.
pub fn dc_traffic(model: &DrModel, traffic: &[Traffic], dc: &str) -> Option<f64> {
    let d = model.datacenters.iter().find(|d| d.name == dc)?;
    let mut found = false;
    let sum = traffic
        .iter()
        .filter(|t| t.zone == d.name || t.zone == d.zone)
        .inspect(|_| found = true)
        .map(|t| t.value)
        .sum();
    found.then_some(sum)
}

/// What the target's connections would be after taking the source's load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Projection {
    pub src_used: i64,
    pub dst_used: i64,
    pub dst_max: i64,
    /// Traffic of the source and of the target, when both are known.
    pub traffic: Option<(f64, f64)>,
    /// Projected connections in use on the target.
    pub projected: f64,
}

impl Projection {
    /// Percent of the target's `max_connections`.
    pub fn percent(&self) -> f64 {
        self.projected * 100.0 / self.dst_max as f64
    }

    /// Whether the traffic-scaled rule applied (the target serves traffic already).
    pub fn scaled(&self) -> bool {
        self.traffic.is_some_and(|(_, t)| t > 0.0)
    }

    /// `connections would be 120% of 100 (40 in use × traffic (30 + 10) / 10)` or
    /// `connections would be 98% (60 + 38 of 100)`.
    pub fn describe(&self) -> String {
        let pct = self.percent();
        match self.traffic {
            Some((s, t)) if t > 0.0 => format!(
                "connections would be {pct:.0}% of {} ({} in use × traffic ({} + {}) / {})",
                self.dst_max,
                self.dst_used,
                traffic_text(s),
                traffic_text(t),
                traffic_text(t)
            ),
            _ => format!(
                "connections would be {pct:.0}% ({} + {} of {})",
                self.src_used, self.dst_used, self.dst_max
            ),
        }
    }
}

/// Project the target's connections; `None` when there is nothing to judge (the target has no
/// connection limit measured, or the source uses none).
pub fn project(
    src_used: i64,
    dst_used: i64,
    dst_max: i64,
    traffic: Option<(f64, f64)>,
) -> Option<Projection> {
    if dst_max <= 0 || src_used <= 0 {
        return None;
    }
    let projected = match traffic {
        Some((s, t)) if t > 0.0 && s >= 0.0 => dst_used as f64 * (s + t) / t,
        _ => (src_used + dst_used) as f64,
    };
    Some(Projection {
        src_used,
        dst_used,
        dst_max,
        traffic,
        projected,
    })
}

/// A traffic figure as the dashboard prints it: `1234.5` → `1.2k`, `12.25` → `12.2`, `3` → `3`.
pub fn traffic_text(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.1}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", v / 1e3)
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traffic_scales_the_target_when_it_serves_and_adds_otherwise() {
        // Active-active: 40 connections for 10 units; taking 30 more units → 160 connections.
        let p = project(90, 40, 150, Some((30.0, 10.0))).unwrap();
        assert_eq!(p.projected, 160.0);
        assert!(p.scaled());
        assert_eq!(
            p.describe(),
            "connections would be 107% of 150 (40 in use × traffic (30 + 10) / 10)"
        );
        // A standby serving nothing: the source's connections move over as they are.
        let p = project(90, 5, 150, Some((30.0, 0.0))).unwrap();
        assert_eq!(p.projected, 95.0);
        assert!(!p.scaled());
        assert_eq!(p.describe(), "connections would be 63% (90 + 5 of 150)");
        // No traffic figure: the same additive rule.
        assert_eq!(project(90, 5, 150, None).unwrap().projected, 95.0);
        // Nothing to judge.
        assert_eq!(project(0, 5, 150, None), None);
        assert_eq!(project(10, 5, 0, None), None);
    }

    #[test]
    fn traffic_figures_read_short() {
        assert_eq!(traffic_text(3.0), "3");
        assert_eq!(traffic_text(12.25), "12.2");
        assert_eq!(traffic_text(1234.5), "1234.5");
        assert_eq!(traffic_text(12_345.0), "12.3k");
        assert_eq!(traffic_text(2_500_000.0), "2.5M");
    }
}
