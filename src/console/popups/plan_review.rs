//! A plan launch's confirmation (G2 and G3): every resolved operation with its target, in
//! execution order, then what must be typed: G2 a reason; G3 the target's name and a reason. A
//! wrong name is refused by [`crate::console::confirm::ConfirmState::submit`]; nothing starts.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget};

use crate::console::app::App;
use crate::console::confirm::{ConfirmState, Field};
use crate::console::rows::danger_span;
use crate::console::widgets::fit;
use crate::domain::Danger;

const LABEL: u16 = 13;

/// The confirmation of a plan launch with its resolved operations.
pub struct PlanReviewPopup<'a> {
    /// The app (theme, glyphs).
    pub app: &'a App,
    /// The confirmation.
    pub state: &'a ConfirmState,
    /// Every resolved operation, one line each.
    pub ops: &'a [String],
}

/// Rows below the operations: blank, note, the fields, blank, message.
fn tail(state: &ConfirmState) -> u16 {
    if state.danger() == Danger::G3 { 6 } else { 5 }
}

fn rect(area: Rect, ops: usize, state: &ConfirmState) -> Rect {
    let w = area
        .width
        .saturating_sub(4)
        .min(150)
        .max(area.width.min(20));
    let want = 2
        + 2
        + u16::try_from(ops)
            .unwrap_or(u16::MAX)
            .saturating_add(tail(state));
    let h = want.min(area.height.saturating_sub(2)).max(6);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

impl PlanReviewPopup<'_> {
    /// Where the cursor goes in the focused field.
    pub fn cursor(state: &ConfirmState, ops: usize, area: Rect) -> Option<Position> {
        let r = rect(area, ops, state);
        let (input, from_bottom) = match (state.danger(), state.focus) {
            (Danger::G3, Field::Target) => (&state.target, 5),
            _ => (&state.reason, 4),
        };
        let col = u16::try_from(input.cursor()).unwrap_or(u16::MAX);
        let x = (r.x + 1 + LABEL + col).min(r.right().saturating_sub(2));
        Some(Position::new(x, r.bottom().saturating_sub(from_bottom)))
    }
}

impl Widget for PlanReviewPopup<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (t, g) = (&self.app.config.theme, &self.app.config.glyphs);
        let s = self.state;
        let danger = s.danger();
        let r = rect(area, self.ops.len(), s);
        let inner = usize::from(r.width.saturating_sub(2));
        let room = usize::from(r.height.saturating_sub(2 + 2 + tail(s)));
        // The header names the plan and where it acts (the G3 line below names what to type).
        let (plan, host) = match &s.op {
            crate::console::action::Operation::LaunchPlan(l) => (l.plan.clone(), l.host.clone()),
            other => (other.target().to_owned(), None),
        };
        let on = host.map(|h| format!(" on {h}")).unwrap_or_default();
        let mut lines = vec![
            Line::from(vec![
                danger_span(danger, t),
                Span::styled(format!(" {} ", s.op.label()), t.title),
                Span::styled(
                    fit(
                        &format!("{plan}{on}"),
                        inner.saturating_sub(s.op.label().len() + 7),
                        g.ellipsis,
                    ),
                    t.text,
                ),
            ]),
            Line::styled(
                format!("Every operation, in order ({}):", self.ops.len()),
                t.header,
            ),
        ];
        let shown = if self.ops.len() > room {
            room.saturating_sub(1)
        } else {
            self.ops.len()
        };
        lines.extend(
            self.ops
                .iter()
                .take(shown)
                .map(|op| Line::styled(fit(&format!("  {op}"), inner, g.ellipsis), t.text)),
        );
        if shown < self.ops.len() {
            lines.push(Line::styled(
                format!(
                    "  … {} more (`nightwatch plan show`)",
                    self.ops.len() - shown
                ),
                t.muted,
            ));
        }
        lines.push(Line::from(""));
        let field = |label: &str, text: &str, focused: bool| {
            let style = if focused { t.selection } else { t.prompt };
            let width = inner.saturating_sub(usize::from(LABEL));
            Line::from(vec![
                Span::styled(format!("{label:<w$}", w = usize::from(LABEL)), t.muted),
                Span::styled(format!("{:<width$}", fit(text, width, g.ellipsis)), style),
            ])
        };
        if danger == Danger::G3 {
            lines.push(Line::styled(
                format!(
                    "G3: type the target's name ({}), then a reason (audited).",
                    s.op.target()
                ),
                t.warn,
            ));
            lines.push(field(
                "target name",
                s.target.text(),
                s.focus == Field::Target,
            ));
        } else {
            lines.push(Line::styled(
                "G2: give a reason (kept in the audit log).",
                t.text,
            ));
        }
        lines.push(field(
            "reason",
            s.reason.text(),
            s.focus == Field::Reason || danger != Danger::G3,
        ));
        lines.push(Line::from(""));
        let msg = s.error.as_ref().map_or_else(
            || Span::styled("Enter launch · Tab next field · Esc cancel", t.muted),
            |e| Span::styled(format!("{} {e}: nothing was started", g.error), t.error),
        );
        lines.push(Line::from(msg));
        Clear.render(r, buf);
        let badge = match danger {
            Danger::G3 => t.level[0],
            _ => t.level[1],
        };
        Paragraph::new(lines)
            .block(self.app.block(" Confirm launch ", true).border_style(badge))
            .style(t.popup)
            .render(r, buf);
    }
}
