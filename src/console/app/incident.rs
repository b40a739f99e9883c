//! The incident path: `!` opens the newest unacknowledged P0/P1 event, `:event N` any event;
//! `a`/`o`/`v` acknowledge, assign to me or resolve it without the menu; `q` backs out of a
//! detail and, at the top, quits only after saying what stops (the in-process engine, runs in
//! flight).

use super::{App, Popup};
use crate::console::action::{Action, EventsAction, Operation};
use crate::console::effect::Effect;
use crate::console::events::EventDetail;
use crate::console::plans::is_active;
use crate::console::tab::Tab;
use crate::domain::EngineState;
use crate::domain::event::{Event, Status};
use crate::store::EventAction;

impl App {
    /// Whether a detail (a level below a pane's list) is open on the active tab.
    fn in_detail(&self) -> bool {
        match self.tab {
            Tab::Events => self.events.detail.is_some(),
            Tab::Plans => self.plans.live.is_some(),
            Tab::Inspections => {
                self.inspections.runs.is_some()
                    || self.inspections.run.is_some()
                    || self.inspections.result.is_some()
            }
            Tab::Config => self.sysconf.screen.is_some(),
            _ => false,
        }
    }

    /// `q`: back out of a detail; at the top of a pane, quit (asking when something stops).
    pub(super) fn quit_or_back(&mut self) -> Vec<Effect> {
        if self.popup.is_none() && self.prompt.is_none() && self.in_detail() {
            return self.update(Action::Back);
        }
        self.ask_quit()
    }

    /// What quitting this console stops, one line each (empty: nothing).
    pub fn quit_stops(&self) -> Vec<String> {
        let mut stops = Vec::new();
        let active: Vec<String> = self
            .plans
            .runs
            .iter()
            .filter(|r| is_active(&r.run.status))
            .map(|r| format!("#{} {}", r.run.id, r.run.plan))
            .collect();
        if let EngineState::InProcess { listen } = &self.engine {
            stops.push(format!(
                "the engine in this process: alert ingest on {listen}, inspections, plan workers"
            ));
            if !active.is_empty() {
                stops.push(format!(
                    "runs in flight, shown interrupted once their lease expires: {}",
                    active.join(", ")
                ));
            }
        } else if !active.is_empty() {
            stops.push(format!(
                "nothing stops: runs in flight ({}) go on in their engine",
                active.join(", ")
            ));
        }
        stops
    }

    /// Quit now, or ask first when the engine runs here or a run is in flight.
    pub(super) fn ask_quit(&mut self) -> Vec<Effect> {
        let stops = self.quit_stops();
        if stops.is_empty() {
            self.quit = true;
        } else {
            self.popup = Some(Popup::AskQuit { stops });
            self.dirty = true;
        }
        Vec::new()
    }

    /// A key while the quit question is open: `y` quits, anything bound to no/back stays.
    pub(super) fn on_ask_quit(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Yes | Action::Exit => self.quit = true,
            Action::No | Action::Back | Action::Quit => {
                self.popup = None;
                self.info("still here: nothing was stopped");
            }
            _ => {}
        }
        self.dirty = true;
        Vec::new()
    }

    /// `!` or `:event N`: read the event to open.
    pub(super) fn open_event(&mut self, id: Option<i64>) -> Vec<Effect> {
        self.popup = None;
        vec![Effect::OpenEvent { id }]
    }

    /// The event to open arrived: its detail on the Events tab, with its recommendations.
    pub(super) fn on_event_opened(
        &mut self,
        result: Result<Option<Box<Event>>, String>,
    ) -> Vec<Effect> {
        let event = match result {
            Ok(Some(e)) => *e,
            Ok(None) => {
                self.info("no unacknowledged P0/P1 event: all clear");
                return Vec::new();
            }
            Err(e) => {
                self.error(&e);
                return Vec::new();
            }
        };
        let mut effects = if self.tab == Tab::Events {
            Vec::new()
        } else {
            self.show_tab(Tab::Events)
        };
        self.events.flash = false;
        self.events.urgent_unseen = 0;
        let id = event.id;
        self.info(&format!(
            "event #{id} {} · x plan · a ack · o assign me · v resolve · Esc list",
            event.level.as_str()
        ));
        self.events.detail = Some(EventDetail {
            id,
            event: Some(event),
            ..EventDetail::default()
        });
        effects.extend(self.load_event_detail());
        effects.push(Effect::LoadRecommendations { id });
        effects
    }

    /// `a`, `o`, `v` on the Events tab: the action on the open, marked or selected events,
    /// through the confirmation its danger demands.
    pub(super) fn event_action(&mut self, action: &Action) -> Vec<Effect> {
        let ids = self.events.targets();
        let Some(&first) = ids.first() else {
            self.info("nothing selected: a, o, v act on the open, marked or selected event");
            return Vec::new();
        };
        let single = (ids.len() == 1)
            .then(|| {
                self.events
                    .detail
                    .as_ref()
                    .and_then(|d| d.event.clone())
                    .filter(|e| e.id == first)
                    .or_else(|| self.events.rows.iter().find(|e| e.id == first).cloned())
            })
            .flatten();
        let what = match action {
            Action::OnEvents(EventsAction::Ack) => EventAction::Ack {
                note: String::new(),
            },
            Action::OnEvents(EventsAction::AssignMe) => EventAction::Assign {
                to: self.config.actor.clone(),
            },
            _ => EventAction::Resolve {
                note: String::new(),
            },
        };
        if let Some(e) = &single {
            let fits = match what {
                EventAction::Ack { .. } => e.status == Status::Open,
                EventAction::Resolve { .. } => {
                    matches!(e.status, Status::Open | Status::Acked | Status::Suppressed)
                }
                _ => e.status != Status::Closed,
            };
            if !fits {
                self.error(&format!(
                    "event #{} is {}: nothing to do",
                    e.id,
                    e.status.as_str()
                ));
                return Vec::new();
            }
        }
        let target = match &single {
            Some(e) => format!("event {} ({})", e.id, e.title),
            None if ids.len() == 1 => format!("event {first}"),
            None => format!("{} marked events", ids.len()),
        };
        self.update(Action::Request(Operation::Events {
            ids,
            action: what,
            target,
        }))
    }
}
