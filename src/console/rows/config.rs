//! How configuration keys appear in the Config pane's table and filter: [`ConfigRow`] (a group
//! heading or a key) for [`DataToCell`], and [`Filterable`] for [`ConfigView`] (`state:modified`,
//! `group:switch`, free words). Every state carries a symbol, so it reads without colour.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use serde_json::Value;

use crate::console::filter::Filterable;
use crate::console::sysconf::group_title;
use crate::console::widgets::{CellCtx, DataToCell};
use crate::domain::sysconfig::{Group, KeyState};
use crate::domain::time::format_utc;
use crate::sysconfig::ConfigView;

/// What the `group` column and the `group:` filter call a group.
pub fn group_name(g: Group) -> &'static str {
    match g {
        Group::Config => "config",
        Group::Switch => "switch",
        Group::User => "user",
    }
}

/// A value on one line: switches as `on`/`off`, strings bare, JSON compact.
pub fn preview(v: &ConfigView) -> String {
    match (&v.value, v.group) {
        (Value::Bool(true), Group::Switch) => "on".to_owned(),
        (Value::Bool(false), Group::Switch) => "off".to_owned(),
        (Value::String(s), _) => s.replace('\n', "⏎"),
        (other, _) => other.to_string(),
    }
}

/// The state's symbol and style: `○ default`, `● modified`, `… applying`, `▲ restart needed`, `✗ invalid`.
pub fn state_span(state: &KeyState, ctx: &CellCtx<'_>) -> Span<'static> {
    let (g, t) = (ctx.glyphs, ctx.theme);
    let (mark, style): (&str, Style) = match state {
        KeyState::Default => (g.dead, t.muted),
        KeyState::Modified => (g.alive, t.ok),
        KeyState::Pending => (g.ellipsis, t.muted),
        KeyState::RestartNeeded | KeyState::NotApplied => (g.warn, t.warn),
        KeyState::Invalid(_) => (g.error, t.error),
    };
    Span::styled(format!("{mark} {}", state.label()), style)
}

impl Filterable for ConfigView {
    const KEYS: &'static [&'static str] = &["key", "group", "state", "version", "value", "by"];

    fn field(&self, key: &str) -> Option<String> {
        Some(match key {
            "key" => self.key.clone(),
            "group" => group_name(self.group).to_owned(),
            "state" => self.state.label().to_owned(),
            "version" => self.version.to_string(),
            "value" => preview(self),
            "by" => self.updated_by.clone(),
            _ => return None,
        })
    }
}

/// A line of the Config table: a group heading, or a key.
#[derive(Debug, Clone, Copy)]
pub enum ConfigRow<'a> {
    /// `Switches (12)`.
    Heading(Group, usize),
    /// One key.
    Key(&'a ConfigView),
}

impl DataToCell for ConfigRow<'_> {
    const COLUMNS: &'static [&'static str] = &[
        "key",
        "group",
        "state",
        "version",
        "value",
        "updated_by",
        "updated_at",
        "reason",
    ];

    fn cell(&self, column: &str, ctx: &CellCtx<'_>) -> Line<'static> {
        let v = match self {
            ConfigRow::Heading(g, n) if column == "key" => {
                return Line::styled(format!("{} ({n})", group_title(*g)), ctx.theme.title);
            }
            ConfigRow::Heading(..) => return Line::default(),
            ConfigRow::Key(v) => v,
        };
        let text = match column {
            "key" => format!("  {}", v.key),
            "group" => group_name(v.group).to_owned(),
            "state" => return Line::from(state_span(&v.state, ctx)),
            "version" if v.version == 0 => "-".to_owned(),
            "version" => format!("v{}", v.version),
            "value" => preview(v),
            "updated_by" if v.version == 0 => "-".to_owned(),
            "updated_by" => v.updated_by.clone(),
            "updated_at" if v.version == 0 => "-".to_owned(),
            "updated_at" => format_utc(v.updated_at),
            "reason" => v.reason.clone(),
            _ => String::new(),
        };
        Line::from(text)
    }
}
