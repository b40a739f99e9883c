//! Drawing the whole app: `impl Widget for &App` (drawing never clones or mutates state).
//!
//! Layout: the tab line, the active pane, the prompt line (when open), the hint bar (the keys of
//! what has the keyboard), the status bar, and the popup on top. Rendering reads `app.now`, never the wall clock, so snapshots are deterministic.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Widget};

use super::app::{App, Popup};
use super::panes;
use super::popups::{AskQuitPopup, ConfirmPopup, DetailPopup, HelpPopup, MenuPopup, PromptLine};
use super::tab::Tab;
use super::widgets::{HintBar, StatusBar, TabBar};

impl App {
    /// A bordered block in the theme's colours with the console's border set.
    pub fn block<'a>(&self, title: impl Into<Line<'a>>, focused: bool) -> Block<'a> {
        let t = &self.config.theme;
        let border = if focused { t.border_focused } else { t.border };
        Block::bordered()
            .border_set(self.config.glyphs.border)
            .border_style(border)
            .title(Line::from(title.into().spans).style(t.title))
    }

    /// Where the terminal cursor goes (only while typing), for `area` the whole screen.
    pub fn cursor(&self, area: Rect) -> Option<Position> {
        match (&self.popup, &self.prompt) {
            (Some(Popup::Confirm(c)), _) => ConfirmPopup::cursor(c, popup_area(area)),
            (None, None) if self.tab == super::tab::Tab::Plans => {
                let [_, body, ..] = split(area, false);
                self.plans
                    .form
                    .as_ref()
                    .and_then(|f| panes::PlansPane::form_cursor(f, body))
            }
            (None, Some(p)) => {
                let [_, _, prompt, ..] = split(area, true);
                let sigil = u16::try_from(p.kind.sigil().chars().count()).unwrap_or(1);
                let x = prompt.x + sigil + u16::try_from(p.input.cursor()).unwrap_or(u16::MAX);
                Some(Position::new(
                    x.min(prompt.right().saturating_sub(1)),
                    prompt.y,
                ))
            }
            _ => None,
        }
    }

    fn status_bar(&self) -> StatusBar<'_> {
        let (freshness, stale) = self.freshness();
        let engine = self.engine.label();
        let message = self
            .message
            .as_ref()
            .map(|m| (m.text.as_str(), m.error))
            .or(self.data_error.as_deref().map(|e| (e, true)));
        let mode: &'static str = self.mode().into();
        let badge = match self.popup {
            Some(Popup::Detail { .. }) => "DETAIL",
            None if self.tab == Tab::Events && self.events.detail.is_some() => "DETAIL",
            None if self.tab == Tab::Inspections && self.inspections.result.is_some() => "DETAIL",
            _ => mode_badge(mode),
        };
        StatusBar {
            mode: badge,
            read_only: self.config.read_only,
            backend: if self.db.backend.is_empty() {
                "db?"
            } else {
                &self.db.backend
            },
            engine: engine.trim_start_matches("engine: ").to_owned(),
            engine_short: engine_short(&self.engine),
            freshness,
            stale,
            message,
            theme: &self.config.theme,
            glyphs: &self.config.glyphs,
        }
    }
}

fn mode_badge(mode: &str) -> &'static str {
    match mode {
        "command" => "CMD",
        "filter" => "FILTER",
        "help" => "HELP",
        "menu" => "MENU",
        "confirm" | "confirm_input" => "CONFIRM",
        "config" => "CONFIG",
        "editor" => "EDIT",
        "history" => "HISTORY",
        "conflict" => "CONFLICT",
        "inspections" => "INSPECT",
        "plans" => "PLANS",
        "plan_form" => "LAUNCH",
        _ => "NORMAL",
    }
}

/// The engine in a few cells, for narrow status bars.
fn engine_short(e: &crate::domain::EngineState) -> &'static str {
    use crate::domain::EngineState as E;
    match e {
        E::Starting => "eng:start",
        // Plain HTTP on a non-loopback address (`--insecure-listen`): never hidden.
        E::InProcess { listen } if listen.contains("insecure") => "eng:INSECURE",
        E::InProcess { listen } if listen.ends_with("(TLS)") => "eng:tls",
        E::InProcess { .. } => "eng:in-proc",
        E::External { .. } => "eng:ext",
        E::Off { .. } => "eng:off",
        E::Failed { .. } => "eng:FAIL",
    }
}

/// Where popups go: above the hint and status bars (the hint bar shows the popup's own keys).
fn popup_area(area: Rect) -> Rect {
    Rect {
        height: area.height.saturating_sub(2),
        ..area
    }
}

/// [tabs, body, prompt, hints, status] rows of the screen.
fn split(area: Rect, prompt: bool) -> [Rect; 5] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(u16::from(prompt)),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area)
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = &self.config.theme;
        buf.set_style(area, t.text);
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            // Say so instead of drawing garbled panes (30×8 cannot hold a table and a popup).
            let text = format!(
                "terminal too small: {}x{}, nightwatch needs {MIN_WIDTH}x{MIN_HEIGHT} (q quits)",
                area.width, area.height
            );
            ratatui::widgets::Paragraph::new(text)
                .style(t.warn)
                .wrap(ratatui::widgets::Wrap { trim: true })
                .render(area, buf);
            self.asciify(area, buf);
            return;
        }
        let [tabs, body, prompt, hints, status] = split(area, self.prompt.is_some());
        TabBar {
            active: self.tab,
            theme: t,
            sep: self.config.glyphs.sep,
            flash_events: self.events.flash,
        }
        .render(tabs, buf);
        panes::render(self, body, buf);
        if let Some(p) = &self.prompt {
            PromptLine {
                prompt: p,
                theme: t,
                glyphs: &self.config.glyphs,
            }
            .render(prompt, buf);
        }
        HintBar {
            hints: &self.hints(),
            theme: t,
        }
        .render(hints, buf);
        self.status_bar().render(status, buf);
        let over = popup_area(area);
        match &self.popup {
            Some(Popup::Help { scroll }) => HelpPopup {
                app: self,
                scroll: *scroll,
            }
            .render(over, buf),
            Some(Popup::Menu(m)) => MenuPopup { app: self, menu: m }.render(over, buf),
            Some(Popup::Confirm(c)) => ConfirmPopup {
                app: self,
                state: c,
            }
            .render(over, buf),
            Some(Popup::Detail { title, lines }) => {
                DetailPopup {
                    app: self,
                    title,
                    lines,
                }
                .render(over, buf);
            }
            Some(Popup::AskQuit { stops }) => AskQuitPopup { app: self, stops }.render(over, buf),
            None => {}
        }
        self.asciify(area, buf);
    }
}

/// The smallest terminal the console draws in (below it: a notice).
pub const MIN_WIDTH: u16 = 40;
/// See [`MIN_WIDTH`].
pub const MIN_HEIGHT: u16 = 12;

impl App {
    /// With ASCII glyphs (a non-UTF-8 locale, or `ascii = true`), replace whatever a pane drew
    /// above 0x7f: one pass over the frame instead of a glyph lookup at every call site.
    fn asciify(&self, area: Rect, buf: &mut Buffer) {
        if self.config.glyphs != super::glyphs::Glyphs::ASCII {
            return;
        }
        for y in area.top()..area.bottom() {
            for x in area.left()..area.right() {
                if let Some(cell) = buf.cell_mut(Position::new(x, y))
                    && !cell.symbol().is_ascii()
                {
                    let s = super::glyphs::ascii_of(cell.symbol());
                    cell.set_symbol(s);
                }
            }
        }
    }
}
