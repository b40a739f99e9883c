//! The hint bar: one line above the status bar with the keys of whatever has the keyboard
//! (`x launch  a ack  / filter  ? help`), k9s / lazygit style. Whole entries are dropped from the
//! end when the line is too narrow, never cut in the middle; `?` always has the rest.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::console::theme::Theme;

/// The keys to show, `(key, what it does)`, most useful first.
pub struct HintBar<'a> {
    /// The entries.
    pub hints: &'a [(String, &'static str)],
    /// Styles.
    pub theme: &'a Theme,
}

impl Widget for HintBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        buf.set_style(area, t.text);
        let width = usize::from(area.width);
        let mut used = 0;
        let mut spans = Vec::new();
        for (key, label) in self.hints {
            let n = key.chars().count() + label.chars().count() + 3;
            if used + n > width {
                break;
            }
            used += n;
            spans.push(Span::styled(format!(" {key}"), t.key));
            spans.push(Span::styled(format!(" {label} "), t.muted));
        }
        Line::from(spans).render(area, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(hints: &[(String, &'static str)], width: u16) -> String {
        let theme = Theme::default();
        let area = Rect::new(0, 0, width, 1);
        let mut buf = Buffer::empty(area);
        HintBar {
            hints,
            theme: &theme,
        }
        .render(area, &mut buf);
        (0..width)
            .map(|x| buf[(x, 0)].symbol().to_owned())
            .collect::<String>()
    }

    #[test]
    fn entries_that_do_not_fit_are_dropped_whole() {
        let hints = vec![
            ("x".to_owned(), "launch"),
            ("a".to_owned(), "ack"),
            ("?".to_owned(), "help"),
        ];
        assert_eq!(line(&hints, 30).trim_end(), " x launch  a ack  ? help");
        assert_eq!(line(&hints, 17).trim_end(), " x launch  a ack");
        assert_eq!(line(&hints, 16).trim_end(), " x launch");
    }
}
