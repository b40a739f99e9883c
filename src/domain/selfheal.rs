//! Risk self-healing (DOMAIN.md §1): for a scenario whose handling is fixed in advance, the plan a
//! diagnosis conclusion calls for runs by itself, **under protection rules**. This module is the
//! policy and the decision; pure (the counts are given).
//!
//! Rules, in the order they are judged (the first that blocks names the decision):
//! 1. no heal for this conclusion → nothing is decided;
//! 2. never G3; G2 only when the policy allows it;
//! 3. the global switch (`SELF_HEALING_ENABLED`, off by default) — in shadow mode the decision is
//!    recorded whatever the switch says, and nothing runs;
//! 4. the policy halted after `halt_after` consecutive failures;
//! 5. a change-freeze window;
//! 6. the fault key's cooldown;
//! 7. rate limits: per fault key and target per hour, per scenario per hour, global per hour;
//! 8. at most `max_concurrent` self-heals of the scenario at once.
//!
//! A fault key is `scenario:conclusion:target`: a storm of alerts for one fault diagnoses to the
//! same key, so the cooldown lets one heal through and records the rest as skipped by it.

use serde::{Deserialize, Serialize};

use crate::domain::Danger;

/// Whether the policy acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Decide and record what would have run; run nothing (the default for a new policy).
    #[default]
    Shadow,
    /// Run the plan (when every rule allows it).
    On,
}

/// Which plan a conclusion calls for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Heal {
    /// A conclusion of the scenario's tree.
    pub conclusion: String,
    /// The plan to run; its parameters are the conclusion's.
    pub plan: String,
}

/// A change-freeze window, UTC: `days` (empty: every day; 0 = Monday … 6 = Sunday) from
/// `start_min` to `end_min` (minutes of the day; `end < start` wraps past midnight).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub text: String,
    pub days: Vec<u8>,
    pub start_min: u32,
    pub end_min: u32,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Window {
    /// `"22:00-06:00"`, `"sat,sun 00:00-24:00"`, `"fri 18:00-23:59"` (UTC).
    pub fn parse(text: &str) -> Result<Window, String> {
        let t = text.trim();
        let (days, span) = match t.rsplit_once(' ') {
            Some((d, s)) => (d.trim(), s.trim()),
            None => ("", t),
        };
        let days = if days.is_empty() {
            Vec::new()
        } else {
            days.split(',')
                .map(|d| {
                    let d = d.trim().to_ascii_lowercase();
                    DAYS.iter()
                        .position(|x| d.starts_with(x))
                        .and_then(|i| u8::try_from(i).ok())
                        .ok_or_else(|| format!("{d:?} is not a day: give mon … sun"))
                })
                .collect::<Result<_, _>>()?
        };
        let (a, b) = span.split_once('-').ok_or_else(|| {
            format!("{t:?}: give HH:MM-HH:MM (UTC), optionally after days: \"sat,sun 00:00-24:00\"")
        })?;
        let minutes = |s: &str| -> Result<u32, String> {
            let (h, m) = s
                .trim()
                .split_once(':')
                .ok_or_else(|| format!("{s:?} is not HH:MM"))?;
            let (h, m): (u32, u32) = (
                h.parse().map_err(|_| format!("{s:?} is not HH:MM"))?,
                m.parse().map_err(|_| format!("{s:?} is not HH:MM"))?,
            );
            if m > 59 || h > 24 || (h == 24 && m > 0) {
                return Err(format!("{s:?} is not a time of day"));
            }
            Ok(h * 60 + m)
        };
        Ok(Window {
            text: t.to_owned(),
            days,
            start_min: minutes(a)?,
            end_min: minutes(b)?,
        })
    }

    /// Whether `at_ms` (UTC) falls in the window.
    pub fn contains(&self, at_ms: i64) -> bool {
        let minutes = at_ms.div_euclid(60_000);
        let minute_of_day = u32::try_from(minutes.rem_euclid(1_440)).unwrap_or(0);
        // 1970-01-01 was a Thursday (3).
        let day = u8::try_from((minutes.div_euclid(1_440) + 3).rem_euclid(7)).unwrap_or(0);
        let prev = (day + 6) % 7;
        let on = |d: u8| self.days.is_empty() || self.days.contains(&d);
        if self.start_min <= self.end_min {
            on(day) && minute_of_day >= self.start_min && minute_of_day < self.end_min
        } else {
            (on(day) && minute_of_day >= self.start_min)
                || (on(prev) && minute_of_day < self.end_min)
        }
    }
}

/// A scenario's self-heal policy, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub mode: Mode,
    pub heal: Vec<Heal>,
    /// G2 plans may run (G3 never does).
    pub allow_g2: bool,
    /// No second heal for one fault key within this long (ms).
    pub cooldown_ms: i64,
    pub max_per_target_hour: u32,
    pub max_per_scenario_hour: u32,
    pub max_concurrent: u32,
    pub freeze: Vec<Window>,
    /// Consecutive failed (escalated) heals that halt the policy.
    pub halt_after: u32,
    /// The event must resolve within this long after the plan finished (ms), else escalate.
    pub verify_ms: i64,
}

impl Policy {
    /// The plan for `conclusion`, if the policy heals it.
    pub fn plan_for(&self, conclusion: &str) -> Option<&str> {
        self.heal
            .iter()
            .find(|h| h.conclusion == conclusion)
            .map(|h| h.plan.as_str())
    }
}

/// What the decision knows besides the policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub switch_on: bool,
    pub danger: Option<Danger>,
    pub halted: bool,
    pub now: i64,
    /// When this fault key last healed.
    pub last_for_key: Option<i64>,
    /// Heals that ran in the last hour: of this fault key, of the scenario, of every scenario.
    pub key_last_hour: u32,
    pub scenario_last_hour: u32,
    pub global_last_hour: u32,
    pub global_max_hour: u32,
    /// Heals of the scenario still running.
    pub running: u32,
}

/// Why a heal did not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocked {
    NeverG3,
    G2NotAllowed,
    SwitchOff,
    Halted,
    Freeze(String),
    Cooldown(i64),
    KeyRate(u32),
    ScenarioRate(u32),
    GlobalRate(u32),
    Concurrency(u32),
}

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Blocked::NeverG3 => write!(f, "never-g3: the plan is G3, which never runs by itself"),
            Blocked::G2NotAllowed => write!(
                f,
                "g2-not-allowed: the plan is G2 and the policy does not allow G2 (allow_g2)"
            ),
            Blocked::SwitchOff => write!(f, "switch-off: SELF_HEALING_ENABLED is off"),
            Blocked::Halted => write!(
                f,
                "halted: the policy stopped after consecutive failures (nightwatch selfheal resume)"
            ),
            Blocked::Freeze(w) => write!(f, "freeze: inside the change-freeze window {w} (UTC)"),
            Blocked::Cooldown(ms) => write!(
                f,
                "cooldown: this fault healed less than {} s ago",
                ms / 1000
            ),
            Blocked::KeyRate(n) => write!(
                f,
                "rate-target: {n} heal(s) of this fault and target in the last hour"
            ),
            Blocked::ScenarioRate(n) => write!(
                f,
                "rate-scenario: {n} heal(s) of this scenario in the last hour"
            ),
            Blocked::GlobalRate(n) => write!(
                f,
                "rate-global: {n} heal(s) in the last hour (SELF_HEALING_MAX_PER_HOUR)"
            ),
            Blocked::Concurrency(n) => {
                write!(f, "concurrency: {n} heal(s) of this scenario still running")
            }
        }
    }
}

impl Blocked {
    /// The rule's short name (`cooldown`, `never-g3`, …).
    pub fn rule(&self) -> String {
        self.to_string()
            .split(':')
            .next()
            .unwrap_or_default()
            .to_owned()
    }
}

/// The decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Run,
    /// Shadow mode: what would have happened (`None`: it would have run).
    Shadow(Option<Blocked>),
    Skip(Blocked),
}

impl Decision {
    /// `ran`, `shadow` or `skipped`, as stored.
    pub fn as_str(&self) -> &'static str {
        match self {
            Decision::Run => "ran",
            Decision::Shadow(_) => "shadow",
            Decision::Skip(_) => "skipped",
        }
    }
}

/// Judge the rules in order.
pub fn decide(p: &Policy, f: &Facts) -> Decision {
    let blocked = blocked(p, f);
    match (p.mode, blocked) {
        (Mode::Shadow, b) => Decision::Shadow(b),
        (Mode::On, Some(b)) => Decision::Skip(b),
        (Mode::On, None) => Decision::Run,
    }
}

fn blocked(p: &Policy, f: &Facts) -> Option<Blocked> {
    match f.danger {
        Some(Danger::G3) | None => return Some(Blocked::NeverG3),
        Some(Danger::G2) if !p.allow_g2 => return Some(Blocked::G2NotAllowed),
        _ => {}
    }
    if !f.switch_on && p.mode == Mode::On {
        return Some(Blocked::SwitchOff);
    }
    if f.halted {
        return Some(Blocked::Halted);
    }
    if let Some(w) = p.freeze.iter().find(|w| w.contains(f.now)) {
        return Some(Blocked::Freeze(w.text.clone()));
    }
    if let Some(last) = f.last_for_key
        && f.now - last < p.cooldown_ms
    {
        return Some(Blocked::Cooldown(p.cooldown_ms));
    }
    if f.key_last_hour >= p.max_per_target_hour {
        return Some(Blocked::KeyRate(f.key_last_hour));
    }
    if f.scenario_last_hour >= p.max_per_scenario_hour {
        return Some(Blocked::ScenarioRate(f.scenario_last_hour));
    }
    if f.global_last_hour >= f.global_max_hour {
        return Some(Blocked::GlobalRate(f.global_last_hour));
    }
    if f.running >= p.max_concurrent {
        return Some(Blocked::Concurrency(f.running));
    }
    None
}

#[cfg(test)]
mod tests;
