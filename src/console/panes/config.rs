//! The Config pane (tab 6): every system-configuration key, grouped (Config, Switches, User keys),
//! with its state, version, a masked value preview and who changed it; or, over the list, one key's
//! value, the editor, or the history. Values arrive masked; this module never sees a secret.

mod editor;
mod history;
mod value;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::title;
use crate::console::app::App;
use crate::console::rows::ConfigRow;
use crate::console::sysconf::Screen;
use crate::console::widgets::{CellCtx, DataTable};

pub use editor::EditorPane;
pub use history::HistoryPane;
pub use value::ValuePane;

/// The Config tab.
pub struct ConfigPane<'a> {
    /// The app it reads.
    pub app: &'a App,
}

/// A key hint line for the bottom border: `Enter view · e edit · …`.
pub(super) fn hints(app: &App, pairs: &[(&str, &str, bool)]) -> Line<'static> {
    let text: Vec<String> = pairs
        .iter()
        .filter(|(_, _, mutating)| !(app.config.read_only && *mutating))
        .map(|(k, what, _)| format!("{k} {what}"))
        .collect();
    let mut text = format!(" {} ", text.join(" · "));
    if app.config.read_only {
        text.push_str("· read-only ");
    }
    Line::styled(text, app.config.theme.muted)
}

impl ConfigPane<'_> {
    fn list(&self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let c = &app.sysconf;
        let mut rows: Vec<ConfigRow<'_>> = Vec::new();
        let mut selected = None;
        let mut group = None;
        for (pos, &i) in c.visible.iter().enumerate() {
            let Some(v) = c.views.get(i) else { continue };
            if group != Some(v.group) {
                group = Some(v.group);
                let n = c
                    .visible
                    .iter()
                    .filter(|&&j| c.views.get(j).is_some_and(|w| w.group == v.group))
                    .count();
                rows.push(ConfigRow::Heading(v.group, n));
            }
            if pos == c.selected {
                selected = Some(rows.len());
            }
            rows.push(ConfigRow::Key(v));
        }
        let shown = c.visible.len();
        let count = if shown == c.views.len() {
            shown.to_string()
        } else {
            format!("{shown}/{}", c.views.len())
        };
        let empty = match (&c.error, c.loaded) {
            (Some(e), _) => e.as_str(),
            (None, false) => "loading…",
            (None, true) if c.views.is_empty() => "no configuration keys",
            (None, true) => "no key matches the filter (Esc clears it)",
        };
        let block = app
            .block(title(app, &format!("Configuration {count}")), true)
            .title_bottom(hints(
                app,
                &[
                    ("Enter", "view", false),
                    ("e", "edit", true),
                    ("Space", "toggle", true),
                    ("H", "history", false),
                    ("/", "filter", false),
                ],
            ));
        let indices: Vec<usize> = (0..rows.len()).collect();
        let cfg = &app.config;
        DataTable {
            block,
            rows: &rows,
            indices: &indices,
            view: &cfg.config_view,
            selected: Some(selected.unwrap_or(0)),
            empty,
            ctx: CellCtx {
                theme: &cfg.theme,
                glyphs: &cfg.glyphs,
                now: app.now,
                ttl_ms: cfg.ttl_ms,
            },
        }
        .render(area, buf);
        if let (Some(e), true) = (&c.error, c.loaded) {
            // Keep showing the last good list; say that it is not fresh.
            let line = Line::styled(format!(" {} {e} ", cfg.glyphs.error), cfg.theme.error);
            let bottom = Rect::new(
                area.x + 1,
                area.bottom().saturating_sub(1),
                area.width.saturating_sub(2),
                1,
            );
            Paragraph::new(line)
                .wrap(Wrap { trim: true })
                .render(bottom, buf);
        }
    }
}

impl Widget for ConfigPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        match &app.sysconf.screen {
            None => self.list(area, buf),
            Some(Screen::Value { key, scroll }) => ValuePane {
                app,
                key,
                scroll: *scroll,
            }
            .render(area, buf),
            Some(Screen::Editor(ed)) => EditorPane { app, editor: ed }.render(area, buf),
            Some(Screen::History(h)) => HistoryPane { app, history: h }.render(area, buf),
        }
    }
}
