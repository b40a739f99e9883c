//! One key's value, pretty-printed and masked, with its description, state, version, author, time,
//! reason, and what a change of it needs (restart, version raise).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::hints;
use crate::console::app::App;
use crate::console::rows::{group_name, state_span};
use crate::console::sysconf::editor_text;
use crate::console::widgets::CellCtx;
use crate::domain::sysconfig::KeyState;
use crate::domain::time::format_utc;

/// The value view.
pub struct ValuePane<'a> {
    /// The app it reads.
    pub app: &'a App,
    /// The key shown.
    pub key: &'a str,
    /// Lines scrolled off the top.
    pub scroll: u16,
}

impl Widget for ValuePane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let (t, cfg) = (&app.config.theme, &app.config);
        let block = app
            .block(format!(" {} ", self.key), true)
            .title_bottom(hints(
                app,
                &[
                    ("e", "edit", true),
                    ("h", "history", false),
                    ("j/k", "scroll", false),
                    ("Esc", "back", false),
                ],
            ));
        let Some(v) = app.sysconf.view(self.key) else {
            Paragraph::new(Line::styled("loading…", t.muted))
                .block(block)
                .render(area, buf);
            return;
        };
        let ctx = CellCtx {
            theme: t,
            glyphs: &cfg.glyphs,
            now: app.now,
            ttl_ms: cfg.ttl_ms,
        };
        let row = |label: &str, value: Span<'static>| {
            Line::from(vec![Span::styled(format!("{label:<10} "), t.muted), value])
        };
        let text = |s: String| Span::styled(s, t.text);
        let mut lines = Vec::new();
        if !v.description.is_empty() {
            lines.push(Line::styled(v.description.clone(), t.muted));
        }
        lines.push(row("state", state_span(&v.state, &ctx)));
        if let KeyState::Invalid(why) = &v.state {
            lines.push(row("invalid", Span::styled(why.clone(), t.error)));
        }
        let version = match v.version {
            0 => "never saved: the documented default".to_owned(),
            n => format!(
                "v{n} by {} at {} UTC",
                v.updated_by,
                format_utc(v.updated_at)
            ),
        };
        lines.push(row("version", text(version)));
        if v.version > 0 {
            lines.push(row("reason", text(v.reason.clone())));
        }
        lines.push(row("group", text(group_name(v.group).to_owned())));
        let g = &cfg.glyphs;
        if v.restart_required {
            let s = format!("{} a change takes effect after the engine restarts", g.warn);
            lines.push(row("note", Span::styled(s, t.warn)));
        }
        if v.version_gated {
            let s = format!(
                "{} a change takes effect only when \"version\" is raised",
                g.warn
            );
            lines.push(row("note", Span::styled(s, t.warn)));
        }
        if v.has_secrets {
            lines.push(row(
                "secrets",
                text("masked (******); saving ****** keeps them".into()),
            ));
        }
        lines.push(Line::from(""));
        for l in editor_text(&v.value).lines() {
            lines.push(Line::styled(l.to_owned(), t.text));
        }
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((self.scroll, 0))
            .render(area, buf);
    }
}
