//! A key's history: its versions (newest first: version, time, author, action, reason) and the
//! masked diff of the selected one from the version before it.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

use super::editor::diff_lines;
use super::hints;
use crate::console::app::App;
use crate::console::sysconf::HistoryState;
use crate::console::widgets::truncate;
use crate::domain::time::format_utc;

/// The history screen.
pub struct HistoryPane<'a> {
    /// The app it reads.
    pub app: &'a App,
    /// The history.
    pub history: &'a HistoryState,
}

impl Widget for HistoryPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let (t, g) = (&app.config.theme, &app.config.glyphs);
        let h = self.history;
        let hint = hints(
            app,
            &[
                ("j/k", "select", false),
                ("r", "roll back to it", true),
                ("PgDn", "scroll diff", false),
                ("Esc", "close", false),
            ],
        );
        let entries = match (&h.entries, &h.error) {
            (_, Some(e)) => {
                let line = Line::styled(format!("{} {e}", g.error), t.error);
                let block = app.block(format!(" History of {} ", h.key), true);
                Paragraph::new(line).block(block).render(area, buf);
                return;
            }
            (None, None) => {
                let block = app.block(format!(" History of {} ", h.key), true);
                Paragraph::new(Line::styled("loading…", t.muted))
                    .block(block)
                    .render(area, buf);
                return;
            }
            (Some(e), None) => e,
        };
        let list_h = u16::try_from(entries.len().max(1) + 2)
            .unwrap_or(u16::MAX)
            .min(area.height / 3 + 1);
        let [top, bottom] =
            Layout::vertical([Constraint::Length(list_h), Constraint::Fill(1)]).areas(area);
        let width = usize::from(top.width.saturating_sub(4));
        let body = usize::from(list_h.saturating_sub(2)).max(1);
        let offset = (h.selected + 1).saturating_sub(body);
        let mut lines: Vec<Line<'static>> = Vec::new();
        if entries.is_empty() {
            lines.push(Line::styled("never saved: the documented default", t.muted));
        }
        for (i, e) in entries.iter().enumerate().skip(offset).take(body) {
            let current = if i == 0 { " (current)" } else { "" };
            let text = format!(
                "v{:<3} {} {:<16} {:<8} {}{current}",
                e.version,
                format_utc(e.updated_at),
                truncate(&e.updated_by, 16, g.ellipsis),
                e.action,
                e.reason
            );
            let text = truncate(&text, width, g.ellipsis);
            lines.push(if i == h.selected {
                Line::styled(format!("{} {text}", g.selected), t.selection)
            } else {
                Line::styled(format!("  {text}"), t.text)
            });
        }
        let title = format!(" History of {} · {} versions ", h.key, entries.len());
        Paragraph::new(lines)
            .block(app.block(title, true))
            .render(top, buf);
        let (title, diff) = match h.selected_entry() {
            Some(e) if e.version == 1 => (" v1 (first saved value) ".to_owned(), &e.diff),
            Some(e) => (
                format!(" Change v{} → v{} ", e.version - 1, e.version),
                &e.diff,
            ),
            None => (" Change ".to_owned(), &Vec::new()),
        };
        let width = usize::from(bottom.width.saturating_sub(2));
        Paragraph::new(diff_lines(app, diff, width))
            .block(app.block(title, false).title_bottom(hint))
            .scroll((h.scroll, 0))
            .render(bottom, buf);
    }
}
