//! Risk scenarios (DOMAIN.md §1): event matchers → recommended plans + business impact. The event
//! detail shows the ranked recommendations; launching one fills the plan's parameters from the
//! event (`{{event.labels.KEY}}` templates, or literals).
//!
//! Ranking: a matcher's **specificity** counts 2 for each exact condition (`source`, `ds_type`,
//! `component`, `title_contains`, each exact label) and 1 for each loose one (each `/regex/`
//! label, a `level` list). A recommendation scores `specificity × 100 + weight` (weight 0–99,
//! default 50), so a more specific scenario always ranks first and the weight orders plans within
//! equally specific ones. Ties break by scenario then plan name. A plan recommended by several
//! matching scenarios appears once, with its best score.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{EventRef, RenderCtx, render};
use crate::domain::Component;
use crate::domain::event::{Event, Level};

/// A risk scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Which events belong to the scenario.
    #[serde(rename = "match")]
    pub matcher: Matcher,
    /// Business impact, shown with the recommendations.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub impact: String,
    /// Recommended plans.
    #[serde(default, rename = "plan", skip_serializing_if = "Vec::is_empty")]
    pub plans: Vec<Recommendation>,
    /// The diagnosis tree that runs when an event of the scenario fires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tree: Option<String>,
    /// Which conclusions heal by themselves, under which protection rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_heal: Option<crate::domain::selfheal::Policy>,
}

/// Conditions on an event; every one given must hold, and at least one must be given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matcher {
    /// `alertmanager`, `rms`, `api`, `inspection`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ds_type: Option<String>,
    /// Any of these levels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub level: Vec<Level>,
    /// Label → exact value, or `/regex/` (searched, not anchored: write `^…$` to anchor).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Case-insensitive substring of the title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_contains: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
}

/// A plan a scenario recommends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recommendation {
    pub plan: String,
    /// 0–99, default 50: orders plans within equally specific scenarios.
    #[serde(default = "fifty")]
    pub weight: u32,
    /// Parameter name → template (`{{event.labels.instance}}`) or literal.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
}

fn fifty() -> u32 {
    50
}

/// One ranked recommendation for an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recommended {
    pub scenario: String,
    pub title: String,
    pub plan: String,
    pub score: u32,
    /// Parameters filled from the event, ready for `resolve_params`.
    pub params: BTreeMap<String, String>,
    /// Parameters whose template read something the event lacks (the operator fills them in).
    pub unfilled: Vec<String>,
    pub impact: String,
}

fn regex_of(pattern: &str) -> Option<&str> {
    pattern
        .strip_prefix('/')
        .and_then(|p| p.strip_suffix('/'))
        .filter(|p| !p.is_empty())
}

impl Matcher {
    /// Whether no condition is given (such a matcher is refused: it would match every event).
    pub fn is_empty(&self) -> bool {
        *self == Matcher::default()
    }

    /// Problems of the matcher: `/regex/` labels that do not compile.
    pub fn problems(&self) -> Vec<String> {
        self.labels
            .iter()
            .filter_map(|(k, v)| {
                let re = regex_of(v)?;
                regex::Regex::new(re)
                    .err()
                    .map(|e| format!("label {k}: bad regular expression {v}: {e}"))
            })
            .collect()
    }

    /// Whether `event` matches.
    pub fn matches(&self, event: &Event) -> bool {
        if self.is_empty() {
            return false;
        }
        let eq = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        eq(&self.source, &event.source)
            && eq(&self.ds_type, &event.ds_type)
            && eq(&self.component, &event.component)
            && (self.level.is_empty() || self.level.contains(&event.level))
            && self
                .title_contains
                .as_deref()
                .is_none_or(|t| event.title.to_lowercase().contains(&t.to_lowercase()))
            && self.labels.iter().all(|(k, want)| {
                let Some(have) = event.labels.get(k) else {
                    return false;
                };
                match regex_of(want) {
                    Some(re) => regex::Regex::new(re).is_ok_and(|r| r.is_match(have)),
                    None => want == have,
                }
            })
    }

    /// The specificity used for ranking (see the module documentation).
    pub fn specificity(&self) -> u32 {
        let exact = [
            &self.source,
            &self.ds_type,
            &self.component,
            &self.title_contains,
        ]
        .iter()
        .filter(|f| f.is_some())
        .count();
        let (regex, plain): (Vec<_>, Vec<_>) =
            self.labels.values().partition(|v| regex_of(v).is_some());
        let n = 2 * (exact + plain.len()) + regex.len() + usize::from(!self.level.is_empty());
        u32::try_from(n).unwrap_or(u32::MAX)
    }
}

/// The plans recommended for `event`, best first (see the module documentation for the rule),
/// their parameters filled from the event's labels alone.
pub fn recommend(scenarios: &[Scenario], event: &Event) -> Vec<Recommended> {
    recommend_with(scenarios, event, &[])
}

/// [`recommend`], with what the event's component and the topology determine (`{{event.host}}`,
/// `{{event.peer}}`, …) filled in too.
pub fn recommend_with(
    scenarios: &[Scenario],
    event: &Event,
    components: &[Component],
) -> Vec<Recommended> {
    let ctx = RenderCtx {
        event: Some(EventRef::with_topology(event, components)),
        ..RenderCtx::default()
    };
    let mut best: BTreeMap<&str, Recommended> = BTreeMap::new();
    for s in scenarios.iter().filter(|s| s.matcher.matches(event)) {
        let spec = s.matcher.specificity();
        for r in &s.plans {
            let mut params = BTreeMap::new();
            let mut unfilled = Vec::new();
            for (name, template) in &r.params {
                match render(template, &ctx) {
                    Ok(v) => {
                        params.insert(name.clone(), v);
                    }
                    Err(_) => unfilled.push(name.clone()),
                }
            }
            let rec = Recommended {
                scenario: s.name.clone(),
                title: s.title.clone(),
                plan: r.plan.clone(),
                score: spec * 100 + r.weight.min(99),
                params,
                unfilled,
                impact: s.impact.clone(),
            };
            let better = best.get(r.plan.as_str()).is_none_or(|b| {
                (rec.score, std::cmp::Reverse(&rec.scenario))
                    > (b.score, std::cmp::Reverse(&b.scenario))
            });
            if better {
                best.insert(&r.plan, rec);
            }
        }
    }
    let mut out: Vec<Recommended> = best.into_values().collect();
    out.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then_with(|| a.scenario.cmp(&b.scenario))
            .then_with(|| a.plan.cmp(&b.plan))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::Status;

    fn event(source: &str, title: &str, labels: &[(&str, &str)]) -> Event {
        Event {
            id: 9,
            fingerprint: "f".into(),
            source: source.into(),
            ds_type: "prometheus".into(),
            level: Level::P1,
            title: title.into(),
            summary: String::new(),
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            annotations: BTreeMap::new(),
            component: "redis-a".into(),
            status: Status::Open,
            firing: true,
            first_seen: 0,
            last_seen: 0,
            count: 1,
            flapping: false,
            assignee: String::new(),
            original_level: Level::P1,
            source_url: String::new(),
            updated_at: 0,
        }
    }

    fn scenario(name: &str, toml_match: &str, plans: &[(&str, u32)]) -> Scenario {
        Scenario {
            name: name.into(),
            title: format!("{name} title"),
            description: String::new(),
            matcher: toml::from_str(toml_match).unwrap(),
            impact: format!("{name} impact"),
            tree: None,
            self_heal: None,
            plans: plans
                .iter()
                .map(|(p, w)| Recommendation {
                    plan: (*p).into(),
                    weight: *w,
                    params: [("addr".to_owned(), "{{event.labels.instance}}".to_owned())].into(),
                })
                .collect(),
        }
    }

    #[test]
    fn matchers_check_every_given_condition() {
        let e = event(
            "alertmanager",
            "Redis down on a",
            &[("alertname", "RedisDown"), ("instance", "10.0.0.5:6379")],
        );
        let m = |t: &str| -> Matcher { toml::from_str(t).unwrap() };
        assert!(m("labels = { alertname = \"RedisDown\" }").matches(&e));
        assert!(m("labels = { alertname = \"/^Redis/\" }").matches(&e));
        assert!(!m("labels = { alertname = \"/^Disk/\" }").matches(&e));
        assert!(
            !m("labels = { rule = \"/.*/\" }").matches(&e),
            "absent label never matches"
        );
        assert!(m("source = \"alertmanager\"\nlevel = [\"P0\", \"P1\"]").matches(&e));
        assert!(!m("source = \"alertmanager\"\nlevel = [\"P0\"]").matches(&e));
        assert!(m("title_contains = \"REDIS DOWN\"").matches(&e));
        assert!(m("component = \"redis-a\"").matches(&e));
        assert!(
            !Matcher::default().matches(&e),
            "an empty matcher matches nothing"
        );
        assert!(!m("labels = { a = \"/(/\" }").problems().is_empty());
        assert!(toml::from_str::<Matcher>("lables = {}").is_err());
    }

    #[test]
    fn more_specific_scenarios_rank_first_and_plans_appear_once() {
        let e = event(
            "alertmanager",
            "Redis down",
            &[("alertname", "RedisDown"), ("instance", "10.0.0.5:6379")],
        );
        let scenarios = vec![
            // specificity 1 (regex label): scores 1xx
            scenario(
                "loose",
                "labels = { alertname = \"/Redis/\" }",
                &[("restart", 90), ("switch", 10)],
            ),
            // specificity 4 (source + exact label): scores 4xx
            scenario(
                "exact",
                "source = \"alertmanager\"\nlabels = { alertname = \"RedisDown\" }",
                &[("switch", 20)],
            ),
            scenario(
                "other",
                "labels = { alertname = \"DiskFull\" }",
                &[("clean", 99)],
            ),
        ];
        let r = recommend(&scenarios, &e);
        let order: Vec<(&str, &str, u32)> = r
            .iter()
            .map(|x| (x.plan.as_str(), x.scenario.as_str(), x.score))
            .collect();
        assert_eq!(
            order,
            vec![("switch", "exact", 420), ("restart", "loose", 190)]
        );
        assert_eq!(r[0].params["addr"], "10.0.0.5:6379");
        assert_eq!(r[0].impact, "exact impact");
        let bare = event("alertmanager", "Redis down", &[("alertname", "RedisDown")]);
        let r = recommend(&scenarios, &bare);
        assert_eq!(r[0].unfilled, vec!["addr".to_owned()]);
        assert!(r[0].params.is_empty());
    }
}
