//! The launch form: the plan and its danger, one line per parameter (its value, kind, choices and
//! the error `prepare` found on it), the dry-run switch, and what Enter does next.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::console::app::App;
use crate::console::panes::config::hints;
use crate::console::plans::LaunchForm;
use crate::console::rows::danger_span;
use crate::console::widgets::fit;

const LABEL: usize = 18;

/// The launch form of a plan.
pub struct FormPane<'a> {
    /// The app (theme, glyphs).
    pub app: &'a App,
    /// The form.
    pub form: &'a LaunchForm,
}

impl FormPane<'_> {
    /// Where the cursor goes: in the focused field (none on the dry-run switch).
    pub fn cursor(form: &LaunchForm, area: Rect) -> Option<Position> {
        let field = form.fields.get(form.focus)?;
        let row = 4 + u16::try_from(form.focus * 2).ok()?;
        let col = u16::try_from(LABEL + field.input.cursor()).ok()?;
        let y = area.y + 1 + row;
        (y < area.bottom().saturating_sub(1))
            .then(|| Position::new((area.x + 1 + col).min(area.right().saturating_sub(2)), y))
    }
}

impl Widget for FormPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, f) = (self.app, self.form);
        let (t, g) = (&app.config.theme, &app.config.glyphs);
        let inner = usize::from(area.width.saturating_sub(2));
        let mut lines = vec![
            Line::from(vec![
                danger_span(f.danger, t),
                Span::styled(format!(" {} ", f.plan), t.title),
                Span::styled(f.title.clone(), t.text),
            ]),
            Line::styled(
                if f.event_id > 0 {
                    format!(
                        "launched from event #{} (lands on its timeline)",
                        f.event_id
                    )
                } else {
                    "Enter prepares: every operation is shown before anything starts".to_owned()
                },
                t.muted,
            ),
            Line::from(""),
            Line::styled("Parameters", t.header),
        ];
        if f.fields.is_empty() {
            lines.push(Line::styled("  (none)", t.muted));
        }
        let width = inner.saturating_sub(LABEL);
        for (i, field) in f.fields.iter().enumerate() {
            let focused = i == f.focus;
            let style = if focused { t.selection } else { t.prompt };
            let req = if field.required { "*" } else { " " };
            let label = fit(
                &format!("{req}{} ", field.name),
                LABEL.saturating_sub(1),
                g.ellipsis,
            );
            lines.push(Line::from(vec![
                Span::styled(format!("{label:<w$} ", w = LABEL - 1), t.key),
                Span::styled(
                    format!(
                        "{:<w$}",
                        fit(field.input.text(), width.min(40), g.ellipsis),
                        w = width.min(40)
                    ),
                    style,
                ),
            ]));
            let note = match &field.error {
                Some(e) => Span::styled(format!("{} {e}", g.error), t.error),
                // Named so: an empty host here is not "no host", it is the jump host itself.
                None if field.local_when_empty && field.input.text().trim().is_empty() => {
                    Span::styled(
                        "EMPTY = THIS MACHINE (the one nightwatch runs on); type the host"
                            .to_owned(),
                        t.warn,
                    )
                }
                None if !field.choices.is_empty() => Span::styled(
                    format!("{} · ←/→: {}", field.kind, field.choices.join(" | ")),
                    t.muted,
                ),
                None => Span::styled(format!("{} · {}", field.kind, field.description), t.muted),
            };
            let text = fit(&note.content, inner.saturating_sub(LABEL), g.ellipsis);
            lines.push(Line::from(vec![
                Span::raw(" ".repeat(LABEL)),
                Span::styled(text, note.style),
            ]));
        }
        let on_switch = f.focus >= f.fields.len();
        lines.push(Line::from(vec![
            Span::styled(format!("{:<LABEL$}", " dry run"), t.key),
            Span::styled(
                if f.dry_run {
                    "[x] yes: only G1 checks execute"
                } else {
                    "[ ] no"
                },
                if on_switch { t.selection } else { t.text },
            ),
        ]));
        lines.push(Line::from(""));
        if let Some(e) = &f.error {
            lines.push(Line::styled(format!("{} {e}", g.error), t.error));
        } else if f.preparing {
            lines.push(Line::styled("preparing…", t.muted));
        }
        let block = app.block(" Launch plan ", true).title_bottom(hints(
            app,
            &[
                ("Enter", "prepare", false),
                ("Tab", "next", false),
                ("ctrl-d", "dry run", false),
                ("Esc", "cancel", false),
            ],
        ));
        // No wrapping: every line keeps its row, so the cursor lands in the focused field.
        Paragraph::new(lines).block(block).render(area, buf);
    }
}
