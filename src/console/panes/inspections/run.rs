//! One run as a matrix: a row per rule, a column per target, each cell the verdict's symbol
//! (`✓ pass ▲ warn ✗ fail ? error ⊘ unreach` (cannot reach host), `-` no result). A matrix wider
//! or taller than the pane scrolls to keep the selected cell in view, with `‹ n` / `n ›` saying
//! what is off screen. Under it, the selected cell's result in one line.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::{ctx, error_line, fact};
use crate::console::app::App;
use crate::console::inspections::grid::{columns_shown, rows_shown};
use crate::console::inspections::symbols::{
    duration, reason, run_span, summary_error, verdict_span, verdict_style, verdict_symbol,
};
use crate::console::inspections::{RunView, is_active};
use crate::console::panes::config::hints;
use crate::console::rows::{counts_line, run_duration};
use crate::console::widgets::truncate;
use crate::domain::EngineState;
use crate::domain::time::format_utc;

/// The run screen.
pub struct RunPane<'a> {
    /// The app (theme, glyphs, clock).
    pub app: &'a App,
    /// What is shown.
    pub run: &'a RunView,
}

/// `text` cut or padded to exactly `width` cells.
fn cell(text: &str, width: usize, ellipsis: &str) -> String {
    format!("{:<width$}", truncate(text, width, ellipsis))
}

impl RunPane<'_> {
    /// Who, when, how long, the counts; or why there is nothing to show yet.
    fn head(&self, width: usize) -> Vec<Line<'static>> {
        let (app, v) = (self.app, self.run);
        let t = &app.config.theme;
        let c = ctx(app);
        let Some(run) = &v.run else {
            return vec![Line::styled("loading…", t.muted)];
        };
        let (label, when) = if run.started_at > 0 {
            (
                "Started",
                format!(
                    "{} UTC · took {}",
                    format_utc(run.started_at),
                    run_duration(run, app.now)
                ),
            )
        } else {
            (
                "Queued",
                format!("{} UTC · not started", format_utc(run.created_at)),
            )
        };
        let who = format!("{} by {}", run.trigger, run.requested_by);
        let mut lines = vec![
            fact(
                app,
                "Requested",
                vec![Span::styled(truncate(&who, width, "…"), t.text)],
            ),
            fact(app, label, vec![Span::styled(when, t.text)]),
            fact(app, "Results", counts_line(&run.summary, &c).spans),
        ];
        if let Some(e) = summary_error(&run.summary) {
            lines.push(Line::styled(format!("{} {e}", c.glyphs.error), t.error));
        }
        if run.status == "queued" {
            let engine = match &app.engine {
                EngineState::InProcess { .. } | EngineState::External { .. } => {
                    "waiting for an engine to claim it".to_owned()
                }
                other => format!(
                    "waiting for an engine ({}): start one with `nightwatch serve`",
                    other.label()
                ),
            };
            lines.push(Line::styled(engine, t.warn));
        } else if is_active(&run.status) {
            lines.push(Line::styled(
                format!("running… {} results so far", v.results.len()),
                t.key,
            ));
        }
        lines
    }

    /// The matrix in `height` lines of `width` cells: a header of targets, a row per rule.
    fn matrix(&self, width: u16, height: u16) -> Vec<Line<'static>> {
        let (app, v) = (self.app, self.run);
        let (t, g) = (&app.config.theme, &app.config.glyphs);
        let grid = &v.grid;
        if grid.rules.is_empty() || grid.targets.is_empty() {
            let what = if v.run.as_ref().is_some_and(|r| is_active(&r.status)) {
                "no results yet"
            } else {
                "this run has no results"
            };
            return vec![Line::styled(what, t.muted)];
        }
        let longest = grid.rules.iter().map(|r| r.chars().count()).max();
        let rule_w = longest
            .unwrap_or(4)
            .clamp(6, usize::from(width / 3).max(12));
        let widths: Vec<u16> = grid
            .targets
            .iter()
            .map(|x| u16::try_from(x.chars().count().clamp(3, 16)).unwrap_or(16))
            .collect();
        // Room for the selection mark and the rule column, `‹n ` on the left and `nn›` on the
        // right (a wider count than that would be a matrix no one reads on a terminal anyway).
        let rule_cells = u16::try_from(rule_w + 3).unwrap_or(u16::MAX);
        let avail = width.saturating_sub(rule_cells + 3 + 4);
        let cols = columns_shown(&widths, v.col, avail);
        let rows = rows_shown(
            v.row,
            grid.rules.len(),
            usize::from(height.saturating_sub(2)),
        );
        let left = cols.start;
        let right = grid.targets.len() - cols.end;
        let mut header = vec![Span::styled(
            format!("  {} ", cell("RULE", rule_w, g.ellipsis)),
            t.header,
        )];
        header.push(Span::styled(
            if left > 0 {
                format!("‹{left:<2}")
            } else {
                "   ".to_owned()
            },
            t.muted,
        ));
        for i in cols.clone() {
            let w = usize::from(widths[i]);
            header.push(Span::styled(
                format!("{} ", cell(&grid.targets[i], w, g.ellipsis)),
                t.header,
            ));
        }
        if right > 0 {
            header.push(Span::styled(format!("{right}›"), t.muted));
        }
        let mut lines = vec![Line::from(header)];
        for row in rows.clone() {
            let on_row = row == v.row;
            let mark = if on_row { g.selected } else { " " };
            let label_style = if on_row { t.key } else { t.text };
            let mut spans = vec![
                Span::styled(format!("{mark} "), t.key),
                Span::styled(
                    format!("{} ", cell(&grid.rules[row], rule_w, g.ellipsis)),
                    label_style,
                ),
                Span::raw("   "),
            ];
            for col in cols.clone() {
                let w = usize::from(widths[col]);
                let (symbol, style) = match grid.cell(row, col).and_then(|i| v.results.get(i)) {
                    Some((_, r)) => (verdict_symbol(&r.verdict, g), verdict_style(&r.verdict, t)),
                    None => ("-", t.muted),
                };
                let style: Style = if on_row && col == v.col {
                    t.selection
                } else {
                    style
                };
                let pad = (w - 1) / 2;
                spans.push(Span::styled(
                    format!("{:pad$}{symbol}{:rest$}", "", "", rest = w - 1 - pad),
                    style,
                ));
                spans.push(Span::raw(" "));
            }
            lines.push(Line::from(spans));
        }
        let below = grid.rules.len() - rows.end;
        if below > 0 || rows.start > 0 {
            lines.push(Line::styled(
                format!(
                    "  rules {}–{} of {} (j/k)",
                    rows.start + 1,
                    rows.end,
                    grid.rules.len()
                ),
                t.muted,
            ));
        }
        lines
    }

    /// The selected cell in one line: `host-cpu × local-host  ✗ fail · [CPU] <= 80 is false`.
    fn selected(&self) -> Vec<Line<'static>> {
        let (app, v) = (self.app, self.run);
        let (t, g) = (&app.config.theme, &app.config.glyphs);
        let (Some(rule), Some(target)) = (v.grid.rules.get(v.row), v.grid.targets.get(v.col))
        else {
            return Vec::new();
        };
        let mut spans = vec![Span::styled(format!("{rule} × {target}  "), t.title)];
        match v.selected_result() {
            Some(r) => {
                spans.push(verdict_span(&r.verdict, g, t));
                spans.push(Span::styled(
                    format!(
                        " · {} · {}",
                        reason(&r.verdict, &r.message),
                        duration(r.duration_ms)
                    ),
                    t.text,
                ));
            }
            None => spans.push(Span::styled("no result", t.muted)),
        }
        vec![Line::from(spans)]
    }
}

impl Widget for RunPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, v) = (self.app, self.run);
        let (t, g) = (&app.config.theme, &app.config.glyphs);
        let mut title = vec![Span::raw(format!(" Inspections › run #{}", v.id))];
        if let Some(run) = &v.run {
            title.push(Span::raw(format!(" of {} · ", run.task)));
            title.push(run_span(&run.status, g, t));
        }
        title.push(Span::raw(" "));
        let bottom = error_line(app, v.error.as_ref()).unwrap_or_else(|| {
            hints(
                app,
                &[
                    ("Enter", "result", false),
                    ("←/→ j/k", "cell", false),
                    ("r", "re-run", true),
                    ("Esc", "back", false),
                ],
            )
        });
        let block = app.block(Line::from(title), true).title_bottom(bottom);
        let inner = block.inner(area);
        block.render(area, buf);
        let mut lines = self.head(usize::from(inner.width).saturating_sub(10));
        lines.push(Line::default());
        let selected = self.selected();
        let used = u16::try_from(lines.len() + selected.len() + 1).unwrap_or(u16::MAX);
        let room = inner.height.saturating_sub(used).max(3);
        lines.extend(self.matrix(inner.width, room));
        if !selected.is_empty() {
            lines.push(Line::default());
            lines.extend(selected);
        }
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(inner, buf);
    }
}
