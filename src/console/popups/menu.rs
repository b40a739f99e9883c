//! The action menu popup.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Widget};

use crate::console::app::App;
use crate::console::menu::MenuState;
use crate::console::widgets::{centered, truncate};

/// The action menu.
pub struct MenuPopup<'a> {
    /// The app (theme, glyphs).
    pub app: &'a App,
    /// The menu.
    pub menu: &'a MenuState,
}

impl Widget for MenuPopup<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (t, g) = (&self.app.config.theme, &self.app.config.glyphs);
        let width: u16 = 50;
        let inner = usize::from(width.min(area.width).saturating_sub(4));
        let mut lines: Vec<Line<'static>> = self
            .menu
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let text = truncate(&item.label, inner, g.ellipsis);
                if i == self.menu.selected {
                    Line::styled(format!("{} {text}", g.selected), t.selection)
                } else {
                    Line::styled(format!("  {text}"), t.text)
                }
            })
            .collect();
        if let Some(note) = &self.menu.note {
            lines.push(Line::styled(
                truncate(&format!("  {note}"), inner + 2, g.ellipsis),
                t.muted,
            ));
        }
        let height = u16::try_from(lines.len()).unwrap_or(10) + 2;
        let rect = centered(area, width, height);
        let title = format!(
            " Actions: {} ",
            truncate(&self.menu.title, inner.saturating_sub(10), g.ellipsis)
        );
        Clear.render(rect, buf);
        Paragraph::new(lines)
            .block(self.app.block(title, true))
            .style(t.popup)
            .render(rect, buf);
    }
}
