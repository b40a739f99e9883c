//! Themes: semantic style slots (`level.p0`, `status.ok`, `border.focused`, …) read from
//! `themes/*.toml`.
//!
//! The built-ins (`default`, `light`, `high-contrast`, `mono`) are embedded; a user file
//! `<config_dir>/themes/NAME.toml` may set only some slots, the rest come from the built-in of the
//! same name (or `default`). Levels and statuses also carry symbols and modifiers, so a theme is
//! never the only carrier of meaning (NO_COLOR strips colours, not modifiers). No IO here.

mod spec;

use ratatui::style::Style;

pub use spec::ThemeError;

/// The built-in theme files, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("mono", include_str!("../../themes/mono.toml")),
];

/// Every slot a theme file may set.
pub const SLOTS: &[&str] = &[
    "text",
    "muted",
    "title",
    "header",
    "border",
    "border.focused",
    "tab",
    "tab.active",
    "statusbar",
    "statusbar.mode",
    "readonly",
    "selection",
    "key",
    "popup",
    "prompt",
    "level.p0",
    "level.p1",
    "level.p2",
    "level.p3",
    "status.ok",
    "status.warn",
    "status.error",
];

/// Resolved styles for every slot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Theme {
    /// The theme's name.
    pub name: String,
    /// Body text.
    pub text: Style,
    /// Secondary text (labels, hints, placeholders).
    pub muted: Style,
    /// Block titles.
    pub title: Style,
    /// Table headers.
    pub header: Style,
    /// Block borders.
    pub border: Style,
    /// The border of the focused block.
    pub border_focused: Style,
    /// Inactive tab names.
    pub tab: Style,
    /// The active tab.
    pub tab_active: Style,
    /// The status bar.
    pub statusbar: Style,
    /// The mode badge in the status bar.
    pub statusbar_mode: Style,
    /// The READ-ONLY badge.
    pub readonly: Style,
    /// The selected table row / menu entry.
    pub selection: Style,
    /// Key names in the help and hints.
    pub key: Style,
    /// Popup bodies.
    pub popup: Style,
    /// Prompt text.
    pub prompt: Style,
    /// Risk levels P0..P3.
    pub level: [Style; 4],
    /// Healthy.
    pub ok: Style,
    /// Degraded.
    pub warn: Style,
    /// Failed.
    pub error: Style,
}

impl Theme {
    fn slot_mut(&mut self, slot: &str) -> Option<&mut Style> {
        Some(match slot {
            "text" => &mut self.text,
            "muted" => &mut self.muted,
            "title" => &mut self.title,
            "header" => &mut self.header,
            "border" => &mut self.border,
            "border.focused" => &mut self.border_focused,
            "tab" => &mut self.tab,
            "tab.active" => &mut self.tab_active,
            "statusbar" => &mut self.statusbar,
            "statusbar.mode" => &mut self.statusbar_mode,
            "readonly" => &mut self.readonly,
            "selection" => &mut self.selection,
            "key" => &mut self.key,
            "popup" => &mut self.popup,
            "prompt" => &mut self.prompt,
            "level.p0" => &mut self.level[0],
            "level.p1" => &mut self.level[1],
            "level.p2" => &mut self.level[2],
            "level.p3" => &mut self.level[3],
            "status.ok" => &mut self.ok,
            "status.warn" => &mut self.warn,
            "status.error" => &mut self.error,
            _ => return None,
        })
    }

    /// A built-in theme by name.
    pub fn builtin(name: &str) -> Option<Theme> {
        let (_, text) = BUILTIN.iter().find(|(n, _)| *n == name)?;
        let file = format!("built-in themes/{name}.toml");
        spec::parse(
            text,
            &file,
            Theme {
                name: name.to_owned(),
                ..Theme::default()
            },
        )
        .ok()
    }

    /// The built-in default theme (a plain one if that file were ever broken; it is tested).
    pub fn default_theme() -> Theme {
        Theme::builtin("default").unwrap_or_default()
    }

    /// Parse a user theme file named `name`, filling unset slots from the built-in of the same
    /// name, or `default`.
    pub fn parse_user(name: &str, text: &str, file: &str) -> Result<Theme, ThemeError> {
        let base = Theme::builtin(name).unwrap_or_else(Theme::default_theme);
        spec::parse(
            text,
            file,
            Theme {
                name: name.to_owned(),
                ..base
            },
        )
    }
}

#[cfg(test)]
mod tests;
