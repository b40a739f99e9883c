//! A run's live view: the run's state, a progress gauge (finished/all steps), the steps (seq,
//! phase, id, state symbol and word, attempts, duration, message), and the selected step's
//! output below, following its tail or scrolled (with the search hit highlighted).

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{LineGauge, Paragraph, Row, StatefulWidget, Table, TableState, Widget};

use crate::console::app::App;
use crate::console::panes::config::hints;
use crate::console::plans::RunLive;
use crate::console::rows::{danger_span, run_status_span};
use crate::console::widgets::fit;
use crate::domain::Danger;
use crate::domain::time::age;
use crate::store::StepRow;

/// The live view of one run.
pub struct LivePane<'a> {
    /// The app (theme, glyphs, clock).
    pub app: &'a App,
    /// The run.
    pub live: &'a RunLive,
}

fn took(s: &StepRow, now: i64) -> String {
    match (s.started_at, s.finished_at) {
        (0, _) => "-".to_owned(),
        (a, 0) if s.status == "running" => age(a, now),
        (a, b) if b >= a => {
            let ms = b - a;
            if ms < 60_000 {
                format!("{:.1}s", ms as f64 / 1000.0)
            } else {
                age(a, b)
            }
        }
        _ => "-".to_owned(),
    }
}

impl LivePane<'_> {
    fn head(&self, area: Rect, buf: &mut Buffer) {
        let (app, v) = (self.app, self.live);
        let t = &app.config.theme;
        let g = &app.config.glyphs;
        let mut lines = Vec::new();
        match &v.run {
            Some(r) => {
                let d = Danger::parse(&r.danger).unwrap_or(Danger::G3);
                let mut first = vec![
                    danger_span(d, t),
                    Span::styled(format!(" run #{} ", r.id), t.title),
                    Span::styled(format!("{} v{} ", r.plan, r.version), t.text),
                    run_status_span(&r.status, g, t),
                ];
                if r.dry_run {
                    first.push(Span::styled(" · dry run", t.warn));
                }
                if !r.control.is_empty() {
                    first.push(Span::styled(format!(" · {} requested", r.control), t.warn));
                }
                lines.push(Line::from(first));
                let event = if r.event_id > 0 {
                    format!(" · event #{}", r.event_id)
                } else {
                    String::new()
                };
                lines.push(Line::styled(
                    format!(
                        "by {} {} ago{event} · {}",
                        r.requested_by,
                        age(r.created_at, app.now),
                        if r.message.is_empty() {
                            r.reason.as_str()
                        } else {
                            r.message.as_str()
                        }
                    ),
                    t.muted,
                ));
            }
            None => lines.push(Line::styled(format!("run #{} loading…", v.id), t.muted)),
        }
        if let Some(e) = &v.error {
            lines.push(Line::styled(format!("{} {e}", g.error), t.error));
        }
        Paragraph::new(lines).render(area, buf);
    }

    fn gauge(&self, area: Rect, buf: &mut Buffer) {
        let t = &self.app.config.theme;
        let (done, total) = self.live.progress();
        let ratio = if total == 0 {
            0.0
        } else {
            done as f64 / total as f64
        };
        LineGauge::default()
            .ratio(ratio.clamp(0.0, 1.0))
            .label(format!("steps {done}/{total} "))
            .filled_style(t.ok)
            .unfilled_style(t.muted)
            .render(area, buf);
    }

    fn steps(&self, area: Rect, buf: &mut Buffer) {
        let (app, v) = (self.app, self.live);
        let (t, g) = (&app.config.theme, &app.config.glyphs);
        let rows: Vec<Row<'_>> = v
            .steps
            .iter()
            .map(|s| {
                Row::new(vec![
                    Line::from(format!("{:>3}", s.seq)),
                    Line::from(s.phase.clone()),
                    Line::from(s.step_id.clone()),
                    Line::from(run_status_span(&s.status, g, t)),
                    Line::from(format!("{:>2}×", s.attempts)),
                    Line::from(took(s, app.now)),
                    Line::from(s.message.clone()),
                ])
            })
            .collect();
        let header =
            Row::new(["SEQ", "PHASE", "STEP", "STATE", "TRY", "TOOK", "MESSAGE"]).style(t.header);
        let widths = [
            Constraint::Length(3),
            Constraint::Length(9),
            Constraint::Max(22),
            Constraint::Length(12),
            Constraint::Length(3),
            Constraint::Length(6),
            Constraint::Fill(1),
        ];
        let table = Table::new(rows, widths)
            .header(header)
            .column_spacing(1)
            .style(t.text)
            .row_highlight_style(t.selection)
            .highlight_symbol(Line::from(format!("{} ", g.selected)))
            .highlight_spacing(ratatui::widgets::HighlightSpacing::Always)
            .block(app.block(" Steps ", false));
        let mut state = TableState::default().with_selected(Some(v.selected));
        StatefulWidget::render(table, area, buf, &mut state);
    }

    fn output(&self, area: Rect, buf: &mut Buffer) {
        let (app, v) = (self.app, self.live);
        let (t, g) = (&app.config.theme, &app.config.glyphs);
        let lines = v.lines();
        let height = usize::from(area.height.saturating_sub(2));
        let start = if v.follow {
            lines.len().saturating_sub(height)
        } else {
            v.scroll.min(lines.len().saturating_sub(1))
        };
        let needle = v.search.as_deref().map(str::to_lowercase);
        let width = usize::from(area.width.saturating_sub(2));
        let shown: Vec<Line<'_>> = lines
            .iter()
            .skip(start)
            .take(height)
            .map(|l| {
                let hit = needle
                    .as_deref()
                    .is_some_and(|n| !n.is_empty() && l.to_lowercase().contains(n));
                let style = if hit { t.selection } else { t.text };
                Line::styled(fit(l, width, g.ellipsis), style)
            })
            .collect();
        let title = match v.step() {
            Some(s) => format!(
                " Output · step {} {}{} ",
                s.seq,
                s.step_id,
                if v.follow {
                    " · following".to_owned()
                } else {
                    format!(" · line {}/{}", start + 1, lines.len())
                }
            ),
            None => " Output ".to_owned(),
        };
        let ro = app.config.read_only;
        let mut keys: Vec<(&str, &str, bool)> = vec![
            ("f", "follow", false),
            ("/", "search", false),
            ("w", "save", false),
        ];
        if !ro {
            keys.extend([
                ("p", "pause", true),
                ("X", "abort", true),
                ("r", "retry", true),
            ]);
        }
        keys.push(("Esc", "back", false));
        let block = app.block(title, true).title_bottom(hints(app, &keys));
        let body = if shown.is_empty() {
            vec![Line::styled("(no output yet)", t.muted)]
        } else {
            shown
        };
        Paragraph::new(body).block(block).render(area, buf);
    }
}

impl Widget for LivePane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let block = app.block(format!(" Plan run #{} ", self.live.id), true);
        let inner = block.inner(area);
        block.render(area, buf);
        let steps = u16::try_from(self.live.steps.len()).unwrap_or(u16::MAX);
        let head_h = if self.live.error.is_some() { 3 } else { 2 };
        let [head, gauge, list, out] = Layout::vertical([
            Constraint::Length(head_h),
            Constraint::Length(1),
            Constraint::Max(steps.saturating_add(3).max(4)),
            Constraint::Fill(1),
        ])
        .areas(inner);
        self.head(head, buf);
        self.gauge(gauge, buf);
        self.steps(list, buf);
        self.output(out, buf);
    }
}
