//! `Action`: every intent the console can act on: bound keys, typed commands, ticks, data arrivals.
//!
//! Bindable actions are unit variants named in snake_case, so `assets/keymap.toml` names them
//! directly (`run = "down"`): the keys every pane shares are variants here, the keys a pane owns
//! are its own enum (`action/events.rs`, `config.rs`, `inspections.rs`, `plans.rs`), wrapped in
//! one variant. Internal actions (key presses, results of effects) are not in [`Action::BINDABLE`]:
//! a key map cannot produce them. This module only describes intents; what they do lives in
//! `app/`.
//!
//! Whether an action mutates is a property of its type: [`Action::mutates`] is an exhaustive
//! match (a new variant does not compile until it is decided), delegating to each pane's enum.

mod config;
mod events;
mod inspections;
mod operation;
mod plans;

use ratatui::crossterm::event::KeyEvent;

pub use config::{ConfigAction, SaveFailure};
pub use events::{EventPage, EventsAction};
pub use inspections::InspectionsAction;
pub use operation::{EditedText, Operation, PlanLaunch};
pub use plans::PlansAction;

use super::inspections::{RunRead, TasksSnapshot};
use super::plans::{LaunchForm, PlansSnapshot, PreparedView};
use crate::domain::event::{Event, Level, LogEntry};
use crate::domain::plan::Recommended;
use crate::domain::{EngineState, Overview};
use crate::store::{EventStats, RunRow};
use crate::store::{PlanRunRow, StepRow};
use crate::sysconfig::{ConfigView, HistoryEntry};

/// An intent. Produced by the key map, the command line, the runtime (ticks, terminal events) and
/// the effect runner (results); consumed by [`super::App::update`].
///
/// Whether an action changes the estate is a property of its type ([`Action::mutates`]): the
/// read-only gate reads it, no separate list is kept.
#[derive(Debug, Clone, PartialEq, strum::IntoStaticStr)]
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
    /// Search for text (the editor, a run's output).
    Find,
    /// Jump to the next match of the last search.
    FindNext,
    /// Do nothing (use it in a user key map to unbind a built-in key).
    Noop,
    /// A key of the Events pane (its own enum decides whether it mutates).
    OnEvents(EventsAction),
    /// A key of the Config pane.
    OnConfig(ConfigAction),
    /// A key of the Inspections pane.
    OnInspections(InspectionsAction),
    /// A key of the Plans pane.
    OnPlans(PlansAction),
    /// DR pane: launch the selected direction's DR plan (its form, faulty and available
    /// datacenters filled; the plan's confirmation follows).
    Switchover,
    /// A key press, resolved through the key map of the current mode.
    Key(KeyEvent),
    /// The DR board was read.
    DrLoaded(Result<Box<crate::dr::Board>, String>),
    /// A link's history was read (oldest first).
    DrLinkLoaded {
        link: String,
        result: Result<Vec<crate::store::SampleRow>, String>,
    },
    /// Text typed into the focused prompt (unbound printable keys).
    Insert(char),
    /// Bracketed paste: one event for the whole text.
    Paste(String),
    /// The terminal has this size (columns, rows): at start and on every resize.
    Resize(u16, u16),
    /// The clock moved (epoch ms): refresh data when due, update freshness.
    Tick(i64),
    /// Switch to the theme with this name (from `:theme NAME`).
    SetTheme(String),
    /// Set the active tab's filter to this text (from `:filter` or a menu entry).
    ApplyFilter(String),
    /// A theme finished loading.
    ThemeLoaded(Result<Box<super::theme::Theme>, String>),
    /// The engine state changed (from the watch channel).
    EngineChanged(EngineState),
    /// An Overview read finished; `generation` identifies the request so stale ones are dropped.
    OverviewLoaded {
        generation: u64,
        at: i64,
        result: Result<Box<Overview>, String>,
    },
    /// An Overview poll found the change stamp where it was: nothing else was read.
    OverviewUnchanged { generation: u64, at: i64 },
    /// Ask to run a mutating operation: opens the confirmation its danger demands.
    Request(Operation),
    /// The operator confirmed the operation (with a reason when its danger demands one).
    Confirmed { op: Operation, reason: String },
    /// A mutating operation finished: the message to show, and whether it failed.
    OperationDone { message: String, failed: bool },
    /// The configuration list was read (`generation` drops stale answers).
    ConfigLoaded {
        generation: u64,
        /// The change stamp read before the list (0: unknown, the next poll reads again).
        stamp: u64,
        result: Result<Vec<ConfigView>, String>,
    },
    /// A poll of the configuration found its change stamp where it was: nothing else was read.
    ConfigUnchanged { generation: u64 },
    /// A key's history was read (newest first).
    HistoryLoaded {
        key: String,
        result: Result<Vec<HistoryEntry>, String>,
    },
    /// A configuration save, toggle or rollback finished.
    ConfigSaved {
        key: String,
        result: Result<Box<ConfigView>, SaveFailure>,
    },
    /// Show one configuration key (from `:config KEY`).
    OpenConfigKey(String),
    /// A page of events was read for `request` under filter generation `filter_gen`.
    EventsLoaded {
        request: u64,
        filter_gen: u64,
        result: Result<EventPage, String>,
    },
    /// A poll of the Events page found the change stamp where it was: nothing was read.
    EventsUnchanged { request: u64, filter_gen: u64 },
    /// The exact count of filter generation `filter_gen` (after a capped one), read at `stamp`.
    EventsCounted {
        filter_gen: u64,
        stamp: i64,
        result: Result<i64, String>,
    },
    /// One event and its timeline were read.
    EventDetailLoaded {
        id: i64,
        /// The event's change stamp read before it ((0, 0): unknown, the next poll reads again).
        stamp: (i64, i64),
        result: Result<(Box<Event>, Vec<LogEntry>), String>,
    },
    /// A poll of the open detail found its change stamp where it was: nothing else was read.
    EventDetailUnchanged { id: i64 },
    /// The Overview's event statistics were read.
    EventStatsLoaded(Result<EventStats, String>),
    /// A poll of the statistics found the change stamp and the hour where they were.
    EventStatsUnchanged,
    /// The bell check: the highest event id now, and the open P0/P1 events above the last one seen.
    UrgentChecked(Result<(i64, Vec<(i64, Level)>), String>),
    /// The inspection task list was polled: `None` when nothing changed since the stamp sent.
    InspectionTasksLoaded(Result<Option<Box<TasksSnapshot>>, String>),
    /// The newest `limit` runs of a task were read, with how many it has.
    InspectionRunsLoaded {
        task: String,
        result: Result<(Vec<RunRow>, i64), String>,
    },
    /// A run and its results (after a cursor) were read.
    InspectionRunLoaded {
        id: i64,
        result: Result<Box<RunRead>, String>,
    },
    /// A manual run of `task` was queued (its id), or refused.
    RunQueued {
        task: String,
        result: Result<i64, String>,
    },
    /// The plans were polled: `None` when the runs' change stamp did not move.
    PlansLoaded(Result<Option<Box<PlansSnapshot>>, String>),
    /// An open run and its steps were read.
    PlanRunLoaded {
        id: i64,
        result: Result<Box<(PlanRunRow, Vec<StepRow>)>, String>,
    },
    /// A launch form was built (the plan's parameters, choices, values filled in).
    LaunchFormLoaded(Result<Box<LaunchForm>, String>),
    /// The launch form was prepared: what would run, or the problems (per parameter).
    PlanPrepared {
        plan: String,
        result: Result<Box<PreparedView>, Vec<String>>,
    },
    /// A confirmed launch was queued (the run id) or refused.
    PlanLaunched(Result<i64, String>),
    /// A step's output was saved (the path) or not.
    OutputSaved(Result<String, String>),
    /// Open the launch form of the event detail's recommendation at this rank (0: the top).
    LaunchRecommended(usize),
    /// Open this event's detail (`:event N`), or the newest unacknowledged P0/P1 (`None`).
    OpenEvent(Option<i64>),
    /// The event to open was read (`None`: no such event).
    EventOpened(Result<Option<Box<Event>>, String>),
    /// The recommended plans of an event were computed from the scenarios.
    RecommendationsLoaded {
        id: i64,
        result: Result<Vec<Recommended>, String>,
        /// Components are applied (without them, topology parameters cannot be filled).
        topology: bool,
    },
    /// An event's latest diagnosis run was read (`None`: never diagnosed).
    DiagnosisLoaded {
        id: i64,
        result: Result<Option<Box<crate::console::events::DiagnosisView>>, String>,
    },
}

use ConfigAction as C;
use EventsAction as E;
use PlansAction as P;

impl Action {
    /// Every action a key map may name, in the order the help lists them.
    pub const BINDABLE: &'static [Action] = &[
        Action::Quit,
        Action::Exit,
        Action::Urgent,
        Action::OnEvents(E::Ack),
        Action::OnEvents(E::AssignMe),
        Action::OnEvents(E::Resolve),
        Action::OnEvents(E::Diagnose),
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
        Action::OnConfig(C::Edit),
        Action::OnConfig(C::Toggle),
        Action::OnConfig(C::History),
        Action::OnConfig(C::Rollback),
        Action::OnConfig(C::Save),
        Action::OnConfig(C::Undo),
        Action::OnConfig(C::Redo),
        Action::Find,
        Action::FindNext,
        Action::OnConfig(C::Reload),
        Action::OnConfig(C::Reapply),
        Action::OnEvents(E::Mark),
        Action::OnEvents(E::SortNext),
        Action::OnEvents(E::SortReverse),
        Action::OnInspections(InspectionsAction::RunNow),
        Action::OnPlans(P::LaunchPlan),
        Action::OnPlans(P::ToggleDryRun),
        Action::OnPlans(P::PrevField),
        Action::OnPlans(P::FollowOutput),
        Action::OnPlans(P::SaveOutput),
        Action::OnPlans(P::PauseRun),
        Action::OnPlans(P::AbortRun),
        Action::OnPlans(P::RetryStep),
        Action::OnPlans(P::SkipStep),
        Action::OnPlans(P::ConfirmStep),
        Action::OnPlans(P::ApproveRun),
        Action::Switchover,
    ];

    /// The snake_case name used in key maps and the help (a pane's action by its own name).
    pub fn name(&self) -> &'static str {
        match self {
            Action::OnEvents(a) => a.into(),
            Action::OnConfig(a) => a.into(),
            Action::OnInspections(a) => a.into(),
            Action::OnPlans(a) => a.into(),
            other => other.into(),
        }
    }

    /// Parse a bindable action by its key-map name.
    pub fn parse_bindable(name: &str) -> Option<Action> {
        Action::BINDABLE.iter().find(|a| a.name() == name).cloned()
    }

    /// Whether this action would change the estate. Checked by the one read-only gate in
    /// [`super::App::update`]. Exhaustive on purpose: no wildcard, so a new action is decided
    /// where it is declared.
    pub fn mutates(&self) -> bool {
        match self {
            Action::OnEvents(a) => a.mutates(),
            Action::OnConfig(a) => a.mutates(),
            Action::OnInspections(a) => a.mutates(),
            Action::OnPlans(a) => a.mutates(),
            // Each opens a launch form or asks for / performs an operation.
            Action::Switchover
            | Action::Request(_)
            | Action::Confirmed { .. }
            | Action::LaunchRecommended(_) => true,
            Action::Quit
            | Action::Exit
            | Action::Urgent
            | Action::Down
            | Action::Up
            | Action::Top
            | Action::Bottom
            | Action::PageDown
            | Action::PageUp
            | Action::NextTab
            | Action::PrevTab
            | Action::Overview
            | Action::Events
            | Action::Dr
            | Action::Inspections
            | Action::Plans
            | Action::Config
            | Action::Help
            | Action::CommandLine
            | Action::Filter
            | Action::Back
            | Action::Menu
            | Action::Select
            | Action::Refresh
            | Action::Submit
            | Action::Complete
            | Action::DeleteBack
            | Action::DeleteForward
            | Action::DeleteWord
            | Action::CursorLeft
            | Action::CursorRight
            | Action::CursorHome
            | Action::CursorEnd
            | Action::ClearLine
            | Action::Yes
            | Action::No
            | Action::NextField
            | Action::Find
            | Action::FindNext
            | Action::Noop => false,
            // Input and the answers of reads: they change the console, never the estate (the
            // answer of a mutation, `OperationDone` and friends, reports what already happened).
            Action::Key(_)
            | Action::DrLoaded(_)
            | Action::DrLinkLoaded { .. }
            | Action::Insert(_)
            | Action::Paste(_)
            | Action::Resize(..)
            | Action::Tick(_)
            | Action::SetTheme(_)
            | Action::ApplyFilter(_)
            | Action::ThemeLoaded(_)
            | Action::EngineChanged(_)
            | Action::OverviewLoaded { .. }
            | Action::OverviewUnchanged { .. }
            | Action::OperationDone { .. }
            | Action::ConfigLoaded { .. }
            | Action::ConfigUnchanged { .. }
            | Action::HistoryLoaded { .. }
            | Action::ConfigSaved { .. }
            | Action::OpenConfigKey(_)
            | Action::EventsLoaded { .. }
            | Action::EventsUnchanged { .. }
            | Action::EventsCounted { .. }
            | Action::EventDetailLoaded { .. }
            | Action::EventDetailUnchanged { .. }
            | Action::EventStatsLoaded(_)
            | Action::EventStatsUnchanged
            | Action::UrgentChecked(_)
            | Action::InspectionTasksLoaded(_)
            | Action::InspectionRunsLoaded { .. }
            | Action::InspectionRunLoaded { .. }
            | Action::RunQueued { .. }
            | Action::PlansLoaded(_)
            | Action::PlanRunLoaded { .. }
            | Action::LaunchFormLoaded(_)
            | Action::PlanPrepared { .. }
            | Action::PlanLaunched(_)
            | Action::OutputSaved(_)
            | Action::OpenEvent(_)
            | Action::EventOpened(_)
            | Action::RecommendationsLoaded { .. }
            | Action::DiagnosisLoaded { .. } => false,
        }
    }
}

#[cfg(test)]
mod tests;
