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
    /// The Config tab's list and value view (keys not bound here fall back to `normal`).
    Config,
    /// Editing a configuration value: keys not bound here go to the text editor.
    Editor,
    /// A configuration key's history.
    History,
    /// Someone saved the key being edited meanwhile.
    Conflict,
    /// The Inspections tab: tasks, a task's runs, a run's matrix, a result (keys not bound here
    /// fall back to `normal`).
    Inspections,
    /// The Plans tab: the catalogue, the runs, a run's live view (keys not bound here fall back
    /// to `normal`).
    Plans,
    /// The launch form of a plan: keys not bound here type into the focused field.
    PlanForm,
    /// The DR dashboard (keys not bound here fall back to `normal`).
    Dr,
}

impl Mode {
    /// Whether unbound printable keys type text in this mode.
    pub fn takes_text(self) -> bool {
        matches!(
            self,
            Mode::Command | Mode::Filter | Mode::ConfirmInput | Mode::PlanForm
        )
    }

    /// The mode whose bindings apply to keys this one does not bind.
    pub fn fallback(self) -> Option<Mode> {
        match self {
            Mode::Config | Mode::Inspections | Mode::Plans | Mode::Dr => Some(Mode::Normal),
            _ => None,
        }
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
            Mode::Config => "Configuration (tab 6; browsing keys also work)",
            Mode::Editor => "Editing a value (other keys edit the text)",
            Mode::History => "Configuration history",
            Mode::Conflict => "Save conflict",
            Mode::Inspections => "Inspections (tab 4; browsing keys also work)",
            Mode::Plans => "Plans (tab 5; browsing keys also work)",
            Mode::PlanForm => "Plan launch form (other keys type into the field)",
            Mode::Dr => "DR dashboard (tab 3; browsing keys also work)",
        }
    }
}
