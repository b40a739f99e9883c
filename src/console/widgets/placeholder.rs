//! An honest placeholder for a pane whose data does not exist yet: what it will show, which module
//! brings it, and what is already known. Never an empty box.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use crate::console::theme::Theme;

/// The text of a placeholder pane.
pub struct Placeholder<'a> {
    /// The block around it (with the pane title).
    pub block: Block<'a>,
    /// The headline (`No risk events yet`).
    pub headline: &'a str,
    /// Paragraphs below it.
    pub body: Vec<Line<'a>>,
    /// Styles.
    pub theme: &'a Theme,
}

impl Widget for Placeholder<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let mut lines = vec![
            Line::from(Span::styled(self.headline, self.theme.title)),
            Line::from(""),
        ];
        lines.extend(self.body);
        Paragraph::new(lines)
            .block(self.block)
            .wrap(Wrap { trim: false })
            .render(area, buf);
    }
}
