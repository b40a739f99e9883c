//! The Inspections pane's keys: down a level with Enter (a task's runs, a run's matrix, a
//! result), back up with Esc, moving inside each level, the `m` menu, and `r` to run the task on
//! screen now.
//!
//! Running a task is G1: `r` asks y/n through the confirmation popup, and the read-only gate in
//! `update` has already refused `run_now` before anything here runs.

use super::{App, Popup};
use crate::console::action::{Action, InspectionsAction, Operation};
use crate::console::effect::Effect;
use crate::console::inspections::{RUNS_PAGE, ResultView, RunView, RunsView};
use crate::console::menu::{MenuItem, MenuState};
use crate::console::tab::Tab;

impl App {
    /// `r`: confirm running the task on screen now.
    fn request_run_now(&mut self) -> Vec<Effect> {
        let Some(task) = self.inspections.current_task() else {
            self.info("no task selected: x runs the selected task now");
            return Vec::new();
        };
        self.update(Action::Request(Operation::RunTask { task }))
    }

    /// A bound action on the Inspections tab; the rest works as while browsing.
    pub(super) fn on_inspections(&mut self, action: Action) -> Vec<Effect> {
        self.dirty = true;
        match action {
            Action::OnInspections(InspectionsAction::RunNow) => return self.request_run_now(),
            Action::Refresh => return self.reload_inspections(),
            Action::Menu => {
                self.open_inspections_menu();
                return Vec::new();
            }
            _ => {}
        }
        if self.inspections.result.is_some() {
            return self.on_inspection_result(action);
        }
        if self.inspections.run.is_some() {
            return self.on_inspection_matrix(action);
        }
        if self.inspections.runs.is_some() {
            return self.on_inspection_runs_list(action);
        }
        let (selected, last) = (
            self.inspections.selected,
            self.inspections.visible.len().saturating_sub(1),
        );
        let step = |by: isize| selected.saturating_add_signed(by).min(last);
        self.inspections.selected = match action {
            Action::Down => step(1),
            Action::Up => step(-1),
            Action::PageDown => step(10),
            Action::PageUp => step(-10),
            Action::Top => 0,
            Action::Bottom => last,
            Action::Select => return self.open_task_runs(),
            other => return self.on_normal(other),
        };
        Vec::new()
    }

    fn open_task_runs(&mut self) -> Vec<Effect> {
        let Some(task) = self
            .inspections
            .selected_task()
            .map(|t| t.task.name.clone())
        else {
            return Vec::new();
        };
        self.inspections.runs = Some(RunsView {
            task,
            limit: RUNS_PAGE,
            ..RunsView::default()
        });
        self.load_inspection_runs()
    }

    fn on_inspection_runs_list(&mut self, action: Action) -> Vec<Effect> {
        let Some(r) = &self.inspections.runs else {
            return Vec::new();
        };
        let (selected, last) = (r.selected, r.rows.len().saturating_sub(1));
        let step = |by: isize| selected.saturating_add_signed(by).min(last);
        let next = match action {
            Action::Down => step(1),
            Action::Up => step(-1),
            Action::PageDown => step(10),
            Action::PageUp => step(-10),
            Action::Top => 0,
            Action::Bottom => last,
            Action::Back => {
                self.inspections.runs = None;
                return Vec::new();
            }
            Action::Select => return self.open_run(),
            other => return self.on_normal(other),
        };
        let Some(r) = &mut self.inspections.runs else {
            return Vec::new();
        };
        r.selected = next;
        // Near the end of what is loaded: read a longer page (runs are many; never all at once).
        let loaded = i64::try_from(r.rows.len()).unwrap_or(i64::MAX);
        if r.selected + 10 >= r.rows.len() && loaded < r.total && r.limit <= loaded {
            r.limit += RUNS_PAGE;
            return self.load_inspection_runs();
        }
        Vec::new()
    }

    fn open_run(&mut self) -> Vec<Effect> {
        let s = &mut self.inspections;
        let Some(row) = s
            .runs
            .as_ref()
            .and_then(|r| r.rows.get(r.selected))
            .cloned()
        else {
            return Vec::new();
        };
        let order = s
            .task(&row.task)
            .map(|t| t.task.rules.clone())
            .unwrap_or_default();
        s.run = Some(RunView::new(row.id, Some(row), order));
        self.load_inspection_run()
    }

    fn on_inspection_matrix(&mut self, action: Action) -> Vec<Effect> {
        let Some(v) = &mut self.inspections.run else {
            return Vec::new();
        };
        let rows = v.grid.rules.len().saturating_sub(1);
        let cols = v.grid.targets.len().saturating_sub(1);
        match action {
            Action::Down => v.row = (v.row + 1).min(rows),
            Action::Up => v.row = v.row.saturating_sub(1),
            Action::PageDown => v.row = (v.row + 10).min(rows),
            Action::PageUp => v.row = v.row.saturating_sub(10),
            Action::Top => v.row = 0,
            Action::Bottom => v.row = rows,
            Action::CursorRight => v.col = (v.col + 1).min(cols),
            Action::CursorLeft => v.col = v.col.saturating_sub(1),
            Action::Back => self.inspections.run = None,
            Action::Select => self.open_result(),
            other => return self.on_normal(other),
        }
        Vec::new()
    }

    fn open_result(&mut self) {
        let Some(v) = &self.inspections.run else {
            return;
        };
        if let Some(r) = v.selected_result() {
            self.inspections.result = Some(ResultView {
                rule: r.rule.clone(),
                target: r.target.clone(),
                scroll: 0,
            });
            return;
        }
        let rule = v.grid.rules.get(v.row).cloned();
        let target = v.grid.targets.get(v.col).cloned();
        let msg = match (rule, target) {
            (Some(rule), Some(target)) => format!("no result for {rule} on {target}"),
            _ => "no results yet".to_owned(),
        };
        self.info(&msg);
    }

    fn on_inspection_result(&mut self, action: Action) -> Vec<Effect> {
        let delta: i32 = match action {
            Action::Back => {
                self.inspections.result = None;
                return Vec::new();
            }
            Action::Down => 1,
            Action::Up => -1,
            Action::PageDown => 10,
            Action::PageUp => -10,
            Action::Top => -100_000,
            Action::Bottom => 100_000,
            Action::Select | Action::CursorLeft | Action::CursorRight => 0,
            other => return self.on_normal(other),
        };
        if let Some(r) = &mut self.inspections.result {
            r.scroll = u16::try_from((i32::from(r.scroll) + delta).clamp(0, 10_000)).unwrap_or(0);
        }
        Vec::new()
    }

    /// `m`: what can be done to the task on screen (nothing mutating when read-only).
    fn open_inspections_menu(&mut self) {
        let Some(task) = self.inspections.current_task() else {
            self.info("nothing selected: the action menu acts on the selected task");
            return;
        };
        let mut items = Vec::new();
        let note = if self.config.read_only {
            Some("read-only: changes are hidden".to_owned())
        } else {
            let op = Operation::RunTask { task: task.clone() };
            items.push(MenuItem {
                label: format!("{} ({})", op.label(), op.danger()),
                action: Action::Request(op),
            });
            None
        };
        items.push(MenuItem {
            label: format!("Filter tasks by {task}"),
            action: Action::ApplyFilter(format!("task:{task}")),
        });
        self.popup = Some(Popup::Menu(MenuState {
            title: format!("task {task}"),
            items,
            selected: 0,
            note,
        }));
    }

    /// Recompute the tasks that pass the Inspections filter, keeping the selection in range.
    pub(super) fn refilter_inspections(&mut self) {
        let s = &mut self.inspections;
        s.visible = self.filters[Tab::Inspections.index()].apply(&s.tasks);
        s.selected = s.selected.min(s.visible.len().saturating_sub(1));
        self.dirty = true;
    }
}
