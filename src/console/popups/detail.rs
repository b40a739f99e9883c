//! The detail popup: every field of the selected row, untruncated where it fits.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget, Wrap};

use crate::console::app::App;
use crate::console::widgets::centered;

/// The detail of one row.
pub struct DetailPopup<'a> {
    /// The app (theme).
    pub app: &'a App,
    /// The popup title.
    pub title: &'a str,
    /// (label, value) lines.
    pub lines: &'a [(String, String)],
}

impl Widget for DetailPopup<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = &self.app.config.theme;
        let lines: Vec<Line<'_>> = self
            .lines
            .iter()
            .map(|(k, v)| {
                Line::from(vec![
                    Span::styled(format!("{k:<10} "), t.muted),
                    Span::styled(v.as_str(), t.text),
                ])
            })
            .collect();
        let height = u16::try_from(lines.len()).unwrap_or(10) + 2;
        let rect = centered(area, 76, height);
        Clear.render(rect, buf);
        Paragraph::new(lines)
            .block(self.app.block(format!(" {} ", self.title), true))
            .style(t.popup)
            .wrap(Wrap { trim: false })
            .render(rect, buf);
    }
}
