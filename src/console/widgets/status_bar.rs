//! The bottom line: mode, READ-ONLY badge, database, engine, data freshness and the last message
//! (the keys are on the hint bar above it). Segments are dropped by priority so it always fits in
//! one line.

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
    /// The engine's label.
    pub engine: String,
    /// The engine in a few cells (`eng:in-proc`), used when the label does not fit.
    pub engine_short: &'a str,
    /// `live`, `stale 2m`, `loading`.
    pub freshness: String,
    /// Whether the freshness is bad (stale / no data).
    pub stale: bool,
    /// The last message and whether it is an error.
    pub message: Option<(&'a str, bool)>,
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
        // The engine always shows: when room is tight its long form (priority 1) is swapped for
        // the short one (`eng:in-proc`, priority 7) before anything is dropped.
        segs.push((1, format!(" {} ", self.engine), t.statusbar));
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
        let fixed = |segs: &[(u8, String, Style)]| -> usize {
            segs.iter()
                .map(|(_, s, _)| s.chars().count() + 1)
                .sum::<usize>()
        };
        // Make room for the message: the backend goes (and the engine shortens) for the whole
        // message; mode and freshness only for a third of the width.
        let msg = self.message.map_or(0, |(m, _)| m.chars().count() + 3);
        let need = |prio: u8| if prio <= 5 { msg } else { msg.min(width / 3) };
        while let Some((i, prio)) = segs
            .iter()
            .enumerate()
            .filter(|(_, s)| s.0 < 9)
            .min_by_key(|(_, s)| s.0)
            .map(|(i, s)| (i, s.0))
        {
            if fixed(&segs) + need(prio) <= width {
                break;
            }
            if prio == 1 {
                segs[i] = (7, format!(" {} ", self.engine_short), t.statusbar);
            } else {
                segs.remove(i);
            }
        }
        let mut spans = Vec::new();
        for (_, text, style) in &segs {
            spans.push(Span::styled(text.clone(), *style));
            spans.push(Span::styled(self.glyphs.sep, t.statusbar));
        }
        let used = fixed(&segs);
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
            // Both ends stay: the start says what happened, the end why or what next
            // (`✗ not launched: …connection refused`, `filter: … (3 shown; Esc clears)`).
            let text = keep_ends(&text, room, self.glyphs.ellipsis);
            spans.push(Span::styled(format!("{text:<room$}"), style));
        } else {
            spans.push(Span::styled(" ".repeat(room), t.statusbar));
        }
        Line::from(spans).render(area, buf);
    }
}

/// Cut `s` to `width` columns keeping two thirds from the start (what happened) and a third from
/// the end (why, or what to do next), the cut marked with `ellipsis`.
fn keep_ends(s: &str, width: usize, ellipsis: &str) -> String {
    let n = s.chars().count();
    let e = ellipsis.chars().count();
    if n <= width {
        return s.to_owned();
    }
    if width <= e + 6 {
        return truncate(s, width, ellipsis);
    }
    let tail = (width - e) / 3;
    let head = width - e - tail;
    let start: String = s.chars().take(head).collect();
    let end: String = s.chars().skip(n - tail).collect();
    format!("{start}{ellipsis}{end}")
}
