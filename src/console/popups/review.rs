//! A configuration change's confirmation: the side-by-side diff of the masked old and new values,
//! the notes (a version-gated key whose `version` was not raised warns that the change will not
//! take effect), and the G2 reason field. Also says where the terminal cursor goes.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget};

use crate::console::app::App;
use crate::console::confirm::ConfirmState;
use crate::console::sysconf::{Review, SideRow};
use crate::console::widgets::{fit, truncate};

const LABEL: u16 = 8;

/// The review and confirmation of a configuration change.
pub struct ReviewPopup<'a> {
    /// The app (theme, glyphs).
    pub app: &'a App,
    /// The confirmation.
    pub state: &'a ConfirmState,
    /// Its review.
    pub review: &'a Review,
}

/// The popup's rectangle: nearly the whole screen.
fn rect(area: Rect) -> Rect {
    let w = area
        .width
        .saturating_sub(4)
        .min(140)
        .max(area.width.min(20));
    let h = area.height.saturating_sub(2);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

impl ReviewPopup<'_> {
    /// Where the cursor goes in the reason field.
    pub fn cursor(state: &ConfirmState, area: Rect) -> Option<Position> {
        let r = rect(area);
        let col = u16::try_from(state.reason.cursor()).unwrap_or(u16::MAX);
        let x = (r.x + 1 + LABEL + col).min(r.right().saturating_sub(2));
        Some(Position::new(x, r.bottom().saturating_sub(3)))
    }

    fn side(&self, row: &SideRow, width: usize) -> Line<'static> {
        let (t, g) = (&self.app.config.theme, &self.app.config.glyphs);
        let cell = |text: &Option<String>, mark: char, style: Style| {
            let s = text
                .as_deref()
                .map_or(String::new(), |s| format!("{mark} {s}"));
            Span::styled(
                format!("{:<width$}", truncate(&s, width, g.ellipsis)),
                style,
            )
        };
        let (lm, rm, ls, rs) = match row.tag {
            ' ' => (' ', ' ', t.muted, t.muted),
            '~' => ('-', '+', t.error, t.ok),
            '-' => ('-', ' ', t.error, t.muted),
            _ => (' ', '+', t.muted, t.ok),
        };
        Line::from(vec![
            cell(&row.left, lm, ls),
            Span::styled(format!(" {} ", g.sep), t.border),
            cell(&row.right, rm, rs),
        ])
    }
}

impl Widget for ReviewPopup<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (t, g) = (&self.app.config.theme, &self.app.config.glyphs);
        let (s, r) = (self.state, self.review);
        let rect = rect(area);
        let badge = t.level[1];
        let block = self
            .app
            .block(" Review and confirm ", true)
            .border_style(badge);
        let inner = block.inner(rect);
        Clear.render(rect, buf);
        block.style(t.popup).render(rect, buf);
        let notes = u16::try_from(r.notes.len()).unwrap_or(0);
        let [head, diff, notes_area, reason, hint] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Fill(1),
            Constraint::Length(notes),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(inner);
        let width = usize::from(inner.width);
        let half = width.saturating_sub(3) / 2;
        let heading = Line::from(vec![
            Span::styled(format!(" {} ", s.danger()), badge),
            Span::styled(format!(" {}: {}", s.op.label(), s.op.target()), t.title),
        ]);
        let titles = Line::styled(
            format!(
                "{:<half$}   {}",
                truncate(&r.left_title, half, g.ellipsis),
                r.right_title
            ),
            t.header,
        );
        Paragraph::new(vec![heading, titles]).render(head, buf);
        let rows: Vec<Line<'static>> = r
            .rows
            .iter()
            .skip(r.scroll)
            .take(usize::from(diff.height))
            .map(|row| self.side(row, half))
            .collect();
        Paragraph::new(rows).render(diff, buf);
        let notes: Vec<Line<'static>> = r
            .notes
            .iter()
            .map(|n| {
                let (mark, style) = if n.warning {
                    (g.warn, t.warn)
                } else {
                    ("i", t.text)
                };
                Line::styled(
                    truncate(&format!("{mark} {}", n.text), width, g.ellipsis),
                    style,
                )
            })
            .collect();
        Paragraph::new(notes).render(notes_area, buf);
        let field = usize::from(inner.width.saturating_sub(LABEL));
        Paragraph::new(Line::from(vec![
            Span::styled(format!("{:<w$}", "reason", w = usize::from(LABEL)), t.muted),
            Span::styled(
                format!("{:<field$}", fit(s.reason.text(), field, g.ellipsis)),
                t.selection,
            ),
        ]))
        .render(reason, buf);
        let msg = s.error.as_ref().map_or_else(
            || Span::styled("Enter save · ↑/↓ scroll the diff · Esc back", t.muted),
            |e| Span::styled(format!("{} {e}", g.error), t.error),
        );
        Paragraph::new(Line::from(msg)).render(hint, buf);
    }
}
