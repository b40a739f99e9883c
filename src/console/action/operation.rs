//! Operations: the mutating requests the console hands to the store, each with its danger level.
//! Only [`super::Action::Request`] and [`super::Action::Confirmed`] carry one, and both mutate by
//! type, so the read-only gate refuses every operation before it can become an effect.

use std::collections::BTreeMap;

use crate::domain::Danger;
use crate::store::EventAction;

/// A mutating operation the console can ask the store to perform, with its danger level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// Delete a stale instance row from `nw_component` (G1).
    ForgetInstance { id: String },
    /// Save an edited configuration value, based on `base_version` (G2).
    SaveConfig {
        key: String,
        text: EditedText,
        base_version: i64,
    },
    /// Set a switch on or off, based on `base_version` (G2).
    ToggleSwitch {
        key: String,
        on: bool,
        base_version: i64,
    },
    /// Make an old version of a key current again, as a new version (G2).
    RollbackConfig {
        key: String,
        version: i64,
        base_version: i64,
    },
    /// An operator's action on risk events (G1 ack/assign/comment/resolve; G2 re-grade/close, whose
    /// confirmation reason becomes the note). `target` names them for the confirmation.
    Events {
        ids: Vec<i64>,
        action: EventAction,
        target: String,
    },
    /// Queue a manual run of an inspection task now (G1: it only reads the estate).
    RunTask { task: String },
    /// Queue a diagnosis of an event with its scenario's tree (G1: a walk only probes).
    /// `target`: `event #N`.
    Diagnose { event_id: i64, target: String },
    /// Launch a plan with these parameters (its danger; G1 for a dry run). `target` is the name a
    /// G3 confirmation types; `ops` every resolved operation, shown before confirming; `typed` what
    /// the operator typed (checked again by the launch service).
    LaunchPlan(Box<PlanLaunch>),
    /// Pause a running run (or resume a paused one) (G1).
    PauseRun {
        run: i64,
        plan: String,
        resume: bool,
    },
    /// Abort a run (G2).
    AbortRun { run: i64, plan: String },
    /// Re-run a run from step `seq`, or skip that step (G3), or after an interruption (G3).
    ResumeRun {
        run: i64,
        plan: String,
        seq: i64,
        skip: bool,
        interrupted: bool,
        typed: String,
    },
    /// Confirm a waiting manual step is done (G1).
    ConfirmStep { run: i64, plan: String, seq: i64 },
    /// Approve a run awaiting a second operator (asks a reason).
    ApproveRun { run: i64, plan: String },
    /// A made-up operation of a chosen danger, for exercising the confirmation popup in tests.
    #[cfg(test)]
    Test { danger: Danger, target: String },
}

impl Operation {
    /// How dangerous the operation is; decides the confirmation popup.
    pub fn danger(&self) -> Danger {
        match self {
            Operation::ForgetInstance { .. } => Danger::G1,
            // DOMAIN.md: every configuration change is G2 (a reason goes into the audit log).
            Operation::SaveConfig { .. }
            | Operation::ToggleSwitch { .. }
            | Operation::RollbackConfig { .. } => Danger::G2,
            Operation::Events { action, .. } => action.danger(),
            Operation::RunTask { .. } | Operation::Diagnose { .. } => Danger::G1,
            Operation::LaunchPlan(l) => l.danger,
            Operation::PauseRun { .. } | Operation::ConfirmStep { .. } => Danger::G1,
            Operation::AbortRun { .. } | Operation::ApproveRun { .. } => Danger::G2,
            Operation::ResumeRun {
                skip, interrupted, ..
            } => {
                if *skip || *interrupted {
                    Danger::G3
                } else {
                    Danger::G2
                }
            }
            #[cfg(test)]
            Operation::Test { danger, .. } => *danger,
        }
    }

    /// What the operation does, in a few words.
    pub fn label(&self) -> &'static str {
        match self {
            Operation::ForgetInstance { .. } => "Forget stale instance",
            Operation::SaveConfig { .. } => "Save configuration",
            Operation::ToggleSwitch { on: true, .. } => "Switch on",
            Operation::ToggleSwitch { on: false, .. } => "Switch off",
            Operation::RollbackConfig { .. } => "Roll back configuration",
            Operation::Events { action, .. } => match action {
                EventAction::Ack { .. } => "Acknowledge",
                EventAction::Assign { .. } => "Assign",
                EventAction::Comment { .. } => "Comment on",
                EventAction::Regrade { .. } => "Re-grade",
                EventAction::Resolve { .. } => "Resolve",
                EventAction::Close { .. } => "Close",
            },
            Operation::RunTask { .. } => "Run inspection task now",
            Operation::Diagnose { .. } => "Diagnose",
            Operation::LaunchPlan(l) if l.dry_run => "Dry-run plan",
            Operation::LaunchPlan(_) => "Launch plan",
            Operation::PauseRun { resume: false, .. } => "Pause plan run",
            Operation::PauseRun { .. } => "Resume plan run",
            Operation::AbortRun { .. } => "Abort plan run",
            Operation::ResumeRun { skip: true, .. } => "Skip step and go on",
            Operation::ResumeRun {
                interrupted: true, ..
            } => "Resume interrupted run from step",
            Operation::ResumeRun { .. } => "Re-run from step",
            Operation::ConfirmStep { .. } => "Confirm manual step done",
            Operation::ApproveRun { .. } => "Approve plan run",
            #[cfg(test)]
            Operation::Test { .. } => "Test operation",
        }
    }

    /// What the operation acts on (the name a G3 confirmation asks to type).
    pub fn target(&self) -> &str {
        match self {
            Operation::ForgetInstance { id } => id,
            Operation::SaveConfig { key, .. }
            | Operation::ToggleSwitch { key, .. }
            | Operation::RollbackConfig { key, .. } => key,
            Operation::Events { target, .. } => target,
            Operation::RunTask { task } => task,
            Operation::Diagnose { target, .. } => target,
            Operation::LaunchPlan(l) => &l.target,
            Operation::PauseRun { plan, .. }
            | Operation::AbortRun { plan, .. }
            | Operation::ResumeRun { plan, .. }
            | Operation::ConfirmStep { plan, .. }
            | Operation::ApproveRun { plan, .. } => plan,
            #[cfg(test)]
            Operation::Test { target, .. } => target,
        }
    }
}

/// A plan launch as confirmed (boxed in [`Operation::LaunchPlan`]: it is much larger than the
/// other operations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanLaunch {
    /// The plan.
    pub plan: String,
    /// The parameters as typed (`name → text`).
    pub params: BTreeMap<String, String>,
    /// Only G1 checks execute.
    pub dry_run: bool,
    /// The risk event it is launched from (0: none).
    pub event_id: i64,
    /// The danger to confirm (G1 for a dry run).
    pub danger: Danger,
    /// The name a G3 confirmation types.
    pub target: String,
    /// Every resolved operation, one line each, shown before confirming.
    pub ops: Vec<String>,
    /// What the operator typed as the target's name.
    pub typed: String,
    /// Where it acts (the confirmation's header), when the plan says.
    pub host: Option<String>,
}

/// Text typed into the editor. It may hold a secret the operator just typed, so its `Debug` shows
/// only its size: operations are logged, their text never is.
#[derive(Clone, PartialEq, Eq)]
pub struct EditedText(pub String);

impl std::fmt::Debug for EditedText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} bytes>", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edited_text_never_shows_in_debug() {
        let op = Operation::SaveConfig {
            key: "IAM_CONFIG".into(),
            text: EditedText("{\"iamUserPassword\": \"hunter2\"}".into()),
            base_version: 1,
        };
        let shown = format!("{op:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("bytes"),
            "{shown}"
        );
    }
}
