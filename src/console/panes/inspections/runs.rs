//! One task's runs, newest first: status, trigger, who asked, when, how long, results per verdict.
//! Only the newest page is loaded (more as the selection nears its end); only the visible rows
//! are drawn.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::{ctx, error_line};
use crate::console::app::App;
use crate::console::inspections::RunsView;
use crate::console::panes::config::hints;
use crate::console::widgets::DataTable;

/// The runs screen.
pub struct RunsPane<'a> {
    /// The app (theme, clock, views).
    pub app: &'a App,
    /// What is shown.
    pub runs: &'a RunsView,
}

impl Widget for RunsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, r) = (self.app, self.runs);
        let loaded = r.rows.len();
        let count = if i64::try_from(loaded).unwrap_or(i64::MAX) >= r.total {
            format!("{}", r.total)
        } else {
            format!("newest {loaded} of {}", r.total)
        };
        let title = format!(" Inspections › {} › runs {count} ", r.task);
        let bottom = error_line(app, r.error.as_ref()).unwrap_or_else(|| {
            hints(
                app,
                &[
                    ("Enter", "matrix", false),
                    ("r", "run now", true),
                    ("Esc", "back", false),
                ],
            )
        });
        let indices: Vec<usize> = (0..loaded).collect();
        let empty = match (&r.error, r.loaded) {
            (Some(e), false) => e.as_str(),
            (_, false) => "loading…",
            _ => "no runs yet: x runs the task now",
        };
        DataTable {
            block: app.block(title, true).title_bottom(bottom),
            rows: &r.rows,
            indices: &indices,
            view: &app.config.inspection_runs_view,
            selected: Some(r.selected),
            empty,
            ctx: ctx(app),
        }
        .render(area, buf);
    }
}
