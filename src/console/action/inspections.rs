//! The Inspections pane's own bindable actions.

/// A key of the Inspections pane. Whether it mutates is decided here, by an exhaustive match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum InspectionsAction {
    /// Run the selected task now (re-run from a run), confirmed y/n (G1).
    RunNow,
}

impl InspectionsAction {
    /// Whether the action changes the estate (the read-only gate refuses it).
    pub fn mutates(self) -> bool {
        match self {
            // It queues a run: a write, although the run itself only reads the estate.
            InspectionsAction::RunNow => true,
        }
    }
}
