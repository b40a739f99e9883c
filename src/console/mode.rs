//! Input modes: which key map section resolves a key press.

use serde::Deserialize;

/// What has the keyboard. Each mode has its own section in `keymap.toml`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Deserialize,
    strum::EnumIter,
    strum::Display,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Mode {
    /// Browsing panes.
    Normal,
    /// Typing a `:` command.
    Command,
    /// Typing a `/` filter.
    Filter,
    /// Reading the help.
    Help,
    /// Choosing from the action menu.
    Menu,
    /// A `y/n` confirmation (G1).
    Confirm,
    /// A confirmation that asks for text: a reason (G2), or the target's name and a reason (G3).
    ConfirmInput,
}

impl Mode {
    /// Whether unbound printable keys type text in this mode.
    pub fn takes_text(self) -> bool {
        matches!(self, Mode::Command | Mode::Filter | Mode::ConfirmInput)
    }

    /// What the help calls this mode.
    pub fn title(self) -> &'static str {
        match self {
            Mode::Normal => "Browsing",
            Mode::Command => "Command line (:)",
            Mode::Filter => "Filter prompt (/)",
            Mode::Help => "Help",
            Mode::Menu => "Action menu",
            Mode::Confirm => "Confirmation (G1)",
            Mode::ConfirmInput => "Confirmation with reason (G2/G3)",
        }
    }
}
