//! Switchover readiness of one direction (`dc-a → dc-b`): every reason that blocks it, in words,
//! and the estimated RTO from the DR plans' step timings. Recomputed by the engine on every
//! collection; pure, so each rule is unit-tested here.

use serde::{Deserialize, Serialize};

use super::load::{Projection, dc_traffic, project};
use super::sample::secs_text;
use super::{DrModel, LevelKind, LinkSample, Severity, Thresholds, Traffic, WaterLevel};
use crate::domain::Component;
use crate::domain::event::Level;

/// A switchover direction: away from the faulty datacenter `from`, onto the available `to`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Direction {
    pub from: String,
    pub to: String,
}

impl Direction {
    pub fn new(from: &str, to: &str) -> Direction {
        Direction {
            from: from.to_owned(),
            to: to.to_owned(),
        }
    }

    /// `dc-a→dc-b`, the key a verdict is stored under.
    pub fn key(&self) -> String {
        format!("{}→{}", self.from, self.to)
    }
}

/// How long a DR plan is expected to take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStats {
    pub plan: String,
    /// Estimated duration, ms.
    pub est_ms: i64,
    /// Where the estimate comes from: `3 earlier runs` or `step timeouts`.
    pub basis: String,
}

/// What readiness is judged from.
#[derive(Debug, Clone, Copy)]
pub struct ReadinessInput<'a> {
    pub model: &'a DrModel,
    pub components: &'a [Component],
    /// Open (or acked) events: (component, level, title).
    pub events: &'a [(String, Level, String)],
    /// The latest sample of each link.
    pub links: &'a [LinkSample],
    /// The latest water level of each component × kind.
    pub levels: &'a [WaterLevel],
    pub thresholds: &'a Thresholds,
    /// The latest traffic per zone (empty when no traffic query is configured).
    pub traffic: &'a [Traffic],
    /// Stored plans that validate, with their estimate.
    pub plans: &'a [RunStats],
    /// Plan runs not yet finished: (plan, run id).
    pub running: &'a [(String, i64)],
}

/// The verdict for one direction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Readiness {
    pub from: String,
    pub to: String,
    pub ready: bool,
    /// Every blocking reason, in words; empty when ready.
    pub reasons: Vec<String>,
    /// The longest estimated RTO of the direction's DR plans, ms.
    pub est_rto_ms: Option<i64>,
    /// The tightest RTO target of the systems concerned, ms.
    pub rto_ms: Option<i64>,
    pub at: i64,
    /// Traffic of the source and of the target datacenter, when the traffic query gives both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic: Option<(f64, f64)>,
    /// The target's connections after taking the source's load (see `load`), when judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<Projection>,
}

impl Readiness {
    /// `ready` or `not ready: reason; reason`.
    pub fn verdict(&self) -> String {
        if self.ready {
            "ready".to_owned()
        } else {
            format!("not ready: {}", self.reasons.join("; "))
        }
    }
}

impl DrModel {
    /// The datacenter a component is in: its `zone` names the datacenter or the datacenter's zone.
    pub fn dc_of(&self, c: &Component) -> Option<&str> {
        self.datacenters
            .iter()
            .find(|d| d.name == c.zone || d.zone == c.zone)
            .map(|d| d.name.as_str())
    }
}

/// Judge `dir` at `now`.
pub fn assess(dir: &Direction, input: &ReadinessInput<'_>, now: i64) -> Readiness {
    let m = input.model;
    let mut reasons = Vec::new();
    let dc = |name: &str| -> Option<&str> {
        input
            .components
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| m.dc_of(c))
    };
    for d in [&dir.from, &dir.to] {
        if !m.datacenters.iter().any(|x| &x.name == d) {
            reasons.push(format!("datacenter {d} is not described"));
        }
    }
    // The target's layers: no open P0/P1 on its components.
    let mut in_target: Vec<&Component> = input
        .components
        .iter()
        .filter(|c| m.dc_of(c) == Some(dir.to.as_str()))
        .collect();
    in_target.sort_by_key(|c| (c.layer as u8, c.name.clone()));
    for c in &in_target {
        for (_, level, title) in input
            .events
            .iter()
            .filter(|(comp, l, _)| comp == &c.name && l.is_urgent())
        {
            reasons.push(format!(
                "{} {} layer: {} has an open {} event \"{title}\"",
                dir.to,
                c.layer,
                c.name,
                level.as_str()
            ));
        }
    }
    // Every link into the target runs within its RPO.
    for l in m.links.iter().filter(|l| dc(&l.target) == Some(&dir.to)) {
        let from = dc(&l.source).unwrap_or("?");
        let what = match input.links.iter().find(|s| s.link == l.name) {
            None => Some("not measured yet".to_owned()),
            Some(s) => s.breach(l.rpo_ms),
        };
        if let Some(w) = what {
            reasons.push(format!("link {} {from}→{} {w}", l.name, dir.to));
        }
    }
    // The target's water levels: none critical, and its connections can take the source's too.
    for w in input
        .levels
        .iter()
        .filter(|w| dc(&w.component) == Some(&dir.to))
    {
        if w.severity(input.thresholds) == Severity::Critical {
            reasons.push(format!("water level {} is critical", w.describe()));
        }
    }
    let sum = |dcname: &str, kind: LevelKind| -> (i64, i64) {
        input
            .levels
            .iter()
            .filter(|w| w.kind == kind && dc(&w.component) == Some(dcname))
            .fold((0, 0), |(u, mx), w| (u + w.used, mx + w.max))
    };
    let (src_used, _) = sum(&dir.from, LevelKind::Connections);
    let (dst_used, dst_max) = sum(&dir.to, LevelKind::Connections);
    let traffic =
        dc_traffic(m, input.traffic, &dir.from).zip(dc_traffic(m, input.traffic, &dir.to));
    let load = project(src_used, dst_used, dst_max, traffic);
    if let Some(p) = load.as_ref()
        && p.percent() >= input.thresholds.connections.critical
    {
        reasons.push(format!(
            "{} cannot take {}'s load: {}",
            dir.to,
            dir.from,
            p.describe()
        ));
    }
    // The DR plans: present, valid, not already running; the estimated RTO within target.
    let systems: Vec<_> = m
        .systems
        .iter()
        .filter(|s| s.datacenters.contains(&dir.from) && s.datacenters.contains(&dir.to))
        .collect();
    if systems.is_empty() {
        reasons.push(format!("no DR system spans {} and {}", dir.from, dir.to));
    }
    let dr_plans: Vec<&str> = m
        .systems
        .iter()
        .flat_map(|s| s.plans.iter().map(|p| p.plan.as_str()))
        .collect();
    for (plan, id) in input.running {
        if dr_plans.contains(&plan.as_str()) {
            reasons.push(format!("DR plan {plan} is already running (run #{id})"));
        }
    }
    let mut est_rto_ms: Option<i64> = None;
    let mut rto_ms: Option<i64> = None;
    for s in &systems {
        rto_ms = Some(rto_ms.map_or(s.rto_ms, |r: i64| r.min(s.rto_ms)));
        let Some(p) = s.plan_for(&dir.from, &dir.to) else {
            reasons.push(format!(
                "system {} has no DR plan for {}→{}",
                s.name, dir.from, dir.to
            ));
            continue;
        };
        let Some(stats) = input.plans.iter().find(|x| x.plan == p.plan) else {
            reasons.push(format!(
                "DR plan {} of system {} is not stored or does not validate",
                p.plan, s.name
            ));
            continue;
        };
        est_rto_ms = Some(est_rto_ms.map_or(stats.est_ms, |e: i64| e.max(stats.est_ms)));
        if stats.est_ms > s.rto_ms {
            reasons.push(format!(
                "system {}: estimated RTO {} ({}) > RTO {}",
                s.name,
                secs_text(stats.est_ms),
                stats.basis,
                secs_text(s.rto_ms)
            ));
        }
    }
    Readiness {
        from: dir.from.clone(),
        to: dir.to.clone(),
        ready: reasons.is_empty(),
        reasons,
        est_rto_ms,
        rto_ms,
        at: now,
        traffic,
        load,
    }
}

#[cfg(test)]
mod tests;
