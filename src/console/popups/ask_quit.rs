//! The quit question: what stops when this console goes, and `y`/`n`.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget, Wrap};

use crate::console::app::App;
use crate::console::widgets::centered;

/// Quit? and what it stops.
pub struct AskQuitPopup<'a> {
    /// The app (theme).
    pub app: &'a App,
    /// What stops, one line each.
    pub stops: &'a [String],
}

impl Widget for AskQuitPopup<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = &self.app.config.theme;
        let mut lines = vec![Line::styled("Quitting stops:", t.warn)];
        for s in self.stops {
            lines.push(Line::from(vec![
                Span::styled(" - ", t.muted),
                Span::styled(s.as_str(), t.text),
            ]));
        }
        lines.push(Line::default());
        lines.push(Line::from(vec![
            Span::styled("y", t.key),
            Span::styled(" quit   ", t.text),
            Span::styled("n/Esc", t.key),
            Span::styled(" stay", t.text),
        ]));
        let width = area.width.saturating_sub(4).min(76);
        // Each stop may wrap once at 80 columns.
        let height = u16::try_from(self.stops.len() * 2 + 5).unwrap_or(12);
        let rect = centered(area, width, height);
        Clear.render(rect, buf);
        Paragraph::new(lines)
            .block(self.app.block(" Quit nightwatch? ", true))
            .style(t.popup)
            .wrap(Wrap { trim: false })
            .render(rect, buf);
    }
}
