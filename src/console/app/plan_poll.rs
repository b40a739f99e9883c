//! Data for the Plans pane: the catalogue and runs polled with the runs' change stamp (nothing is
//! read when it did not move), the open run read while it is active or when its row changed,
//! saved outputs, and an event's recommended plans (and `x` there, launching the top one).

use super::{App, Popup};
use crate::console::action::Action;
use crate::console::effect::Effect;
use crate::console::events::InFlight;
use crate::console::menu::{MenuItem, MenuState};
use crate::console::plans::{PlansSnapshot, is_active};
use crate::console::tab::Tab;
use crate::domain::plan::Recommended;
use crate::domain::time::age;
use crate::store::{PlanRunRow, StepRow};

impl App {
    /// Ask for the lists unless a read is under way; `force` reads even an unchanged stamp.
    pub(super) fn load_plans(&mut self, force: bool) -> Vec<Effect> {
        let s = &mut self.plans;
        if !force && !s.in_flight.due(self.now) {
            return Vec::new();
        }
        s.in_flight = InFlight(Some(self.now));
        let known = if force { None } else { s.stamp };
        vec![Effect::LoadPlans { known }]
    }

    /// Ask for the open run while the engine may still change it.
    pub(super) fn load_live(&mut self) -> Vec<Effect> {
        let now = self.now;
        match &mut self.plans.live {
            Some(v) if (v.active() || v.steps.is_empty()) && v.in_flight.due(now) => {
                v.in_flight = InFlight(Some(now));
                vec![Effect::LoadPlanRun { id: v.id }]
            }
            _ => Vec::new(),
        }
    }

    /// On a tick while the tab shows: the stamp check and the open run.
    pub(super) fn poll_plans(&mut self) -> Vec<Effect> {
        if self.tab != Tab::Plans {
            return Vec::new();
        }
        let mut effects = self.load_plans(false);
        effects.extend(self.load_live());
        effects
    }

    /// Entering the tab reads at once.
    pub(super) fn on_show_plans_tab(&mut self, before: Tab) -> Vec<Effect> {
        if self.tab != Tab::Plans || before == Tab::Plans {
            return Vec::new();
        }
        self.poll_plans()
    }

    /// `R`: read everything the tab shows again.
    pub(super) fn reload_plans(&mut self) -> Vec<Effect> {
        let mut effects = self.load_plans(true);
        if let Some(v) = &mut self.plans.live {
            v.in_flight = InFlight(None);
            effects.push(Effect::LoadPlanRun { id: v.id });
        }
        effects
    }

    /// After a steering operation: read the lists and the open run at once.
    pub(super) fn after_plan_action(&mut self) -> Vec<Effect> {
        if self.tab != Tab::Plans {
            return Vec::new();
        }
        self.reload_plans()
    }

    /// The lists were polled.
    pub(super) fn on_plans_loaded(
        &mut self,
        result: Result<Option<Box<PlansSnapshot>>, String>,
    ) -> Vec<Effect> {
        let s = &mut self.plans;
        s.in_flight = InFlight(None);
        let snapshot = match result {
            Ok(snapshot) => snapshot,
            Err(e) => {
                if s.error.as_deref() != Some(e.as_str()) {
                    tracing::warn!(error = %e, "reading plans failed");
                    s.error = Some(e);
                    self.dirty = true;
                }
                return Vec::new();
            }
        };
        if s.error.take().is_some() {
            self.dirty = true;
        }
        let Some(snapshot) = snapshot else {
            return Vec::new();
        };
        let PlansSnapshot { stamp, plans, runs } = *snapshot;
        s.stamp = Some(stamp);
        if !s.loaded {
            s.loaded = true;
            self.dirty = true;
        }
        // The open run changed (a finished one too: a resume puts it back in the queue).
        let live_changed = s.live.as_ref().is_some_and(|v| {
            let now = runs
                .iter()
                .find(|r| r.run.id == v.id)
                .map(|r| r.run.updated_at);
            now.is_some() && now != v.run.as_ref().map(|r| r.updated_at)
        });
        if s.all_plans != plans || s.all_runs != runs {
            s.all_plans = plans;
            s.all_runs = runs;
            s.refilter(&self.filters[Tab::Plans.index()]);
            self.dirty = true;
        }
        if live_changed && let Some(v) = &mut self.plans.live {
            v.in_flight = InFlight(None);
            return vec![Effect::LoadPlanRun { id: v.id }];
        }
        Vec::new()
    }

    /// The open run arrived.
    pub(super) fn on_plan_run(
        &mut self,
        id: i64,
        result: Result<Box<(PlanRunRow, Vec<StepRow>)>, String>,
    ) -> Vec<Effect> {
        let Some(v) = self.plans.live.as_mut().filter(|v| v.id == id) else {
            return Vec::new();
        };
        v.in_flight = InFlight(None);
        let before = v.clone();
        match result {
            Ok(read) => {
                let (run, steps) = *read;
                v.absorb(run, steps);
            }
            Err(e) => v.error = Some(e),
        }
        if *v != before {
            self.dirty = true;
        }
        Vec::new()
    }

    /// An output was saved (or not).
    pub(super) fn on_output_saved(&mut self, result: Result<String, String>) {
        match result {
            Ok(path) => self.info(&format!("output saved to {path}")),
            Err(e) => self.error(&format!("output not saved: {e}")),
        }
    }

    /// The event's recommended plans arrived.
    pub(super) fn on_recommendations(
        &mut self,
        id: i64,
        result: Result<Vec<Recommended>, String>,
        topology: bool,
    ) -> Vec<Effect> {
        let Some(d) = self.events.detail.as_mut().filter(|d| d.id == id) else {
            return Vec::new();
        };
        d.topology = topology;
        match result {
            Ok(r) => {
                d.recommended = r;
                d.recommend_error = None;
            }
            Err(e) => d.recommend_error = Some(e),
        }
        d.recommend_loaded = true;
        self.dirty = true;
        if std::mem::take(&mut d.launch_when_loaded) {
            return self.choose_recommended();
        }
        Vec::new()
    }

    /// `x` in an event's detail: one recommendation opens its form at once; several open a menu
    /// of them, best first and selected (Enter takes it).
    pub(super) fn choose_recommended(&mut self) -> Vec<Effect> {
        let Some(d) = &self.events.detail else {
            return Vec::new();
        };
        if d.recommended.len() < 2 {
            return self.launch_recommended(0);
        }
        let items = d
            .recommended
            .iter()
            .enumerate()
            .map(|(i, r)| MenuItem {
                label: format!("{}. {} (score {})", i + 1, r.plan, r.score),
                action: Action::LaunchRecommended(i),
            })
            .collect();
        self.popup = Some(Popup::Menu(MenuState {
            title: format!("launch a plan for event #{}", d.id),
            items,
            selected: 0,
            note: Some("the form is filled from the event's labels".to_owned()),
        }));
        Vec::new()
    }

    /// The launch form of the recommendation at `rank`, its parameters filled from the event,
    /// launched from it (the run lands on the event's timeline).
    pub(super) fn launch_recommended(&mut self, rank: usize) -> Vec<Effect> {
        let Some(d) = &self.events.detail else {
            return Vec::new();
        };
        let Some(top) = d.recommended.get(rank).cloned() else {
            if d.recommend_loaded {
                self.info("no scenario recommends a plan for this event");
            } else if let Some(d) = &mut self.events.detail {
                d.launch_when_loaded = true;
                self.info("the recommendations are still loading: the form opens when they arrive");
            }
            return Vec::new();
        };
        let (id, topology) = (d.id, d.topology);
        if !topology && !top.unfilled.is_empty() {
            // Said before the form opens: without components nightwatch cannot name targets.
            self.error(&format!(
                "no topology applied: {} left empty; `nightwatch apply` components to fill them",
                top.unfilled.join(", ")
            ));
        }
        vec![Effect::OpenLaunchForm {
            plan: top.plan,
            prefill: top.params,
            unfilled: top.unfilled,
            event_id: id,
        }]
    }

    /// Everything the tab shows that moves with the clock alone.
    pub(super) fn plans_clock(&self) -> Vec<String> {
        let s = &self.plans;
        let mut labels: Vec<String> = s
            .runs
            .iter()
            .map(|r| age(r.run.created_at, self.now))
            .collect();
        if let Some(v) = &s.live {
            labels.extend(
                v.steps
                    .iter()
                    .filter(|x| x.status == "running")
                    .map(|x| age(x.started_at, self.now)),
            );
            if let Some(r) = v.run.as_ref().filter(|r| is_active(&r.status)) {
                labels.push(age(r.started_at.max(r.created_at), self.now));
            }
        }
        labels
    }
}
