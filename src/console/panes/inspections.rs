//! The Inspections pane (tab 4): the inspection tasks with their newest run's status and a trend
//! of their latest runs, and the selected task's definition; Enter goes down one level at a time
//! (a task's runs, a run's rule × target matrix, one result in full), Esc back up.
//!
//! Every status reads from its symbol as well as its colour (`✗ failed`, trend `✓✓✗!▸`).

mod result;
mod run;
mod runs;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::config::hints;
use crate::console::app::App;
use crate::console::rows::{counts_line, next_label, schedule_label};
use crate::console::widgets::{CellCtx, DataTable};
use crate::domain::time::age;
use crate::store::TaskSummary;

use result::ResultPane;
use run::RunPane;
use runs::RunsPane;

/// The Inspections tab.
pub struct InspectionsPane<'a> {
    /// The app it reads.
    pub app: &'a App,
}

/// Styles, symbols and the clock for the pane's cells.
fn ctx(app: &App) -> CellCtx<'_> {
    let c = &app.config;
    CellCtx {
        theme: &c.theme,
        glyphs: &c.glyphs,
        now: app.now,
        ttl_ms: c.ttl_ms,
    }
}

/// A `label   value` line of a detail block.
fn fact(app: &App, label: &str, value: Vec<Span<'static>>) -> Line<'static> {
    let mut spans = vec![Span::styled(format!("{label:<10}"), app.config.theme.muted)];
    spans.extend(value);
    Line::from(spans)
}

/// The error line of a screen, if its last read failed.
fn error_line(app: &App, error: Option<&String>) -> Option<Line<'static>> {
    let (t, g) = (&app.config.theme, &app.config.glyphs);
    error.map(|e| Line::styled(format!(" {} {e} ", g.error), t.error))
}

impl InspectionsPane<'_> {
    fn tasks(&self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let s = &app.inspections;
        let shown = s.visible.len();
        let count = if shown == s.tasks.len() {
            shown.to_string()
        } else {
            format!("{shown}/{}", s.tasks.len())
        };
        let title = super::title(app, &format!("Inspection tasks {count}"));
        let bottom = error_line(app, s.error.as_ref()).unwrap_or_else(|| {
            hints(
                app,
                &[
                    ("Enter", "runs", false),
                    ("r", "run now", true),
                    ("/", "filter", false),
                ],
            )
        });
        let block = app.block(title, true).title_bottom(bottom);
        let empty = match (&s.error, s.loaded) {
            (Some(e), false) => e.as_str(),
            (_, false) => "loading…",
            _ if s.tasks.is_empty() => {
                "no inspection tasks: `nightwatch apply FILE` adds some (the built-in host-basics \
                 is applied on first start)"
            }
            _ => "no task matches the filter (Esc clears it)",
        };
        let detail = s.selected_task().filter(|_| area.height >= 16);
        let [list, below] = match detail {
            Some(_) => Layout::vertical([Constraint::Fill(1), Constraint::Length(7)]).areas(area),
            None => [area, Rect::default()],
        };
        DataTable {
            block,
            rows: &s.tasks,
            indices: &s.visible,
            view: &app.config.inspections_view,
            selected: Some(s.selected),
            empty,
            ctx: ctx(app),
        }
        .render(list, buf);
        if let Some(task) = detail {
            self.task_detail(task, below, buf);
        }
    }

    /// The selected task's definition and newest run, under the list.
    fn task_detail(&self, task: &TaskSummary, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let (t, g) = (&app.config.theme, &app.config.glyphs);
        let c = ctx(app);
        let d = &task.task;
        let text = |s: String| vec![Span::styled(s, t.text)];
        let state = if task.enabled {
            format!("enabled · next {}", next_label(task, app.now))
        } else {
            "disabled (runs only when asked: r)".to_owned()
        };
        let last = match task.recent.first() {
            Some(r) => {
                let mut spans = vec![
                    Span::styled(format!("#{} ", r.id), t.text),
                    crate::console::inspections::symbols::run_span(&r.status, g, t),
                    Span::styled(
                        format!(
                            " · {} by {} · {} ago · ",
                            r.trigger,
                            r.requested_by,
                            age(crate::console::rows::last_activity(r), app.now)
                        ),
                        t.text,
                    ),
                ];
                spans.extend(counts_line(&r.summary, &c).spans);
                spans
            }
            None => vec![Span::styled("never run", t.muted)],
        };
        let notify = if d.notify.is_empty() {
            "-".to_owned()
        } else {
            d.notify.join(", ")
        };
        let lines = vec![
            fact(app, "Rules", text(d.rules.join(", "))),
            fact(
                app,
                "Schedule",
                text(format!("{} · {state}", schedule_label(d))),
            ),
            fact(
                app,
                "Limits",
                text(format!(
                    "timeout {} · concurrency {} · retries {} · notify {notify}",
                    crate::console::inspections::symbols::duration(d.timeout_ms),
                    d.concurrency,
                    d.retries
                )),
            ),
            fact(app, "Last run", last),
        ];
        Paragraph::new(lines)
            .block(app.block(format!(" Task {} ", d.name), false))
            .wrap(Wrap { trim: false })
            .render(area, buf);
    }
}

impl Widget for InspectionsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, s) = (self.app, &self.app.inspections);
        match (&s.result, &s.run, &s.runs) {
            (Some(result), Some(run), _) => ResultPane { app, run, result }.render(area, buf),
            (_, Some(run), _) => RunPane { app, run }.render(area, buf),
            (_, _, Some(runs)) => RunsPane { app, runs }.render(area, buf),
            _ => self.tasks(area, buf),
        }
    }
}
