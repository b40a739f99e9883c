//! The Plans pane (tab 5): the plan catalogue with danger badges above the newest runs (Tab moves
//! the selection between them); Enter on a plan opens its launch form, Enter on a run its live
//! view (steps, progress gauge, the selected step's output).

mod form;
mod live;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Widget;

use super::config::hints;
use crate::console::app::App;
use crate::console::plans::Section;
use crate::console::widgets::{CellCtx, DataTable};

use form::FormPane;
use live::LivePane;

/// The Plans tab.
pub struct PlansPane<'a> {
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

impl PlansPane<'_> {
    /// Where the cursor goes in the launch form (`area`: the pane's area).
    pub fn form_cursor(
        form: &crate::console::plans::LaunchForm,
        area: Rect,
    ) -> Option<ratatui::layout::Position> {
        FormPane::cursor(form, area)
    }

    fn lists(&self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let s = &app.plans;
        let t = &app.config.theme;
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(45), Constraint::Fill(1)]).areas(area);
        let all_plans: Vec<usize> = (0..s.plans.len()).collect();
        let all_runs: Vec<usize> = (0..s.runs.len()).collect();
        let focus = s.section;
        let err = s
            .error
            .as_ref()
            .map(|e| Line::styled(format!(" {} {e} ", app.config.glyphs.error), t.error));
        let plans_hint = err.clone().unwrap_or_else(|| {
            hints(
                app,
                &[
                    ("Enter", "launch", true),
                    ("→", "runs", false),
                    ("/", "filter", false),
                    ("?", "help", false),
                ],
            )
        });
        let empty_plans = if s.loaded {
            "no plans: `nightwatch apply FILE` adds some (the built-in library is applied on first start)"
        } else {
            "loading…"
        };
        DataTable {
            block: app
                .block(
                    format!(" Plans {} ", s.plans.len()),
                    focus == Section::Catalogue,
                )
                .title_bottom(plans_hint),
            rows: &s.plans,
            indices: &all_plans,
            view: &app.config.plans_view,
            selected: (focus == Section::Catalogue).then_some(s.plan_sel),
            empty: empty_plans,
            ctx: ctx(app),
        }
        .render(top, buf);
        let runs_hint = hints(
            app,
            &[("Enter", "live view", false), ("←", "catalogue", false)],
        );
        DataTable {
            block: app
                .block(format!(" Runs {} ", s.runs.len()), focus == Section::Runs)
                .title_bottom(runs_hint),
            rows: &s.runs,
            indices: &all_runs,
            view: &app.config.plan_runs_view,
            selected: (focus == Section::Runs).then_some(s.run_sel),
            empty: if s.loaded {
                "no runs yet"
            } else {
                "loading…"
            },
            ctx: ctx(app),
        }
        .render(bottom, buf);
    }
}

impl Widget for PlansPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        match (&app.plans.form, &app.plans.live) {
            (Some(form), _) => FormPane { app, form }.render(area, buf),
            (_, Some(live)) => LivePane { app, live }.render(area, buf),
            _ => self.lists(area, buf),
        }
    }
}
