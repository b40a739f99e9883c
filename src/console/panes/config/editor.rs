//! The editor pane: the text being edited (line numbers, the cursor drawn by the text area), a line
//! under it with the validation error, the discard question or the key hints, and the conflict box
//! when someone saved meanwhile (their change as a masked diff; reload or re-apply).

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Widget, Wrap};

use super::hints;
use crate::console::app::App;
use crate::console::sysconf::{ConflictState, EditorState};
use crate::console::widgets::{centered, truncate};
use crate::domain::time::format_utc;
use crate::sysconfig::DiffLine;

/// The editor.
pub struct EditorPane<'a> {
    /// The app it reads.
    pub app: &'a App,
    /// The editor.
    pub editor: &'a EditorState,
}

impl EditorPane<'_> {
    fn status(&self) -> Line<'static> {
        let (t, g) = (&self.app.config.theme, &self.app.config.glyphs);
        let ed = self.editor;
        if ed.ask_discard {
            return Line::styled(
                format!(
                    "{} Discard your changes to {}? y discard · n keep editing",
                    g.warn, ed.key
                ),
                t.warn,
            );
        }
        if let Some(e) = &ed.error {
            return Line::styled(format!("{} {e}", g.error), t.error);
        }
        if ed.saving {
            return Line::styled("saving…", t.muted);
        }
        let (line, col) = ed.cursor();
        let changed = if ed.is_modified() {
            "modified"
        } else {
            "unchanged"
        };
        Line::styled(format!("line {line}, column {col} · {changed}"), t.muted)
    }

    fn conflict(&self, c: &ConflictState, area: Rect, buf: &mut Buffer) {
        let (t, g) = (&self.app.config.theme, &self.app.config.glyphs);
        let rect = centered(
            area,
            area.width.saturating_sub(4).min(100),
            area.height.saturating_sub(2),
        );
        let width = usize::from(rect.width.saturating_sub(2));
        let mut lines = vec![
            Line::styled(
                format!(
                    "{} {} was saved meanwhile: v{} by {} at {} UTC.",
                    g.warn,
                    self.editor.key,
                    c.current,
                    c.by,
                    format_utc(c.at)
                ),
                t.warn,
            ),
            Line::from(format!(
                "Your edit is based on {}. Their change (secrets masked):",
                match self.editor.base_version {
                    0 => "the default".to_owned(),
                    v => format!("v{v}"),
                }
            )),
            Line::from(""),
        ];
        match (&c.theirs, &c.error) {
            (_, Some(e)) => lines.push(Line::styled(format!("{} {e}", g.error), t.error)),
            (None, None) => lines.push(Line::styled("loading their change…", t.muted)),
            (Some(diff), None) => lines.extend(diff_lines(self.app, diff, width)),
        }
        let block = self
            .app
            .block(" Conflict ", true)
            .border_style(t.warn)
            .title_bottom(Line::styled(
                " r reload theirs (drop my edit) · a re-apply mine on top · Esc back ",
                t.key,
            ));
        Clear.render(rect, buf);
        Paragraph::new(lines)
            .block(block)
            .style(t.popup)
            .wrap(Wrap { trim: false })
            .scroll((c.scroll, 0))
            .render(rect, buf);
    }
}

/// A unified diff, one line per change, the tag first so it reads without colour.
pub(super) fn diff_lines(app: &App, diff: &[DiffLine], width: usize) -> Vec<Line<'static>> {
    let (t, g) = (&app.config.theme, &app.config.glyphs);
    diff.iter()
        .map(|d| {
            let style = match d.tag {
                '+' => t.ok,
                '-' => t.error,
                _ => t.muted,
            };
            Line::styled(
                truncate(&format!("{} {}", d.tag, d.text), width, g.ellipsis),
                style,
            )
        })
        .collect()
}

impl Widget for EditorPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let ed = self.editor;
        let base = match ed.base_version {
            0 => "default".to_owned(),
            v => format!("v{v}"),
        };
        let block = app
            .block(format!(" Edit {} · based on {base} ", ed.key), true)
            .title_bottom(hints(
                app,
                &[
                    ("ctrl-s", "save", false),
                    ("Esc", "leave", false),
                    ("ctrl-z/r", "undo/redo", false),
                    ("ctrl-f", "find", false),
                ],
            ));
        let inner = block.inner(area);
        block.render(area, buf);
        let [text, status] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(2)]).areas(inner);
        (&ed.area).render(text, buf);
        Paragraph::new(self.status())
            .wrap(Wrap { trim: false })
            .render(status, buf);
        if let Some(c) = &ed.conflict {
            self.conflict(c, area, buf);
        }
    }
}
