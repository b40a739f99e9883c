//! How inspection tasks and runs appear in the Inspections pane's tables: one cell per column id
//! of `views/inspections.toml` (tasks) and `views/inspection_runs.toml` (a task's runs), and the
//! `/` filter keys of the task list. Statuses carry symbols, so they read without colour.

use ratatui::text::{Line, Span};

use crate::console::filter::Filterable;
use crate::console::inspections::symbols::{
    VERDICTS, counts, duration, run_span, run_style, run_symbol, summary_error, verdict_symbol,
};
use crate::console::widgets::{CellCtx, DataToCell};
use crate::domain::content::{Schedule, Task};
use crate::domain::time::{age, format_utc};
use crate::store::{RunRow, TaskSummary};

/// `every 1m` / `cron */5 * * * *`.
pub fn schedule_label(task: &Task) -> String {
    match &task.schedule {
        Schedule::Every(every) => format!("every {every}"),
        Schedule::Cron(cron) => format!("cron {cron}"),
    }
}

/// When a run last did something: finished, else started, else queued.
pub fn last_activity(run: &RunRow) -> i64 {
    [run.finished_at, run.started_at, run.created_at]
        .into_iter()
        .find(|t| *t > 0)
        .unwrap_or(0)
}

/// How long a run took (or has taken so far); `-` while queued.
pub fn run_duration(run: &RunRow, now: i64) -> String {
    match run.status.as_str() {
        _ if run.started_at <= 0 => "-".to_owned(),
        "queued" => "-".to_owned(),
        "running" => duration(now - run.started_at),
        _ if run.finished_at >= run.started_at => duration(run.finished_at - run.started_at),
        _ => "-".to_owned(),
    }
}

/// When the scheduler queues the task next: `in 42s`, `due`, or `-` when disabled.
pub fn next_label(t: &TaskSummary, now: i64) -> String {
    if !t.enabled {
        "-".to_owned()
    } else if t.next_run <= now {
        "due".to_owned()
    } else {
        format!("in {}", age(now, t.next_run))
    }
}

impl Filterable for TaskSummary {
    const KEYS: &'static [&'static str] = &["task", "status", "schedule", "enabled", "rule"];

    fn field(&self, key: &str) -> Option<String> {
        Some(match key {
            "task" => self.task.name.clone(),
            "status" => self
                .recent
                .first()
                .map_or("never".to_owned(), |r| r.status.clone()),
            "schedule" => schedule_label(&self.task),
            "enabled" => if self.enabled { "on" } else { "off" }.to_owned(),
            "rule" => self.task.rules.join(" "),
            _ => return None,
        })
    }
}

impl DataToCell for TaskSummary {
    const COLUMNS: &'static [&'static str] = &[
        "task", "schedule", "enabled", "last", "when", "trend", "rules", "next", "timeout",
    ];

    fn cell(&self, column: &str, ctx: &CellCtx<'_>) -> Line<'static> {
        let (t, g) = (ctx.theme, ctx.glyphs);
        let last = self.recent.first();
        match column {
            "task" => Line::from(self.task.name.clone()),
            "schedule" => Line::from(schedule_label(&self.task)),
            "enabled" if self.enabled => Line::styled(format!("{} on", g.alive), t.ok),
            "enabled" => Line::styled(format!("{} off", g.dead), t.muted),
            "last" => match last {
                Some(r) => Line::from(run_span(&r.status, g, t)),
                None => Line::styled("never run", t.muted),
            },
            "when" => Line::from(last.map_or("-".to_owned(), |r| age(last_activity(r), ctx.now))),
            // Oldest on the left, newest on the right: the trend reads like a timeline.
            "trend" => Line::from(
                self.recent
                    .iter()
                    .rev()
                    .map(|r| Span::styled(run_symbol(&r.status, g), run_style(&r.status, t)))
                    .collect::<Vec<_>>(),
            ),
            "rules" => Line::from(format!("{:>5}", self.task.rules.len())),
            "next" => Line::from(next_label(self, ctx.now)),
            "timeout" => Line::from(duration(self.task.timeout_ms)),
            _ => Line::default(),
        }
    }
}

impl DataToCell for RunRow {
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "status",
        "trigger",
        "requested_by",
        "started",
        "started_utc",
        "duration",
        "counts",
    ];

    fn cell(&self, column: &str, ctx: &CellCtx<'_>) -> Line<'static> {
        let (t, g) = (ctx.theme, ctx.glyphs);
        match column {
            "id" => Line::from(format!("{:>6}", self.id)),
            "status" => Line::from(run_span(&self.status, g, t)),
            "trigger" => Line::from(self.trigger.clone()),
            "requested_by" => Line::from(self.requested_by.clone()),
            "started" if self.started_at > 0 => Line::from(age(self.started_at, ctx.now)),
            "started" => Line::styled(age(self.created_at, ctx.now), t.muted),
            "started_utc" if self.started_at > 0 => Line::from(format_utc(self.started_at)),
            "started_utc" => Line::styled("-", t.muted),
            "duration" => Line::from(run_duration(self, ctx.now)),
            "counts" => counts_line(&self.summary, ctx),
            _ => Line::default(),
        }
    }
}

/// `✓3 ▲0 ✗1 ?0` (zeros muted; `⊘2` after them only when checks could not reach their host),
/// the engine's error, or `-` while there is no summary.
pub fn counts_line(summary: &str, ctx: &CellCtx<'_>) -> Line<'static> {
    let (t, g) = (ctx.theme, ctx.glyphs);
    if let Some(n) = counts(summary) {
        let spans: Vec<Span<'static>> = VERDICTS
            .iter()
            .zip(n)
            .enumerate()
            .filter(|(_, (v, k))| **v != "unreach" || *k > 0)
            .map(|(i, (v, k))| {
                let style = if k == 0 {
                    t.muted
                } else {
                    crate::console::inspections::symbols::verdict_style(v, t)
                };
                let sep = if i == 0 { "" } else { " " };
                Span::styled(format!("{sep}{}{k}", verdict_symbol(v, g)), style)
            })
            .collect();
        return Line::from(spans);
    }
    match summary_error(summary) {
        Some(e) => Line::styled(format!("{} {e}", g.error), t.error),
        None => Line::styled("-", t.muted),
    }
}
