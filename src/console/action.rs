//! `Action`: every intent the console can act on: bound keys, typed commands, ticks, data arrivals.
//!
//! Bindable actions are unit variants named in snake_case, so `assets/keymap.toml` names them
//! directly (`run = "down"`). Internal actions (key presses, results of effects) are
//! `#[serde(skip)]`: a key map cannot produce them. This module only describes intents; what they
//! do lives in `app/`.

use std::collections::BTreeMap;

use ratatui::crossterm::event::KeyEvent;
use serde::Deserialize;

use super::inspections::{RunRead, TasksSnapshot};
use super::plans::{LaunchForm, PlansSnapshot, PreparedView};
use crate::domain::event::{Event, Level, LogEntry};
use crate::domain::plan::Recommended;
use crate::domain::{Danger, EngineState, Overview};
use crate::store::{EventAction, EventStats, RunRow};
use crate::store::{PlanRunRow, StepRow};
use crate::sysconfig::{ConfigView, HistoryEntry};

/// An intent. Produced by the key map, the command line, the runtime (ticks, terminal events) and
/// the effect runner (results); consumed by [`super::App::update`].
///
/// Whether an action changes the estate is a property of its variant (`mutates`), declared
/// where the variant is: the read-only gate reads it, no separate list is kept.
#[derive(Debug, Clone, PartialEq, Deserialize, strum::IntoStaticStr, strum::EnumProperty)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Action {
    /// Back out of a detail; at the top of a pane, quit (asking first when the engine runs in
    /// this process or a run is in flight).
    Quit,
    /// Quit from anywhere (asking first when the engine runs in this process or a run is in
    /// flight).
    Exit,
    /// Open the newest unacknowledged P0/P1 event (its detail, on the Events tab).
    Urgent,
    /// Events: acknowledge the selected, marked or open event (y/n).
    #[strum(props(mutates = "yes"))]
    Ack,
    /// Events: assign the selected, marked or open event to me (y/n).
    #[strum(props(mutates = "yes"))]
    AssignMe,
    /// Events: resolve the selected, marked or open event (y/n).
    #[strum(props(mutates = "yes"))]
    Resolve,
    /// Move the selection (or scroll) down one line.
    Down,
    /// Move the selection (or scroll) up one line.
    Up,
    /// Jump to the first line.
    Top,
    /// Jump to the last line.
    Bottom,
    /// Move down one page.
    PageDown,
    /// Move up one page.
    PageUp,
    /// Next tab.
    NextTab,
    /// Previous tab.
    PrevTab,
    /// Show the Overview tab.
    Overview,
    /// Show the Events tab.
    Events,
    /// Show the DR tab.
    Dr,
    /// Show the Inspections tab.
    Inspections,
    /// Show the Plans tab.
    Plans,
    /// Show the Config tab.
    Config,
    /// Open the help generated from the key map.
    Help,
    /// Open the `:` command line.
    CommandLine,
    /// Open the `/` filter prompt.
    Filter,
    /// Go back: close the popup, prompt or detail; clear the message, then the filter.
    Back,
    /// Open the action menu for the selection.
    Menu,
    /// Choose the highlighted entry (menus) or open the detail of the selection.
    Select,
    /// Reload the data now.
    Refresh,
    /// Prompt: accept the text.
    Submit,
    /// Prompt: complete the word under the cursor.
    Complete,
    /// Prompt: delete the character before the cursor.
    DeleteBack,
    /// Prompt: delete the character under the cursor.
    DeleteForward,
    /// Prompt: delete the word before the cursor.
    DeleteWord,
    /// Prompt: move the cursor left.
    CursorLeft,
    /// Prompt: move the cursor right.
    CursorRight,
    /// Prompt: move the cursor to the start.
    CursorHome,
    /// Prompt: move the cursor to the end.
    CursorEnd,
    /// Prompt: clear the line.
    ClearLine,
    /// Confirmation: yes.
    Yes,
    /// Confirmation: no.
    No,
    /// Confirmation: move to the next field.
    NextField,
    /// Do nothing (use it in a user key map to unbind a built-in key).
    Noop,
    /// Config: edit the selected key's value in place.
    #[strum(props(mutates = "yes"))]
    Edit,
    /// Config: toggle the selected switch (confirmed with a reason).
    #[strum(props(mutates = "yes"))]
    Toggle,
    /// Config: open the history of the selected key.
    History,
    /// Config history: roll back to the selected version (a new version, confirmed with a reason).
    #[strum(props(mutates = "yes"))]
    Rollback,
    /// Editor: validate, then review the diff and confirm with a reason.
    #[strum(props(mutates = "yes"))]
    Save,
    /// Editor: undo.
    Undo,
    /// Editor: redo.
    Redo,
    /// Editor: search for text.
    Find,
    /// Editor: jump to the next match of the last search.
    FindNext,
    /// Conflict: discard the own edit and take the value saved meanwhile.
    Reload,
    /// Conflict: apply the own edit on top of the value saved meanwhile (review again).
    #[strum(props(mutates = "yes"))]
    Reapply,
    /// Events: mark or unmark the selected row for a bulk action.
    Mark,
    /// Events: sort by the next column.
    SortNext,
    /// Events: flip the sort direction.
    SortReverse,
    /// Inspections: run the selected task now (re-run from a run), confirmed y/n (G1).
    #[strum(props(mutates = "yes"))]
    RunNow,
    /// Plans: open the launch form of the selected plan; Events detail: of the top recommendation.
    #[strum(props(mutates = "yes"))]
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
    #[strum(props(mutates = "yes"))]
    PauseRun,
    /// Run view: abort the run (G2, a reason).
    #[strum(props(mutates = "yes"))]
    AbortRun,
    /// Run view: re-run from the selected step: retry a failed one (G2; G3 after an interruption).
    #[strum(props(mutates = "yes"))]
    RetryStep,
    /// Run view: skip the selected step and go on after it (G3).
    #[strum(props(mutates = "yes"))]
    SkipStep,
    /// Run view: confirm the waiting manual step is done (G1).
    #[strum(props(mutates = "yes"))]
    ConfirmStep,
    /// Run view: approve a run awaiting a second operator (with a reason).
    #[strum(props(mutates = "yes"))]
    ApproveRun,
    /// DR pane: launch the selected direction's DR plan (its form, faulty and available
    /// datacenters filled; the plan's confirmation follows).
    #[strum(props(mutates = "yes"))]
    Switchover,

    /// A key press, resolved through the key map of the current mode.
    #[serde(skip)]
    Key(KeyEvent),
    /// The DR board was read.
    #[serde(skip)]
    DrLoaded(Result<Box<crate::dr::Board>, String>),
    /// A link's history was read (oldest first).
    #[serde(skip)]
    DrLinkLoaded {
        link: String,
        result: Result<Vec<crate::store::SampleRow>, String>,
    },
    /// Text typed into the focused prompt (unbound printable keys).
    #[serde(skip)]
    Insert(char),
    /// Bracketed paste: one event for the whole text.
    #[serde(skip)]
    Paste(String),
    /// The terminal has this size (columns, rows): at start and on every resize.
    #[serde(skip)]
    Resize(u16, u16),
    /// The clock moved (epoch ms): refresh data when due, update freshness.
    #[serde(skip)]
    Tick(i64),
    /// Switch to the theme with this name (from `:theme NAME`).
    #[serde(skip)]
    SetTheme(String),
    /// Set the active tab's filter to this text (from `:filter` or a menu entry).
    #[serde(skip)]
    ApplyFilter(String),
    /// A theme finished loading.
    #[serde(skip)]
    ThemeLoaded(Result<Box<super::theme::Theme>, String>),
    /// The engine state changed (from the watch channel).
    #[serde(skip)]
    EngineChanged(EngineState),
    /// An Overview read finished; `generation` identifies the request so stale ones are dropped.
    #[serde(skip)]
    OverviewLoaded {
        generation: u64,
        at: i64,
        result: Result<Box<Overview>, String>,
    },
    /// Ask to run a mutating operation: opens the confirmation its danger demands.
    #[serde(skip)]
    #[strum(props(mutates = "yes"))]
    Request(Operation),
    /// The operator confirmed the operation (with a reason when its danger demands one).
    #[serde(skip)]
    #[strum(props(mutates = "yes"))]
    Confirmed { op: Operation, reason: String },
    /// A mutating operation finished: the message to show, and whether it failed.
    #[serde(skip)]
    OperationDone { message: String, failed: bool },
    /// The configuration list was read (`generation` drops stale answers).
    #[serde(skip)]
    ConfigLoaded {
        generation: u64,
        result: Result<Vec<ConfigView>, String>,
    },
    /// A key's history was read (newest first).
    #[serde(skip)]
    HistoryLoaded {
        key: String,
        result: Result<Vec<HistoryEntry>, String>,
    },
    /// A configuration save, toggle or rollback finished.
    #[serde(skip)]
    ConfigSaved {
        key: String,
        result: Result<Box<ConfigView>, SaveFailure>,
    },
    /// Show one configuration key (from `:config KEY`).
    #[serde(skip)]
    OpenConfigKey(String),
    /// A page of events was read for `request` under filter generation `filter_gen`.
    #[serde(skip)]
    EventsLoaded {
        request: u64,
        filter_gen: u64,
        result: Result<EventPage, String>,
    },
    /// A poll of the Events page found the change stamp where it was: nothing was read.
    #[serde(skip)]
    EventsUnchanged { request: u64, filter_gen: u64 },
    /// The exact count of filter generation `filter_gen` (after a capped one), read at `stamp`.
    #[serde(skip)]
    EventsCounted {
        filter_gen: u64,
        stamp: i64,
        result: Result<i64, String>,
    },
    /// One event and its timeline were read.
    #[serde(skip)]
    EventDetailLoaded {
        id: i64,
        result: Result<(Box<Event>, Vec<LogEntry>), String>,
    },
    /// The Overview's event statistics were read.
    #[serde(skip)]
    EventStatsLoaded(Result<EventStats, String>),
    /// A poll of the statistics found the change stamp and the hour where they were.
    #[serde(skip)]
    EventStatsUnchanged,
    /// The bell check: the highest event id now, and the open P0/P1 events above the last one seen.
    #[serde(skip)]
    UrgentChecked(Result<(i64, Vec<(i64, Level)>), String>),
    /// The inspection task list was polled: `None` when nothing changed since the stamp sent.
    #[serde(skip)]
    InspectionTasksLoaded(Result<Option<Box<TasksSnapshot>>, String>),
    /// The newest `limit` runs of a task were read, with how many it has.
    #[serde(skip)]
    InspectionRunsLoaded {
        task: String,
        result: Result<(Vec<RunRow>, i64), String>,
    },
    /// A run and its results (after a cursor) were read.
    #[serde(skip)]
    InspectionRunLoaded {
        id: i64,
        result: Result<Box<RunRead>, String>,
    },
    /// A manual run of `task` was queued (its id), or refused.
    #[serde(skip)]
    RunQueued {
        task: String,
        result: Result<i64, String>,
    },
    /// The plans were polled: `None` when the runs' change stamp did not move.
    #[serde(skip)]
    PlansLoaded(Result<Option<Box<PlansSnapshot>>, String>),
    /// An open run and its steps were read.
    #[serde(skip)]
    PlanRunLoaded {
        id: i64,
        result: Result<Box<(PlanRunRow, Vec<StepRow>)>, String>,
    },
    /// A launch form was built (the plan's parameters, choices, values filled in).
    #[serde(skip)]
    LaunchFormLoaded(Result<Box<LaunchForm>, String>),
    /// The launch form was prepared: what would run, or the problems (per parameter).
    #[serde(skip)]
    PlanPrepared {
        plan: String,
        result: Result<Box<PreparedView>, Vec<String>>,
    },
    /// A confirmed launch was queued (the run id) or refused.
    #[serde(skip)]
    PlanLaunched(Result<i64, String>),
    /// A step's output was saved (the path) or not.
    #[serde(skip)]
    OutputSaved(Result<String, String>),
    /// Open the launch form of the event detail's recommendation at this rank (0: the top).
    #[serde(skip)]
    #[strum(props(mutates = "yes"))]
    LaunchRecommended(usize),
    /// Open this event's detail (`:event N`), or the newest unacknowledged P0/P1 (`None`).
    #[serde(skip)]
    OpenEvent(Option<i64>),
    /// The event to open was read (`None`: no such event).
    #[serde(skip)]
    EventOpened(Result<Option<Box<Event>>, String>),
    /// The recommended plans of an event were computed from the scenarios.
    #[serde(skip)]
    RecommendationsLoaded {
        id: i64,
        result: Result<Vec<Recommended>, String>,
        /// Components are applied (without them, topology parameters cannot be filled).
        topology: bool,
    },
}

/// One page of the Events table: `rows` start at position `offset` of `total` matching events.
#[derive(Debug, Clone, PartialEq)]
pub struct EventPage {
    /// Position of the first row in the sorted, filtered result.
    pub offset: i64,
    /// The rows.
    pub rows: Vec<Event>,
    /// How many events match the filter (at least this many when not `exact`).
    pub total: i64,
    /// `total` is exact; else it is the cap ("10,000+") and an exact count follows.
    pub exact: bool,
    /// The `risk_events` change stamp read before the page (a poll reads again only when it moved).
    pub stamp: i64,
}

/// Why a configuration change was not saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveFailure {
    /// The service's one-line message.
    pub message: String,
    /// Someone saved meanwhile: (their version, who, when in epoch ms).
    pub conflict: Option<(i64, String, i64)>,
}

impl Action {
    /// Every action a key map may name, in the order the help lists them.
    pub const BINDABLE: &'static [Action] = &[
        Action::Quit,
        Action::Exit,
        Action::Urgent,
        Action::Ack,
        Action::AssignMe,
        Action::Resolve,
        Action::Down,
        Action::Up,
        Action::Top,
        Action::Bottom,
        Action::PageDown,
        Action::PageUp,
        Action::NextTab,
        Action::PrevTab,
        Action::Overview,
        Action::Events,
        Action::Dr,
        Action::Inspections,
        Action::Plans,
        Action::Config,
        Action::Help,
        Action::CommandLine,
        Action::Filter,
        Action::Back,
        Action::Menu,
        Action::Select,
        Action::Refresh,
        Action::Submit,
        Action::Complete,
        Action::DeleteBack,
        Action::DeleteForward,
        Action::DeleteWord,
        Action::CursorLeft,
        Action::CursorRight,
        Action::CursorHome,
        Action::CursorEnd,
        Action::ClearLine,
        Action::Yes,
        Action::No,
        Action::NextField,
        Action::Noop,
        Action::Edit,
        Action::Toggle,
        Action::History,
        Action::Rollback,
        Action::Save,
        Action::Undo,
        Action::Redo,
        Action::Find,
        Action::FindNext,
        Action::Reload,
        Action::Reapply,
        Action::Mark,
        Action::SortNext,
        Action::SortReverse,
        Action::RunNow,
        Action::LaunchPlan,
        Action::ToggleDryRun,
        Action::PrevField,
        Action::FollowOutput,
        Action::SaveOutput,
        Action::PauseRun,
        Action::AbortRun,
        Action::RetryStep,
        Action::SkipStep,
        Action::ConfirmStep,
        Action::ApproveRun,
    ];

    /// The snake_case name used in key maps and the help.
    pub fn name(&self) -> &'static str {
        self.into()
    }

    /// Parse a bindable action by its key-map name.
    pub fn parse_bindable(name: &str) -> Option<Action> {
        use serde::de::IntoDeserializer;
        let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
            name.into_deserializer();
        Action::deserialize(de).ok()
    }

    /// Whether this action would change the estate. Checked by the one read-only gate in
    /// [`super::App::update`].
    pub fn is_mutating(&self) -> bool {
        use strum::EnumProperty as _;
        self.get_str("mutates").is_some()
    }
}

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
            Operation::RunTask { .. } => Danger::G1,
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

    #[test]
    fn every_bindable_action_round_trips_through_its_name() {
        for a in Action::BINDABLE {
            assert_eq!(
                Action::parse_bindable(a.name()).as_ref(),
                Some(a),
                "{}",
                a.name()
            );
        }
        assert_eq!(Action::parse_bindable("page_down"), Some(Action::PageDown));
    }

    #[test]
    fn internal_actions_cannot_be_bound() {
        for name in [
            "key",
            "insert",
            "tick",
            "request",
            "confirmed",
            "overview_loaded",
        ] {
            assert_eq!(Action::parse_bindable(name), None, "{name}");
        }
    }
}
