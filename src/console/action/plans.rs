//! The Plans pane's own bindable actions (catalogue, launch form, run view).

/// A key of the Plans pane (and `x` from an event). Whether it mutates is decided here, by an
/// exhaustive match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum PlansAction {
    /// Open the launch form of the selected plan; Events detail: of the top recommendation.
    LaunchPlan,
    /// Launch form: toggle the dry run.
    ToggleDryRun,
    /// Launch form: move to the previous field.
    PrevField,
    /// Run view: follow the selected step's output (or stop following, to scroll and search).
    FollowOutput,
    /// Run view: save the selected step's output to a file.
    SaveOutput,
    /// Run view: pause a running run, or resume a paused one (G1).
    PauseRun,
    /// Run view: abort the run (G2, a reason).
    AbortRun,
    /// Run view: re-run from the selected step: retry a failed one (G2; G3 after an interruption).
    RetryStep,
    /// Run view: skip the selected step and go on after it (G3).
    SkipStep,
    /// Run view: confirm the waiting manual step is done (G1).
    ConfirmStep,
    /// Run view: approve a run awaiting a second operator (with a reason).
    ApproveRun,
}

impl PlansAction {
    /// Whether the action changes the estate (the read-only gate refuses it). Opening a launch
    /// form counts: a read-only console never shows one.
    pub fn mutates(self) -> bool {
        match self {
            PlansAction::LaunchPlan
            | PlansAction::PauseRun
            | PlansAction::AbortRun
            | PlansAction::RetryStep
            | PlansAction::SkipStep
            | PlansAction::ConfirmStep
            | PlansAction::ApproveRun => true,
            PlansAction::ToggleDryRun
            | PlansAction::PrevField
            | PlansAction::FollowOutput
            | PlansAction::SaveOutput => false,
        }
    }
}
