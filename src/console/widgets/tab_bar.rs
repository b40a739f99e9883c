//! The top line: the product name and the tabs with their keys. Abbreviates on narrow terminals.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use strum::IntoEnumIterator;

use crate::console::tab::Tab;
use crate::console::theme::Theme;

/// The tab line.
pub struct TabBar<'a> {
    /// The active tab.
    pub active: Tab,
    /// Styles.
    pub theme: &'a Theme,
    /// Separator glyph.
    pub sep: &'a str,
    /// The Events tab flashes (reverse video) until visited: new P0/P1 events arrived.
    pub flash_events: bool,
}

impl TabBar<'_> {
    fn line(&self, brand: bool, short: bool) -> Line<'static> {
        let mut spans = Vec::new();
        if brand {
            spans.push(Span::styled(" nightwatch ", self.theme.title));
            spans.push(Span::styled(self.sep.to_owned(), self.theme.muted));
        }
        for (i, tab) in Tab::iter().enumerate() {
            let name = tab.to_string();
            let name = if short {
                name.chars().take(3).collect()
            } else {
                name
            };
            let style = if tab == self.active {
                self.theme.tab_active
            } else if tab == Tab::Events && self.flash_events {
                // Reverse video reads without colour (NO_COLOR keeps modifiers).
                self.theme.level[0].add_modifier(Modifier::REVERSED | Modifier::BOLD)
            } else {
                self.theme.tab
            };
            spans.push(Span::raw(if spans.is_empty() { " " } else { "  " }));
            spans.push(Span::styled(format!("{} {name}", i + 1), style));
        }
        Line::from(spans)
    }
}

impl Widget for TabBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let width = usize::from(area.width);
        let line = [(true, false), (false, false), (false, true)]
            .into_iter()
            .map(|(brand, short)| self.line(brand, short))
            .find(|l| l.width() <= width)
            .unwrap_or_else(|| self.line(false, true));
        line.render(area, buf);
    }
}
