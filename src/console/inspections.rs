//! The Inspections pane's state (tab 4): the tasks with their latest runs, and the screens opened
//! over them one level at a time: a task's runs, one run as a rule × target matrix, one result.
//!
//! Pure data and arithmetic; `app/inspections.rs` changes it in response to actions, and
//! `panes/inspections*` draw it. No IO here. Polling is cheap: the task list is read again only
//! when the store's change stamp moved, a task's runs only when that task's latest runs changed,
//! and a run only while it is queued or running (its results after a cursor).

pub mod grid;
pub mod symbols;

pub use grid::Grid;

use crate::console::events::InFlight;
use crate::store::{InspectionStamp, ResultRow, RunRow, TaskSummary};

/// How many of each task's newest runs the task list reads (the trend column).
pub const TREND: i64 = 20;

/// How many runs the runs screen reads at first, and how many more each time the selection nears
/// the end of what is loaded.
pub const RUNS_PAGE: i64 = 100;

/// What one task-list read brought: the stamp it was read under and the tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TasksSnapshot {
    /// The change stamp as of the read.
    pub stamp: InspectionStamp,
    /// Every task, by name.
    pub tasks: Vec<TaskSummary>,
}

/// What one read of a run brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRead {
    /// The run.
    pub run: RunRow,
    /// Its results with their ids: those above `from`.
    pub results: Vec<(i64, ResultRow)>,
    /// The cursor the results were read after; 0 means every result (replace, don't append).
    pub from: i64,
}

/// Whether a run status means the engine is still at it.
pub fn is_active(status: &str) -> bool {
    matches!(status, "queued" | "running")
}

/// A task's runs, newest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunsView {
    /// Which task.
    pub task: String,
    /// The newest `limit` runs (or fewer), newest first.
    pub rows: Vec<RunRow>,
    /// How many runs the task has.
    pub total: i64,
    /// How many rows were asked for.
    pub limit: i64,
    /// The selected row.
    pub selected: usize,
    /// A page arrived at least once.
    pub loaded: bool,
    /// The last read error.
    pub error: Option<String>,
    /// A read is under way.
    pub in_flight: InFlight,
    /// A run just queued from here: selected as soon as a read brings it.
    pub follow: Option<i64>,
}

/// One run opened as a matrix.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunView {
    /// Which run.
    pub id: i64,
    /// The run as last read (from the runs list at once, then as read).
    pub run: Option<RunRow>,
    /// Its results read so far, by id.
    pub results: Vec<(i64, ResultRow)>,
    /// The rule order of the task (rules without a result yet still get a row).
    pub rule_order: Vec<String>,
    /// Rules × targets over `results`.
    pub grid: Grid,
    /// The selected rule (matrix row).
    pub row: usize,
    /// The selected target (matrix column).
    pub col: usize,
    /// The run has been read since it finished: nothing more will change.
    pub done: bool,
    /// The last read error.
    pub error: Option<String>,
    /// A read is under way.
    pub in_flight: InFlight,
}

impl RunView {
    /// A view of run `id`, showing `known` until the first read.
    pub fn new(id: i64, known: Option<RunRow>, rule_order: Vec<String>) -> RunView {
        let mut v = RunView {
            id,
            run: known,
            rule_order,
            ..RunView::default()
        };
        v.regrid();
        v
    }

    /// The cursor for the next read: the highest result id seen.
    pub fn cursor(&self) -> i64 {
        self.results.iter().map(|(id, _)| *id).max().unwrap_or(0)
    }

    /// Take a read in: replace (from 0) or append, rebuild the matrix, keep the selection inside.
    pub fn absorb(&mut self, read: RunRead) {
        if read.from == 0 {
            self.results = read.results;
        } else {
            let cursor = self.cursor();
            self.results
                .extend(read.results.into_iter().filter(|(id, _)| *id > cursor));
        }
        self.done = !is_active(&read.run.status);
        self.run = Some(read.run);
        self.error = None;
        self.regrid();
    }

    /// The task's rule order arrived after the run was opened: rows follow it from now on.
    pub fn set_rule_order(&mut self, order: Vec<String>) {
        self.rule_order = order;
        self.regrid();
    }

    fn regrid(&mut self) {
        self.grid = Grid::new(&self.rule_order, self.results.iter().map(|(_, r)| r));
        self.row = self.row.min(self.grid.rules.len().saturating_sub(1));
        self.col = self.col.min(self.grid.targets.len().saturating_sub(1));
    }

    /// The result under the selection, if that cell has one.
    pub fn selected_result(&self) -> Option<&ResultRow> {
        let i = self.grid.cell(self.row, self.col)?;
        self.results.get(i).map(|(_, r)| r)
    }

    /// The result of `rule` on `target`, if any.
    pub fn result_of(&self, rule: &str, target: &str) -> Option<&ResultRow> {
        self.results
            .iter()
            .map(|(_, r)| r)
            .find(|r| r.rule == rule && r.target == target)
    }
}

/// One result opened in full.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResultView {
    /// Its rule.
    pub rule: String,
    /// Its target.
    pub target: String,
    /// Lines scrolled.
    pub scroll: u16,
}

/// The Inspections pane's state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InspectionsState {
    /// The stamp of the last task-list read (sent with the next poll: unchanged means no read).
    pub stamp: Option<InspectionStamp>,
    /// Every task, by name.
    pub tasks: Vec<TaskSummary>,
    /// Indices into `tasks` that pass the filter.
    pub visible: Vec<usize>,
    /// Position within `visible`.
    pub selected: usize,
    /// A task list arrived at least once.
    pub loaded: bool,
    /// The last task-list read error.
    pub error: Option<String>,
    /// The task-list read under way.
    pub in_flight: InFlight,
    /// The runs screen (Enter on a task).
    pub runs: Option<RunsView>,
    /// The run screen (Enter on a run).
    pub run: Option<RunView>,
    /// The result screen (Enter on a matrix cell).
    pub result: Option<ResultView>,
}

impl InspectionsState {
    /// The selected task, if the list has one.
    pub fn selected_task(&self) -> Option<&TaskSummary> {
        self.tasks.get(*self.visible.get(self.selected)?)
    }

    /// A task by name.
    pub fn task(&self, name: &str) -> Option<&TaskSummary> {
        self.tasks.iter().find(|t| t.task.name == name)
    }

    /// The task the open screen is about: the run's, the runs screen's, else the selected one.
    pub fn current_task(&self) -> Option<String> {
        if let Some(r) = self.run.as_ref().and_then(|v| v.run.as_ref()) {
            return Some(r.task.clone());
        }
        if let Some(r) = &self.runs {
            return Some(r.task.clone());
        }
        self.selected_task().map(|t| t.task.name.clone())
    }
}
