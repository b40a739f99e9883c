//! The help popup, generated from the key map (so it can never disagree with the keys), plus the
//! `:` commands and the filter syntax.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget};
use strum::IntoEnumIterator;

use crate::console::action::Action;
use crate::console::app::App;
use crate::console::command::COMMANDS;
use crate::console::keymap::Keymap;
use crate::console::mode::Mode;
use crate::console::tab::Tab;
use crate::console::widgets::centered;

/// One line of the help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpLine {
    /// A section heading.
    Section(String),
    /// Keys and what they do.
    Entry(String, String),
    /// Free text.
    Text(String),
}

fn entries(keymap: &Keymap, mode: Mode, keep: impl Fn(&str) -> bool) -> Vec<HelpLine> {
    keymap
        .bindings(mode)
        .iter()
        .filter(|b| b.action != Action::Noop && keep(&b.desc))
        .map(|b| {
            let keys: Vec<String> = b.keys.iter().map(ToString::to_string).collect();
            HelpLine::Entry(keys.join(", "), b.desc.clone())
        })
        .collect()
}

/// The help's content for `tab`: that pane's own keys first, then every mode's bindings (in key
/// map order), the commands, the filter syntax.
pub fn help_lines(keymap: &Keymap, tab: Tab) -> Vec<HelpLine> {
    let mut out = Vec::new();
    let own = match tab {
        Tab::Events => Some(Mode::Normal),
        Tab::Inspections => Some(Mode::Inspections),
        Tab::Plans => Some(Mode::Plans),
        Tab::Config => Some(Mode::Config),
        Tab::Dr => Some(Mode::Dr),
        _ => None,
    };
    if let Some(mode) = own {
        out.push(HelpLine::Section(format!(
            "This pane: {} (tab {})",
            tab,
            tab.index() + 1
        )));
        if tab == Tab::Events {
            out.extend(entries(keymap, mode, |d| d.starts_with("Events:")));
            out.push(HelpLine::Entry(
                "enter".into(),
                "Events: open the detail (timeline, recommended plans)".into(),
            ));
        } else {
            out.extend(entries(keymap, mode, |_| true));
        }
        out.push(HelpLine::Text(String::new()));
    }
    for mode in Mode::iter().filter(|m| Some(*m) != own || tab == Tab::Events) {
        out.push(HelpLine::Section(mode.title().to_owned()));
        out.extend(entries(keymap, mode, |_| true));
        out.push(HelpLine::Text(String::new()));
    }
    out.push(HelpLine::Section("Commands (:)".to_owned()));
    for (name, arg, desc) in COMMANDS {
        let name = if arg.is_empty() {
            format!(":{name}")
        } else {
            format!(":{name} {arg}")
        };
        out.push(HelpLine::Entry(name, (*desc).to_owned()));
    }
    out.push(HelpLine::Text(String::new()));
    out.push(HelpLine::Section("Filter (/)".to_owned()));
    out.push(HelpLine::Text(
        "words match any column; key:value matches one column;".to_owned(),
    ));
    out.push(HelpLine::Text(
        "-key:value excludes. Example: /role:engine -host:old".to_owned(),
    ));
    out
}

/// The help popup.
pub struct HelpPopup<'a> {
    /// The app (key map, theme).
    pub app: &'a App,
    /// Lines scrolled off the top.
    pub scroll: u16,
}

impl Widget for HelpPopup<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = &self.app.config.theme;
        let lines: Vec<Line<'static>> = help_lines(&self.app.config.keymap, self.app.tab)
            .into_iter()
            .map(|l| match l {
                HelpLine::Section(s) => Line::styled(s, t.title),
                HelpLine::Entry(keys, desc) => Line::from(vec![
                    Span::styled(format!("  {keys:<22} "), t.key),
                    Span::styled(desc, t.text),
                ]),
                HelpLine::Text(s) => Line::styled(format!("  {s}"), t.muted),
            })
            .collect();
        let rect = centered(area, 72, area.height.saturating_sub(2));
        let block = self
            .app
            .block(" Help (from the key map) · j/k scroll · Esc close ", true);
        let inner_h = block.inner(rect).height;
        let max = u16::try_from(lines.len())
            .unwrap_or(u16::MAX)
            .saturating_sub(inner_h);
        Clear.render(rect, buf);
        Paragraph::new(lines)
            .block(block)
            .style(t.popup)
            .scroll((self.scroll.min(max), 0))
            .render(rect, buf);
    }
}
