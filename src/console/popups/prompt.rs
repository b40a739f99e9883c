//! The prompt line above the status bar: `:` command or `/` filter, with completion candidates.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::console::app::{Prompt, PromptKind};
use crate::console::glyphs::Glyphs;
use crate::console::theme::Theme;
use crate::console::widgets::truncate;

/// The open prompt.
pub struct PromptLine<'a> {
    /// What is typed.
    pub prompt: &'a Prompt,
    /// Styles.
    pub theme: &'a Theme,
    /// Symbols.
    pub glyphs: &'a Glyphs,
}

impl Widget for PromptLine<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let sigil = self.prompt.kind.sigil();
        let text = self.prompt.input.text();
        let mut spans = vec![
            Span::styled(sigil, t.key),
            Span::styled(text.to_owned(), t.prompt),
        ];
        let used = text.chars().count() + sigil.chars().count();
        let room = usize::from(area.width).saturating_sub(used + 3);
        if !self.prompt.candidates.is_empty() && room > 4 {
            let list = self.prompt.candidates.join(" ");
            spans.push(Span::styled(
                format!("   {}", truncate(&list, room, self.glyphs.ellipsis)),
                t.muted,
            ));
        } else if self.prompt.kind == PromptKind::Filter && text.is_empty() && room > 30 {
            spans.push(Span::styled("   words, key:value, -key:value", t.muted));
        }
        Line::from(spans).render(area, buf);
    }
}
