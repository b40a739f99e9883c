//! The bottom line: mode, READ-ONLY badge, database, engine, data freshness, the last message, and a
//! key hint. Segments are dropped by priority so it always fits in one line.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::fit::truncate;
use crate::console::glyphs::Glyphs;
use crate::console::theme::Theme;

/// What the status bar shows (all precomputed by the app; the widget only lays it out).
pub struct StatusBar<'a> {
    /// `NORMAL`, `COMMAND`, …
    pub mode: &'a str,
    /// Show the READ-ONLY badge.
    pub read_only: bool,
    /// `sqlite`, `mysql`, `postgres`.
    pub backend: &'a str,
    /// The engine's short label.
    pub engine: String,
    /// `live`, `stale 2m`, `loading`.
    pub freshness: String,
    /// Whether the freshness is bad (stale / no data).
    pub stale: bool,
    /// The last message and whether it is an error.
    pub message: Option<(&'a str, bool)>,
    /// `? help  q quit`.
    pub hint: String,
    /// Styles.
    pub theme: &'a Theme,
    /// Symbols.
    pub glyphs: &'a Glyphs,
}

impl Widget for StatusBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        buf.set_style(area, t.statusbar);
        let width = usize::from(area.width);
        // (priority: lower is dropped first, text, style)
        let mut segs: Vec<(u8, String, Style)> =
            vec![(9, format!(" {} ", self.mode), t.statusbar_mode)];
        if self.read_only {
            segs.push((9, " READ-ONLY ".into(), t.readonly));
        }
        segs.push((5, format!(" {} ", self.backend), t.statusbar));
        segs.push((3, format!(" {} ", self.engine), t.statusbar));
        let fresh_style = if self.stale { t.warn } else { t.statusbar };
        let mark = if self.stale {
            self.glyphs.warn
        } else {
            self.glyphs.alive
        };
        segs.push((
            6,
            format!(" {mark} {} ", self.freshness),
            fresh_style.patch(Style::new()),
        ));
        let hint = (4, format!(" {} ", self.hint), t.muted);
        let fixed = |segs: &[(u8, String, Style)]| -> usize {
            segs.iter()
                .map(|(_, s, _)| s.chars().count() + 1)
                .sum::<usize>()
        };
        // Drop low-priority segments until the fixed ones leave room for a short message.
        let min_msg = self
            .message
            .map_or(0, |(m, _)| (m.chars().count() + 3).min(width / 2));
        let mut with_hint = segs.clone();
        with_hint.push(hint);
        let mut segs = with_hint;
        while fixed(&segs) + min_msg > width {
            match segs
                .iter()
                .enumerate()
                .filter(|(_, s)| s.0 < 9)
                .min_by_key(|(_, s)| s.0)
            {
                Some((i, _)) => {
                    segs.remove(i);
                }
                None => break,
            }
        }
        let hint = segs.iter().position(|s| s.0 == 4).map(|i| segs.remove(i));
        let mut spans = Vec::new();
        for (_, text, style) in &segs {
            spans.push(Span::styled(text.clone(), *style));
            spans.push(Span::styled(self.glyphs.sep, t.statusbar));
        }
        let used = fixed(&segs) + hint.as_ref().map_or(0, |h| h.1.chars().count());
        let room = width.saturating_sub(used);
        if let Some((text, is_error)) = self.message {
            let (mark, style) = if is_error {
                (self.glyphs.error, t.error)
            } else {
                ("", t.statusbar)
            };
            let text = if mark.is_empty() {
                format!(" {text}")
            } else {
                format!(" {mark} {text}")
            };
            let text = truncate(&text, room, self.glyphs.ellipsis);
            spans.push(Span::styled(format!("{text:<room$}"), style));
        } else {
            spans.push(Span::styled(" ".repeat(room), t.statusbar));
        }
        if let Some((_, text, style)) = hint {
            spans.push(Span::styled(text, style.patch(t.statusbar).patch(t.muted)));
        }
        Line::from(spans).render(area, buf);
    }
}
