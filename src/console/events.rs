//! The Events pane's state (tab 2): the filter and sort, the loaded window of rows, the selection,
//! the marks, the open detail, the Overview's statistics and the bell's memory.
//!
//! The table is windowed (DESIGN.md §10): only the visible page plus a small margin is ever loaded,
//! by keyset from a loaded row when the new window touches the old one (a deep page costs what
//! the first does), else by `LIMIT`/`OFFSET` from the nearer end; the total comes from a count
//! that is exact when cheap, else capped and refined in the background. Pure data and arithmetic; `app/events.rs`
//! changes it in response to actions, `panes/events*` draw it. No IO here.

mod sort;
pub mod window;

pub use sort::{default_descending, sort_for_column, sort_label};

use std::collections::BTreeSet;

use crate::domain::event::{Event, EventQuery, LogEntry, SortKey};
use crate::store::EventStats;

/// A read that is under way since this time (epoch ms); one hanging for ten seconds is given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InFlight(pub Option<i64>);

impl InFlight {
    /// Whether a new read may be sent at `now`.
    pub fn due(&self, now: i64) -> bool {
        self.0.is_none_or(|since| now - since >= 10_000)
    }
}

/// One event opened with Enter.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventDetail {
    /// Which event.
    pub id: i64,
    /// The event (from the list at once, then as read).
    pub event: Option<Event>,
    /// Its timeline, oldest first (empty until read).
    pub log: Vec<LogEntry>,
    /// The timeline has been read.
    pub loaded: bool,
    /// Lines scrolled.
    pub scroll: u16,
    /// The last read error.
    pub error: Option<String>,
    /// A read is under way.
    pub in_flight: InFlight,
    /// The plans the scenarios recommend for it, best first.
    pub recommended: Vec<crate::domain::plan::Recommended>,
    /// The recommendations have been computed.
    pub recommend_loaded: bool,
    /// Why they could not be.
    pub recommend_error: Option<String>,
    /// Components are applied: topology parameters can be filled (false: say so before a form).
    pub topology: bool,
    /// `x` was pressed on the list: launch the top recommendation as soon as it is known.
    pub launch_when_loaded: bool,
    /// The change stamp read with what is shown ((0, 0): none; the next poll reads it all).
    pub stamp: (i64, i64),
    /// Its latest diagnosis run, read with each changed timeline (`d` queues another).
    pub diagnosis: Option<DiagnosisView>,
    /// Why it could not be read.
    pub diagnosis_error: Option<String>,
}

/// An event's latest diagnosis as the detail shows it: the run, and its tree as an outline with
/// the path taken marked (computed when read, not per frame).
#[derive(Debug, Clone, PartialEq)]
pub struct DiagnosisView {
    pub run: crate::store::DiagnosisRow,
    pub trace: crate::domain::diagnosis::Trace,
    /// `(line, on the path)`; empty when the tree is gone.
    pub outline: Vec<(String, bool)>,
}

/// The Events pane's state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventsState {
    /// The parsed filter (its page fields are set per request).
    pub query: EventQuery,
    /// The sort column (from `s`, or `sort:` in the filter).
    pub sort: SortKey,
    /// The sort direction.
    pub descending: bool,
    /// Bumped by every filter or sort change; answers for an older one are dropped.
    pub filter_gen: u64,
    /// The newest page request.
    pub request: u64,
    /// The page read under way.
    pub in_flight: InFlight,
    /// A page arrived at least once.
    pub loaded: bool,
    /// The filter generation the shown rows were read for (an older one: the new filter's
    /// answer is still on its way, so an empty page must not claim "no event matches").
    pub loaded_gen: u64,
    /// Position of `rows[0]` in the result.
    pub offset: i64,
    /// The loaded window.
    pub rows: Vec<Event>,
    /// How many events match (at least this many unless `exact`).
    pub total: i64,
    /// `total` is exact (else "10,000+" until the background count answers).
    pub exact: bool,
    /// The change stamp the loaded page was read at (polls send it; nothing is read while it
    /// holds).
    pub stamp: Option<i64>,
    /// The selected position in the result (0-based).
    pub selected: i64,
    /// The first visible position (kept steady while the selection moves inside the page).
    pub scroll: i64,
    /// Marked event ids (bulk actions), across pages and filters.
    pub marks: BTreeSet<i64>,
    /// Ids a confirmed bulk action is running on (unmarked when it succeeds).
    pub acting: Vec<i64>,
    /// The last page read error.
    pub error: Option<String>,
    /// The detail opened with Enter.
    pub detail: Option<EventDetail>,
    /// The Overview's statistics.
    pub stats: Option<EventStats>,
    /// The statistics read under way.
    pub stats_in_flight: InFlight,
    /// The highest event id seen by the bell check (`None` before the first check).
    pub last_id: Option<i64>,
    /// The bell check under way.
    pub urgent_in_flight: InFlight,
    /// New P0/P1 events arrived while the tab was not shown: its title flashes until visited.
    pub flash: bool,
    /// New P0/P1 events announced since the operator last looked (the burst, not the last check).
    pub urgent_unseen: usize,
}

impl EventsState {
    /// A fresh state sorted by last seen, newest first.
    pub fn new() -> EventsState {
        EventsState {
            query: EventQuery {
                descending: true,
                ..EventQuery::default()
            },
            descending: true,
            ..EventsState::default()
        }
    }

    /// The selected event, if its row is loaded.
    pub fn selected_event(&self) -> Option<&Event> {
        self.row_at(self.selected)
    }

    /// The event at a position of the result, if loaded.
    pub fn row_at(&self, position: i64) -> Option<&Event> {
        let i = usize::try_from(position - self.offset).ok()?;
        self.rows.get(i)
    }

    /// The query for a page: the filter with the sort and the window.
    pub fn page_query(&self, offset: i64, limit: i64) -> EventQuery {
        EventQuery {
            sort: self.sort,
            descending: self.descending,
            offset,
            limit,
            ..self.query.clone()
        }
    }

    /// What a bulk action acts on: the marks, else the selected event (or the open detail's).
    pub fn targets(&self) -> Vec<i64> {
        if let Some(d) = &self.detail {
            return vec![d.id];
        }
        if !self.marks.is_empty() {
            return self.marks.iter().copied().collect();
        }
        self.selected_event()
            .map(|e| vec![e.id])
            .unwrap_or_default()
    }
}
