//! The Events pane (tab 2): the windowed table of risk events, or one event's detail over it.
//!
//! Only the rows on screen are turned into table rows (DESIGN.md §10); rows of the page not loaded
//! yet show as `…` until their window arrives. The title says which rows of how many are shown,
//! the sort and the filter; the bottom border the keys and how many events are marked.

mod detail;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    HighlightSpacing, Paragraph, Row, StatefulWidget, Table, TableState, Widget, Wrap,
};

use super::config::hints;
use crate::console::app::App;
use crate::console::events::{sort_for_column, sort_label, window};
use crate::console::widgets::{CellCtx, DataToCell};

pub use detail::EventDetailPane;

/// The Events tab.
pub struct EventsPane<'a> {
    /// The app it reads.
    pub app: &'a App,
}

impl EventsPane<'_> {
    fn ctx(&self) -> CellCtx<'_> {
        let c = &self.app.config;
        CellCtx {
            theme: &c.theme,
            glyphs: &c.glyphs,
            now: self.app.now,
            ttl_ms: c.ttl_ms,
        }
    }

    /// ` Risk events 1–22 of 100000 · sort last seen ↓ · /level:P1 `.
    fn title(&self, first: i64, shown: i64) -> Line<'static> {
        let (app, e) = (self.app, &self.app.events);
        let g = &app.config.glyphs;
        let arrow = if e.descending {
            g.descending
        } else {
            g.ascending
        };
        let rows = if e.total == 0 {
            "0".to_owned()
        } else {
            let more = if e.exact { "" } else { "+" };
            format!("{}–{} of {}{more}", first + 1, first + shown, e.total)
        };
        let mut text = format!(" Risk events {rows} · sort {} {arrow} ", sort_label(e.sort));
        let f = app.filter();
        if !f.is_empty() {
            text.push_str(&format!("· /{} ", f.raw));
        }
        Line::from(text)
    }

    fn bottom(&self) -> Line<'static> {
        let (app, e) = (self.app, &self.app.events);
        if let Some(err) = &e.error {
            let g = &app.config.glyphs;
            return Line::styled(format!(" {} {err} ", g.error), app.config.theme.error);
        }
        let mut line = hints(
            app,
            &[
                ("Enter", "detail", false),
                ("x", "plan", true),
                ("a/o/v", "ack/mine/resolve", true),
                ("/", "filter", false),
                ("Space", "mark", false),
                ("m", "actions", false),
                ("s/S", "sort", false),
            ],
        );
        if !e.marks.is_empty() {
            line.spans.push(Span::styled(
                format!("· {} marked ", e.marks.len()),
                app.config.theme.key,
            ));
        }
        line
    }

    fn list(&self, area: Rect, buf: &mut Buffer) {
        let (app, e) = (self.app, &self.app.events);
        let (t, g) = (&app.config.theme, &app.config.glyphs);
        let probe = app.block("", true);
        let inner = probe.inner(area);
        let body = i64::from(inner.height.saturating_sub(1)).max(1);
        let first = window::first_drawn(e.selected, e.scroll, body);
        let shown = (e.total - first).clamp(0, body);
        let block = app
            .block(self.title(first, shown), true)
            .title_bottom(self.bottom());
        if e.total == 0 || !e.loaded {
            let empty = match (&e.error, e.loaded) {
                (Some(err), false) => err.as_str(),
                (_, false) => "loading…",
                _ if e.loaded_gen != e.filter_gen => "loading…",
                _ if app.filter().is_empty() => {
                    "no risk events (suppressed ones are hidden: /status:suppressed)"
                }
                _ => "no event matches the filter (Esc clears it)",
            };
            Paragraph::new(Span::styled(empty, t.muted))
                .wrap(Wrap { trim: true })
                .block(block)
                .render(area, buf);
            return;
        }
        let ctx = self.ctx();
        let columns = app
            .config
            .events_view
            .visible(inner.width.saturating_sub(4));
        let rows: Vec<Row<'_>> = (first..first + shown)
            .map(|pos| match e.row_at(pos) {
                Some(ev) => {
                    let mark = if e.marks.contains(&ev.id) {
                        g.mark
                    } else {
                        " "
                    };
                    let mut cells = vec![Line::styled(mark, t.key)];
                    cells.extend(columns.iter().map(|c| ev.cell(&c.id, &ctx)));
                    Row::new(cells)
                }
                None => Row::new(vec![Line::from(""), Line::styled(g.ellipsis, t.muted)]),
            })
            .collect();
        let arrow = if e.descending {
            g.descending
        } else {
            g.ascending
        };
        let mut header = vec![Line::from("")];
        header.extend(columns.iter().map(|c| {
            if sort_for_column(&c.id) == Some(e.sort) {
                Line::from(format!("{}{arrow}", c.title))
            } else {
                Line::from(c.title.as_str())
            }
        }));
        let mut widths = vec![Constraint::Length(1)];
        widths.extend(columns.iter().map(|c| c.width));
        let table = Table::new(rows, widths)
            .header(Row::new(header).style(t.header))
            .block(block)
            .column_spacing(1)
            .style(t.text)
            .row_highlight_style(t.selection)
            .highlight_symbol(Line::from(format!("{} ", g.selected)))
            .highlight_spacing(HighlightSpacing::Always);
        let selected = usize::try_from(e.selected - first).ok();
        let mut state = TableState::default().with_selected(selected);
        StatefulWidget::render(table, area, buf, &mut state);
    }
}

impl Widget for EventsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        match &self.app.events.detail {
            Some(detail) => EventDetailPane {
                app: self.app,
                detail,
            }
            .render(area, buf),
            None => self.list(area, buf),
        }
    }
}
