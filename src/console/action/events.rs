//! The Events pane's own bindable actions, and the page its reads answer with.

use crate::domain::event::Event;

/// A key of the Events pane (the list or the open detail). Whether it mutates is decided here,
/// by an exhaustive match: adding a variant forces the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum EventsAction {
    /// Acknowledge the selected, marked or open event (y/n).
    Ack,
    /// Assign the selected, marked or open event to me (y/n).
    AssignMe,
    /// Resolve the selected, marked or open event (y/n).
    Resolve,
    /// Diagnose the open or selected event again: queue a run of its scenario's tree (y/n).
    Diagnose,
    /// Mark or unmark the selected row for a bulk action.
    Mark,
    /// Sort by the next column.
    SortNext,
    /// Flip the sort direction.
    SortReverse,
}

impl EventsAction {
    /// Whether the action changes the estate (the read-only gate refuses it).
    pub fn mutates(self) -> bool {
        match self {
            EventsAction::Ack
            | EventsAction::AssignMe
            | EventsAction::Resolve
            | EventsAction::Diagnose => true,
            EventsAction::Mark | EventsAction::SortNext | EventsAction::SortReverse => false,
        }
    }
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
