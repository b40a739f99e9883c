//! The confirmation popup: the operation, its target and danger, and what must be typed (G2 a
//! reason; G3 the target's name and a reason). Also says where the terminal cursor goes.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget};

use crate::console::action::Operation;
use crate::console::app::App;
use crate::console::confirm::{ConfirmState, Field};
use crate::console::widgets::{centered, fit};
use crate::domain::Danger;

const WIDTH: u16 = 64;

/// An open confirmation.
pub struct ConfirmPopup<'a> {
    /// The app (theme, glyphs).
    pub app: &'a App,
    /// The confirmation.
    pub state: &'a ConfirmState,
}

fn height(state: &ConfirmState) -> u16 {
    match state.danger() {
        Danger::G1 => 6,
        Danger::G2 => 9,
        Danger::G3 => 11,
    }
}

/// Rows (from the popup's top border) of the two fields.
fn field_row(state: &ConfirmState, field: Field) -> u16 {
    match (state.danger(), field) {
        (Danger::G3, Field::Target) => 5,
        (Danger::G3, Field::Reason) => 7,
        _ => 5,
    }
}

const LABEL: u16 = 13;

/// A plan launch asking for text (G2, G3) shows every resolved operation.
fn plan_ops(state: &ConfirmState) -> Option<&[String]> {
    match &state.op {
        Operation::LaunchPlan(l) if state.danger() != Danger::G1 => Some(&l.ops),
        _ => None,
    }
}

impl ConfirmPopup<'_> {
    /// Where the cursor goes while typing into a field.
    pub fn cursor(state: &ConfirmState, area: Rect) -> Option<Position> {
        if state.review.is_some() {
            return super::ReviewPopup::cursor(state, area);
        }
        if let Some(ops) = plan_ops(state) {
            return super::PlanReviewPopup::cursor(state, ops.len(), area);
        }
        if state.danger() == Danger::G1 {
            return None;
        }
        let rect = centered(area, WIDTH, height(state));
        let input = match state.focus {
            Field::Target => &state.target,
            Field::Reason => &state.reason,
        };
        let col = u16::try_from(input.cursor()).unwrap_or(u16::MAX);
        let x = (rect.x + 1 + LABEL + col).min(rect.right().saturating_sub(2));
        Some(Position::new(x, rect.y + field_row(state, state.focus)))
    }
}

impl Widget for ConfirmPopup<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if let Some(review) = &self.state.review {
            let (app, state) = (self.app, self.state);
            return super::ReviewPopup { app, state, review }.render(area, buf);
        }
        if let Some(ops) = plan_ops(self.state) {
            let (app, state) = (self.app, self.state);
            return super::PlanReviewPopup { app, state, ops }.render(area, buf);
        }
        let (t, g) = (&self.app.config.theme, &self.app.config.glyphs);
        let s = self.state;
        let danger = s.danger();
        let rect = centered(area, WIDTH, height(s));
        let inner = usize::from(rect.width.saturating_sub(2));
        let badge = match danger {
            Danger::G1 => t.level[3],
            Danger::G2 => t.level[1],
            Danger::G3 => t.level[0],
        };
        // A plan launch (a dry run here) names the plan and the host it acts on.
        let (title, label, target) = match &s.op {
            Operation::LaunchPlan(l) => (
                format!(" {} {}", s.op.label(), l.plan),
                "on host",
                l.host.clone().unwrap_or_else(|| l.target.clone()),
            ),
            op => (format!(" {}", op.label()), "target", op.target().to_owned()),
        };
        let mut lines = vec![
            Line::from(vec![
                Span::styled(format!(" {danger} "), badge),
                Span::styled(title, t.title),
            ]),
            Line::from(vec![
                Span::styled(format!("{label:<w$}", w = usize::from(LABEL)), t.muted),
                Span::styled(fit(&target, inner.saturating_sub(13), g.ellipsis), t.text),
            ]),
            Line::from(""),
        ];
        let field = |label: &str, text: &str, focused: bool| {
            let style = if focused { t.selection } else { t.prompt };
            let width = inner.saturating_sub(usize::from(LABEL));
            Line::from(vec![
                Span::styled(format!("{label:<w$}", w = usize::from(LABEL)), t.muted),
                Span::styled(format!("{:<width$}", fit(text, width, g.ellipsis)), style),
            ])
        };
        match danger {
            Danger::G1 => lines.push(Line::from("Proceed? y = yes, n or Esc = no")),
            Danger::G2 => {
                lines.push(Line::styled(
                    "G2: give a reason (kept in the audit log).",
                    t.text,
                ));
                lines.push(field("reason", s.reason.text(), true));
            }
            Danger::G3 => {
                lines.push(Line::styled(
                    "G3: type the target's name, then a reason.",
                    t.text,
                ));
                lines.push(field(
                    "target name",
                    s.target.text(),
                    s.focus == Field::Target,
                ));
                lines.push(Line::from(""));
                lines.push(field("reason", s.reason.text(), s.focus == Field::Reason));
            }
        }
        if danger != Danger::G1 {
            lines.push(Line::from(""));
            let msg = s.error.as_ref().map_or_else(
                || Span::styled("Enter confirm · Tab next field · Esc cancel", t.muted),
                |e| Span::styled(format!("{} {e}", g.error), t.error),
            );
            lines.push(Line::from(msg));
        }
        Clear.render(rect, buf);
        let block = self.app.block(" Confirm ", true).border_style(badge);
        Paragraph::new(lines)
            .block(block)
            .style(t.popup)
            .render(rect, buf);
    }
}
