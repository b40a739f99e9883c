//! `App`: the console's whole state and its one entry point, [`App::update`].
//!
//! `update` is synchronous and does no IO: it changes state, marks the screen dirty when something
//! visible changed, and returns the [`Effect`]s to run. It holds the console's single read-only
//! gate. Handlers per concern live in `app/`; drawing lives in `render.rs` and `panes/`.

mod answers;
mod config;
#[cfg(test)]
mod config_tests;
mod data;
mod dr;
#[cfg(test)]
mod dr_tests;
mod editor;
mod event_menu;
#[cfg(test)]
mod event_page_tests;
mod event_poll;
mod events;
#[cfg(test)]
mod events_tests;
mod incident;
#[cfg(test)]
mod incident_tests;
mod inspection_poll;
mod inspections;
#[cfg(test)]
mod inspections_tests;
mod keys;
mod normal;
mod plan_form;
mod plan_poll;
mod plans;
#[cfg(test)]
mod plans_tests;
mod popup;
mod prompt;
#[cfg(test)]
mod tests;

use super::action::{Action, Operation};
use super::confirm::ConfirmState;
use super::dr::DrState;
use super::effect::Effect;
use super::events::EventsState;
use super::filter::Filter;
use super::glyphs::Glyphs;
use super::inspections::InspectionsState;
use super::keymap::Keymap;
use super::line_input::LineInput;
use super::menu::MenuState;
use super::mode::Mode;
use super::plans::PlansState;
use super::sysconf::{ConfigState, Screen};
use super::tab::Tab;
use super::theme::Theme;
use super::view::View;
use crate::domain::{DbInfo, EngineState, Overview};

/// Fixed configuration the app is built with (loaded by `resources.rs`, or made up in tests).
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Key bindings.
    pub keymap: Keymap,
    /// Styles.
    pub theme: Theme,
    /// Symbols and borders.
    pub glyphs: Glyphs,
    /// Columns of the instances table.
    pub instances_view: View,
    /// Columns of the components-by-layer table.
    pub components_view: View,
    /// Columns of the Config pane's table.
    pub config_view: View,
    /// Columns of the Events table.
    pub events_view: View,
    /// Columns of the Inspections task list.
    pub inspections_view: View,
    /// Columns of a task's runs.
    pub inspection_runs_view: View,
    /// Columns of the plan catalogue.
    pub plans_view: View,
    /// Columns of the plan runs list.
    pub plan_runs_view: View,
    /// Theme names `:theme` accepts.
    pub themes: Vec<String>,
    /// Refuse every mutation.
    pub read_only: bool,
    /// Poll period (ms).
    pub refresh_ms: u64,
    /// How old a heartbeat may be for its instance to count as alive (ms).
    pub ttl_ms: i64,
    /// Who the audit log names for this console's mutations.
    pub actor: String,
    /// Lines the Config pane shows about the console's own settings (`label`, `value`).
    pub settings_summary: Vec<(String, String)>,
    /// Problems found while loading (broken user files): shown in the status bar at start.
    pub warnings: Vec<String>,
}

/// A status-bar message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The text.
    pub text: String,
    /// Shown as an error (symbol + style) when true.
    pub error: bool,
    /// When it stops being true and goes away by itself.
    pub expires: Expiry,
}

/// When a status-bar message goes away without Esc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Expiry {
    /// When another message replaces it or Esc clears it (errors: the operator must see them).
    #[default]
    Replaced,
    /// At this time (epoch ms): information that is only news for a while.
    At(i64),
    /// When plan run `id` is no longer queued or running (`queued run #2 …`).
    RunActive(i64),
}

/// How long an informational message stays (ms).
pub const INFO_TTL_MS: i64 = 10_000;

/// A popup over the panes.
#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    /// The help, scrolled by this many lines.
    Help { scroll: u16 },
    /// The action menu.
    Menu(MenuState),
    /// A confirmation.
    Confirm(ConfirmState),
    /// The detail of the selected row: title and (label, value) lines.
    Detail {
        title: String,
        lines: Vec<(String, String)>,
    },
    /// Quit? with what quitting stops, one line each.
    AskQuit { stops: Vec<String> },
}

/// Which prompt is open on the bottom line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// `:` command line.
    Command,
    /// `/` filter.
    Filter,
    /// Find text in the editor (`ctrl-f`).
    Find,
}

impl PromptKind {
    /// What the prompt line starts with.
    pub fn sigil(self) -> &'static str {
        match self {
            PromptKind::Command => ":",
            PromptKind::Filter => "/",
            PromptKind::Find => "find: ",
        }
    }
}

/// The open prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    /// Which one.
    pub kind: PromptKind,
    /// The text.
    pub input: LineInput,
    /// Completion candidates after an ambiguous Tab.
    pub candidates: Vec<String>,
    /// The filter in effect when the `/` prompt opened: Esc puts it back (the filter applies
    /// live while typing).
    pub before: String,
}

/// The console's state.
#[derive(Debug, Clone)]
pub struct App {
    /// Fixed configuration (the theme changes with `:theme`).
    pub config: AppConfig,
    /// The active tab.
    pub tab: Tab,
    /// The open popup.
    pub popup: Option<Popup>,
    /// The open prompt.
    pub prompt: Option<Prompt>,
    /// The last Overview read, if any.
    pub overview: Option<Overview>,
    /// The database as known before the first read.
    pub db: DbInfo,
    /// The engine state from the watch channel.
    pub engine: EngineState,
    /// One filter per tab (index = tab index).
    pub filters: [Filter; 6],
    /// The Config pane (tab 6).
    pub sysconf: ConfigState,
    /// The Events pane (tab 2) and the Overview's event statistics.
    pub events: EventsState,
    /// The Inspections pane (tab 4).
    pub inspections: InspectionsState,
    /// The Plans pane (tab 5).
    pub plans: PlansState,
    /// The DR pane (tab 3).
    pub dr: DrState,
    /// The terminal size (columns, rows) as last reported; sizes the Events page.
    pub size: (u16, u16),
    /// Rows of the instances table that pass the Overview's filter.
    pub visible_instances: Vec<usize>,
    /// Selected position within `visible_instances`.
    pub selected: usize,
    /// The message on the status bar.
    pub message: Option<Message>,
    /// The last data error (cleared by the next successful read).
    pub data_error: Option<String>,
    /// When the last successful read finished (epoch ms).
    pub last_ok: Option<i64>,
    /// The clock as of the last tick (epoch ms); rendering reads this, never the wall clock.
    pub now: i64,
    /// The newest request generation; answers to older ones are dropped.
    pub generation: u64,
    /// When the pending read was sent, if one is in flight.
    pub in_flight_since: Option<i64>,
    /// Something visible changed since the last frame.
    pub dirty: bool,
    /// Leave the event loop.
    pub quit: bool,
}

impl App {
    /// A fresh app showing `db` until the first read arrives.
    pub fn new(config: AppConfig, db: DbInfo, now: i64) -> App {
        let message = config.warnings.first().map(|w| {
            let more = config.warnings.len() - 1;
            let text = if more > 0 {
                format!("{w} (+{more} more in the log)")
            } else {
                w.clone()
            };
            Message {
                text,
                error: true,
                expires: Expiry::Replaced,
            }
        });
        App {
            config,
            tab: Tab::Overview,
            popup: None,
            prompt: None,
            overview: None,
            db,
            engine: EngineState::Starting,
            filters: Default::default(),
            sysconf: ConfigState::default(),
            events: EventsState::new(),
            inspections: InspectionsState::default(),
            plans: PlansState::default(),
            dr: DrState::default(),
            size: (80, 24),
            visible_instances: Vec::new(),
            selected: 0,
            message,
            data_error: None,
            last_ok: None,
            now,
            generation: 0,
            in_flight_since: None,
            dirty: true,
            quit: false,
        }
    }

    /// Which key map section resolves keys now.
    pub fn mode(&self) -> Mode {
        match (&self.popup, &self.prompt) {
            (Some(Popup::Help { .. }), _) => Mode::Help,
            (Some(Popup::Menu(_)), _) => Mode::Menu,
            (Some(Popup::Confirm(c)), _) => c.mode(),
            (Some(Popup::Detail { .. }), _) => Mode::Help,
            (Some(Popup::AskQuit { .. }), _) => Mode::Confirm,
            (None, Some(p)) if p.kind == PromptKind::Command => Mode::Command,
            (None, Some(_)) => Mode::Filter,
            (None, None) if self.tab == Tab::Config => match &self.sysconf.screen {
                None | Some(Screen::Value { .. }) => Mode::Config,
                Some(Screen::History(_)) => Mode::History,
                Some(Screen::Editor(e)) if e.ask_discard => Mode::Confirm,
                Some(Screen::Editor(e)) if e.conflict.is_some() => Mode::Conflict,
                Some(Screen::Editor(_)) => Mode::Editor,
            },
            (None, None) if self.tab == Tab::Inspections => Mode::Inspections,
            (None, None) if self.tab == Tab::Plans && self.plans.form.is_some() => Mode::PlanForm,
            (None, None) if self.tab == Tab::Plans => Mode::Plans,
            (None, None) if self.tab == Tab::Dr => Mode::Dr,
            (None, None) => Mode::Normal,
        }
    }

    /// The one entry point: apply `action`, return the IO to perform.
    ///
    /// This is the console's single read-only gate: a mutating action never gets past the first
    /// lines below when the console is read-only, so no mutating [`Effect`] can be produced.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        if self.config.read_only && action.mutates() {
            self.popup = None;
            // Name what was refused: the operator sees which key did nothing, and why.
            let what = match &action {
                Action::Request(op) | Action::Confirmed { op, .. } => op.label().to_lowercase(),
                Action::Key(_) | Action::Insert(_) | Action::Paste(_) => "that".to_owned(),
                other => other.name().replace('_', " "),
            };
            self.error(&format!(
                "{what}: refused, read-only console (started with --read-only)"
            ));
            return Vec::new();
        }
        match action {
            Action::Key(key) => self.on_key(key),
            Action::Insert(c) => self.on_text(&c.to_string()),
            Action::Paste(text) => self.on_text(&text),
            Action::Resize(width, height) => {
                self.size = (width, height);
                self.dirty = true;
                if self.tab == Tab::Events {
                    return self.fetch_if_needed();
                }
                Vec::new()
            }
            Action::Tick(now) => {
                self.expire_message(now);
                self.on_tick(now)
            }
            Action::EngineChanged(state) => self.on_engine(state),
            Action::OverviewLoaded {
                generation,
                at,
                result,
            } => {
                self.on_overview(generation, at, result.map(Some));
                Vec::new()
            }
            Action::OverviewUnchanged { generation, at } => {
                self.on_overview(generation, at, Ok(None));
                Vec::new()
            }
            Action::SetTheme(name) => vec![Effect::LoadTheme(name)],
            Action::ThemeLoaded(result) => self.on_theme(result),
            Action::ApplyFilter(text) => self.apply_filter(&text),
            Action::Request(op) => self.on_request(op),
            Action::Confirmed { op, reason } => {
                self.popup = None;
                if let Some(f) = self
                    .plans
                    .form
                    .as_mut()
                    .filter(|_| matches!(op, Operation::LaunchPlan(_)))
                {
                    f.preparing = true;
                }
                if let Operation::Events { ids, .. } = &op {
                    self.events.acting = ids.clone();
                }
                self.mark_saving(&op);
                self.info(&format!("{}: {} …", op.label(), op.target()));
                vec![Effect::Mutate {
                    op,
                    actor: self.config.actor.clone(),
                    reason,
                }]
            }
            a @ (Action::OperationDone { .. }
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
            | Action::LaunchRecommended(_)
            | Action::RecommendationsLoaded { .. }
            | Action::DiagnosisLoaded { .. }
            | Action::OpenEvent(_)
            | Action::EventOpened(_)) => self.on_answer(a),
            a @ (Action::Quit | Action::Exit | Action::Yes | Action::No | Action::Back)
                if matches!(self.popup, Some(Popup::AskQuit { .. })) =>
            {
                self.on_ask_quit(a)
            }
            Action::Quit if self.mode() != Mode::PlanForm => self.quit_or_back(),
            Action::Exit => self.ask_quit(),
            Action::Urgent if self.prompt.is_none() && !self.mode().takes_text() => {
                self.open_event(None)
            }
            Action::DrLoaded(result) => self.on_dr_loaded(result),
            Action::DrLinkLoaded { link, result } => self.on_dr_link(&link, result),
            bound => self.on_bound(bound),
        }
    }

    /// Show an informational message.
    pub fn info(&mut self, text: &str) {
        self.message = Some(Message {
            text: text.to_owned(),
            error: false,
            expires: Expiry::At(self.now + INFO_TTL_MS),
        });
        self.dirty = true;
    }

    /// Show an error message.
    pub fn error(&mut self, text: &str) {
        self.message = Some(Message {
            text: text.to_owned(),
            error: true,
            expires: Expiry::Replaced,
        });
        self.dirty = true;
    }

    /// Drop the message once it is no longer true (its time passed, its run finished).
    fn expire_message(&mut self, now: i64) {
        let gone = match self.message.as_ref().map(|m| m.expires) {
            Some(Expiry::At(t)) => now >= t,
            Some(Expiry::RunActive(id)) => {
                // The live view is read more often than the list: ask it first.
                let live = self.plans.live.as_ref().and_then(|v| v.run.as_ref());
                let status = live
                    .into_iter()
                    .chain(self.plans.all_runs.iter().map(|r| &r.run))
                    .find(|r| r.id == id)
                    .map(|r| r.status.as_str());
                status.is_some_and(|s| !super::plans::is_active(s))
            }
            _ => false,
        };
        if gone {
            self.message = None;
            self.dirty = true;
        }
    }

    /// The filter of the active tab.
    pub fn filter(&self) -> &Filter {
        &self.filters[self.tab.index()]
    }

    /// Route a bound action by mode.
    fn on_bound(&mut self, action: Action) -> Vec<Effect> {
        self.dirty = true;
        match self.mode() {
            Mode::Normal => self.on_normal(action),
            Mode::Command | Mode::Filter => self.on_prompt(action),
            Mode::Help => self.on_help(action),
            Mode::Menu => self.on_menu(action),
            Mode::Confirm if matches!(self.popup, Some(Popup::AskQuit { .. })) => {
                self.on_ask_quit(action)
            }
            Mode::Confirm | Mode::ConfirmInput if matches!(self.popup, Some(Popup::Confirm(_))) => {
                self.on_confirm(action)
            }
            Mode::Confirm | Mode::ConfirmInput => self.on_discard(action),
            Mode::Config => self.on_config(action),
            Mode::Editor => self.on_editor(action),
            Mode::History => self.on_history(action),
            Mode::Conflict => self.on_conflict(action),
            Mode::Inspections => self.on_inspections(action),
            Mode::Plans => self.on_plans(action),
            Mode::PlanForm => self.on_plan_form(action),
            Mode::Dr => self.on_dr(action),
        }
    }
}
