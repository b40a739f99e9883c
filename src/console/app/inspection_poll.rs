//! Data for the Inspections pane: polling the task list with the store's change stamp (nothing
//! is read when it did not move), a task's runs when that task's latest runs changed, an open run
//! with its results after a cursor until the engine has finished it, and what follows a queued
//! manual run (it shows at once; a re-run opens the new run).

use super::App;
use crate::console::effect::Effect;
use crate::console::events::InFlight;
use crate::console::inspections::{RunRead, RunView, TasksSnapshot};
use crate::console::rows::{last_activity, next_label, run_duration};
use crate::console::tab::Tab;
use crate::domain::time::age;
use crate::store::{RunRow, TaskSummary};

impl App {
    /// Ask for the task list unless a read is under way; `force` reads even an unchanged stamp.
    pub(super) fn load_inspection_tasks(&mut self, force: bool) -> Vec<Effect> {
        let s = &mut self.inspections;
        if !force && !s.in_flight.due(self.now) {
            return Vec::new();
        }
        s.in_flight = InFlight(Some(self.now));
        let known = if force { None } else { s.stamp.clone() };
        vec![Effect::LoadInspectionTasks { known }]
    }

    /// Ask for the open runs screen's page.
    pub(super) fn load_inspection_runs(&mut self) -> Vec<Effect> {
        let now = self.now;
        match &mut self.inspections.runs {
            Some(r) if r.in_flight.due(now) => {
                r.in_flight = InFlight(Some(now));
                vec![Effect::LoadInspectionRuns {
                    task: r.task.clone(),
                    limit: r.limit,
                }]
            }
            _ => Vec::new(),
        }
    }

    /// Ask for the open run (its results after the cursor) while the engine is still at it.
    pub(super) fn load_inspection_run(&mut self) -> Vec<Effect> {
        let now = self.now;
        match &mut self.inspections.run {
            Some(v) if !v.done && v.in_flight.due(now) => {
                v.in_flight = InFlight(Some(now));
                vec![Effect::LoadInspectionRun {
                    id: v.id,
                    after: v.cursor(),
                }]
            }
            _ => Vec::new(),
        }
    }

    /// On a tick while the tab shows: the stamp check, a runs page that failed, the open run.
    pub(super) fn poll_inspections(&mut self) -> Vec<Effect> {
        if self.tab != Tab::Inspections {
            return Vec::new();
        }
        let mut effects = self.load_inspection_tasks(false);
        if self
            .inspections
            .runs
            .as_ref()
            .is_some_and(|r| !r.loaded || r.error.is_some())
        {
            effects.extend(self.load_inspection_runs());
        }
        effects.extend(self.load_inspection_run());
        effects
    }

    /// Entering the tab reads at once (no waiting for the next tick).
    pub(super) fn on_show_inspections_tab(&mut self, before: Tab) -> Vec<Effect> {
        if self.tab != Tab::Inspections || before == Tab::Inspections {
            return Vec::new();
        }
        self.poll_inspections()
    }

    /// `R`/`:refresh`: read everything the tab shows again.
    pub(super) fn reload_inspections(&mut self) -> Vec<Effect> {
        let mut effects = self.load_inspection_tasks(true);
        if let Some(r) = &mut self.inspections.runs {
            r.in_flight = InFlight(None);
        }
        effects.extend(self.load_inspection_runs());
        if let Some(v) = &mut self.inspections.run {
            // A finished run is read once more: whole, as every read of a finished run is.
            v.in_flight = InFlight(None);
            v.done = false;
        }
        effects.extend(self.load_inspection_run());
        effects
    }

    /// The task list was polled.
    pub(super) fn on_inspection_tasks(
        &mut self,
        result: Result<Option<Box<TasksSnapshot>>, String>,
    ) -> Vec<Effect> {
        let s = &mut self.inspections;
        s.in_flight = InFlight(None);
        let snapshot = match result {
            Ok(snapshot) => snapshot,
            Err(e) => {
                if s.error.as_deref() != Some(e.as_str()) {
                    tracing::warn!(error = %e, "reading inspection tasks failed");
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
        let TasksSnapshot { stamp, tasks } = *snapshot;
        s.stamp = Some(stamp);
        if !s.loaded {
            s.loaded = true;
            self.dirty = true;
        }
        if tasks == s.tasks {
            return Vec::new();
        }
        let recent_of = |tasks: &[TaskSummary], name: &str| {
            tasks
                .iter()
                .find(|t| t.task.name == name)
                .map(|t| t.recent.clone())
        };
        let runs_changed = s
            .runs
            .as_ref()
            .is_some_and(|r| recent_of(&s.tasks, &r.task) != recent_of(&tasks, &r.task));
        s.tasks = tasks;
        if let Some(v) = s.run.as_mut().filter(|v| v.rule_order.is_empty()) {
            let task = v.run.as_ref().map(|r| r.task.clone()).unwrap_or_default();
            if let Some(t) = s.tasks.iter().find(|t| t.task.name == task) {
                v.set_rule_order(t.task.rules.clone());
            }
        }
        self.refilter_inspections();
        if runs_changed {
            if let Some(r) = &mut self.inspections.runs {
                r.in_flight = InFlight(None);
            }
            return self.load_inspection_runs();
        }
        Vec::new()
    }

    /// A task's runs arrived: keep the selection on the same run when new ones come in on top.
    pub(super) fn on_inspection_runs(
        &mut self,
        task: &str,
        result: Result<(Vec<RunRow>, i64), String>,
    ) -> Vec<Effect> {
        let Some(r) = self.inspections.runs.as_mut().filter(|r| r.task == task) else {
            return Vec::new();
        };
        r.in_flight = InFlight(None);
        let before = r.clone();
        match result {
            Ok((rows, total)) => {
                let followed = r.follow.filter(|id| rows.iter().any(|x| x.id == *id));
                if followed.is_some() {
                    r.follow = None;
                }
                let selected_id = followed.or_else(|| r.rows.get(r.selected).map(|x| x.id));
                r.selected = selected_id
                    .and_then(|id| rows.iter().position(|x| x.id == id))
                    .unwrap_or(r.selected)
                    .min(rows.len().saturating_sub(1));
                r.rows = rows;
                r.total = total;
                r.loaded = true;
                r.error = None;
            }
            Err(e) => r.error = Some(e),
        }
        if *r != before {
            self.dirty = true;
        }
        Vec::new()
    }

    /// A run arrived.
    pub(super) fn on_inspection_run(
        &mut self,
        id: i64,
        result: Result<Box<RunRead>, String>,
    ) -> Vec<Effect> {
        let Some(v) = self.inspections.run.as_mut().filter(|v| v.id == id) else {
            return Vec::new();
        };
        v.in_flight = InFlight(None);
        let before = v.clone();
        match result {
            Ok(read) => v.absorb(*read),
            Err(e) => v.error = Some(e),
        }
        if *v != before {
            self.dirty = true;
        }
        Vec::new()
    }

    /// A manual run was queued: read at once so it shows; a re-run from a run opens the new run.
    pub(super) fn on_run_queued(&mut self, task: &str, result: Result<i64, String>) -> Vec<Effect> {
        let id = match result {
            Ok(id) => id,
            Err(e) => {
                self.error(&format!("run {task} now: {e}"));
                return Vec::new();
            }
        };
        self.info(&format!(
            "queued run #{id} of {task}: an engine picks it up"
        ));
        let s = &mut self.inspections;
        let rerun = s
            .run
            .as_ref()
            .and_then(|v| v.run.as_ref())
            .is_some_and(|r| r.task == task);
        if rerun {
            let order = s
                .task(task)
                .map(|t| t.task.rules.clone())
                .unwrap_or_default();
            s.result = None;
            s.run = Some(RunView::new(id, None, order));
        }
        if let Some(r) = s.runs.as_mut().filter(|r| r.task == task) {
            r.in_flight = InFlight(None);
            r.follow = Some(id);
        }
        let mut effects = self.load_inspection_tasks(true);
        effects.extend(self.load_inspection_runs());
        effects.extend(self.load_inspection_run());
        effects
    }

    /// Everything the tab shows that moves with the clock alone (a tick redraws only if it does).
    pub(super) fn inspections_clock(&self) -> Vec<String> {
        let s = &self.inspections;
        let now = self.now;
        let mut labels: Vec<String> = s
            .visible
            .iter()
            .filter_map(|&i| s.tasks.get(i))
            .flat_map(|t| {
                let last = t.recent.first().map(|r| age(last_activity(r), now));
                [last.unwrap_or_default(), next_label(t, now)]
            })
            .collect();
        if let Some(r) = &s.runs {
            labels.extend(r.rows.iter().map(|x| {
                let since = if x.started_at > 0 {
                    x.started_at
                } else {
                    x.created_at
                };
                format!("{} {}", age(since, now), run_duration(x, now))
            }));
        }
        if let Some(v) = &s.run {
            if let Some(run) = &v.run {
                labels.push(run_duration(run, now));
            }
            if let Some(sel) = &s.result {
                let at = v.result_of(&sel.rule, &sel.target).map(|r| r.at);
                labels.push(at.map(|at| age(at, now)).unwrap_or_default());
            }
        }
        labels
    }
}
