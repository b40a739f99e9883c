//! The Events pane's `m` menu: the lifecycle actions that fit the targets (marks, the open
//! detail's event, or the selected one), each through the confirmation its danger demands. A
//! read-only console lists no action at all, only filters.

use super::{App, Popup};
use crate::console::action::{Action, Operation};
use crate::console::menu::{MenuItem, MenuState};
use crate::domain::event::{Event, Level, Status};
use crate::store::EventAction;

impl App {
    /// `m` on the Events tab: handle the marks, the open detail's event or the selected one.
    pub(super) fn open_events_menu(&mut self) {
        let ids = self.events.targets();
        let Some(&first) = ids.first() else {
            self.info("nothing selected: the action menu acts on the marked or selected events");
            return;
        };
        let single = (ids.len() == 1).then(|| self.event_by_id(first)).flatten();
        let target = match &single {
            Some(e) => format!("event {} ({})", e.id, e.title),
            None if ids.len() == 1 => format!("event {first}"),
            None => format!("{} marked events", ids.len()),
        };
        let mut items = Vec::new();
        let note = if self.config.read_only {
            Some("read-only: changes are hidden".to_owned())
        } else {
            let me = self.config.actor.clone();
            let mut actions = vec![
                EventAction::Ack {
                    note: String::new(),
                },
                EventAction::Assign { to: me },
                EventAction::Resolve {
                    note: String::new(),
                },
                EventAction::Close {
                    note: String::new(),
                },
            ];
            for level in Level::ALL {
                if single.as_ref().is_none_or(|e| e.level != level) {
                    actions.push(EventAction::Regrade {
                        level,
                        reason: String::new(),
                    });
                }
            }
            for action in actions {
                if let Some(e) = &single
                    && !fits(&action, e.status)
                {
                    continue;
                }
                let label = menu_label(&action);
                let op = Operation::Events {
                    ids: ids.clone(),
                    action,
                    target: target.clone(),
                };
                let label = format!("{label} ({})", op.danger());
                items.push(MenuItem {
                    label,
                    action: Action::Request(op),
                });
            }
            None
        };
        if let Some(e) = &single {
            if !e.component.is_empty() {
                items.push(MenuItem {
                    label: format!("Filter by component {}", e.component),
                    action: Action::ApplyFilter(format!("component:{}", e.component)),
                });
            }
            items.push(MenuItem {
                label: format!("Filter by source {}", e.source),
                action: Action::ApplyFilter(format!("source:{}", e.source)),
            });
        }
        self.popup = Some(Popup::Menu(MenuState {
            title: target,
            items,
            selected: 0,
            note,
        }));
    }

    fn event_by_id(&self, id: i64) -> Option<Event> {
        if let Some(e) = self.events.detail.as_ref().and_then(|d| d.event.as_ref())
            && e.id == id
        {
            return Some(e.clone());
        }
        self.events.rows.iter().find(|e| e.id == id).cloned()
    }
}

/// Whether the store would accept `action` for an event in `status` (the menu leaves out the rest;
/// the store checks again).
fn fits(action: &EventAction, status: Status) -> bool {
    match action {
        EventAction::Ack { .. } => status == Status::Open,
        EventAction::Resolve { .. } => {
            matches!(status, Status::Open | Status::Acked | Status::Suppressed)
        }
        EventAction::Comment { .. } => true,
        _ => status != Status::Closed,
    }
}

/// A menu entry's words.
fn menu_label(action: &EventAction) -> String {
    match action {
        EventAction::Ack { .. } => "Acknowledge".to_owned(),
        EventAction::Assign { to } => format!("Assign to me ({to})"),
        EventAction::Comment { .. } => "Comment".to_owned(),
        EventAction::Resolve { .. } => "Resolve".to_owned(),
        EventAction::Close { .. } => "Close (asks a reason)".to_owned(),
        EventAction::Regrade { level, .. } => {
            format!("Re-grade to {} (asks a reason)", level.as_str())
        }
    }
}
