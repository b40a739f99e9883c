//! The Config pane's own bindable actions (list, value, history, editor, conflict), and why a
//! save failed.

/// A key of the Config pane. Whether it mutates is decided here, by an exhaustive match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum ConfigAction {
    /// Edit the selected key's value in place.
    Edit,
    /// Toggle the selected switch (confirmed with a reason).
    Toggle,
    /// Open the history of the selected key.
    History,
    /// History: roll back to the selected version (a new version, confirmed with a reason).
    Rollback,
    /// Editor: validate, then review the diff and confirm with a reason.
    Save,
    /// Editor: undo.
    Undo,
    /// Editor: redo.
    Redo,
    /// Conflict: discard the own edit and take the value saved meanwhile.
    Reload,
    /// Conflict: apply the own edit on top of the value saved meanwhile (review again).
    Reapply,
}

impl ConfigAction {
    /// Whether the action changes the estate (the read-only gate refuses it). Opening the editor
    /// counts: a read-only console never shows one.
    pub fn mutates(self) -> bool {
        match self {
            ConfigAction::Edit
            | ConfigAction::Toggle
            | ConfigAction::Rollback
            | ConfigAction::Save
            | ConfigAction::Reapply => true,
            ConfigAction::History
            | ConfigAction::Undo
            | ConfigAction::Redo
            | ConfigAction::Reload => false,
        }
    }
}

/// Why a configuration change was not saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveFailure {
    /// The service's one-line message.
    pub message: String,
    /// Someone saved meanwhile: (their version, who, when in epoch ms).
    pub conflict: Option<(i64, String, i64)>,
}
