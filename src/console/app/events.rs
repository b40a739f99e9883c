//! The Events pane: windowed paging, sort, the filter language, marks, the detail, the action
//! menu, and the data that arrives for them (pages, details, statistics, the bell check).
//!
//! Only the visible page plus a margin is ever requested; one page read is in flight at a time,
//! and an answer for an older filter or sort is dropped. The bell rings once per check that finds
//! new open P0/P1 events; the first check only learns the highest id (no bell for old events).

use super::App;
use crate::console::action::{Action, EventPage, EventsAction, Operation, PlansAction};
use crate::console::effect::Effect;
use crate::console::events::window;
use crate::console::events::{
    EventDetail, InFlight, default_descending, sort_for_column, sort_label,
};
use crate::console::filter::Filter;
use crate::console::tab::Tab;
use crate::domain::event::{Event, EventQuery, Keyset, LogEntry};

impl App {
    /// Rows the Events table shows at the known terminal size (tabs, status bar, borders, header).
    pub fn events_body(&self) -> i64 {
        let prompt = i64::from(self.prompt.is_some());
        (i64::from(self.size.1) - 5 - prompt).max(1)
    }

    /// Ask for the window around the current page.
    pub(super) fn request_events(&mut self) -> Vec<Effect> {
        self.request_events_at(None)
    }

    /// A poll: ask for the window again, to be read only if the change stamp moved since the
    /// loaded page was read (an idle console reads one primary-key row per tick).
    pub(super) fn poll_events_page(&mut self) -> Vec<Effect> {
        let known = self.events.stamp.filter(|_| self.events.error.is_none());
        self.request_events_at(known)
    }

    fn request_events_at(&mut self, known: Option<i64>) -> Vec<Effect> {
        let (offset, limit) = window::wanted(self.events.scroll, self.events_body());
        let (query, from_end) = self.page_read(offset, limit);
        let e = &mut self.events;
        e.request += 1;
        e.in_flight = InFlight(Some(self.now));
        vec![Effect::LoadEvents {
            request: e.request,
            filter_gen: e.filter_gen,
            query,
            from_end,
            known,
        }]
    }

    /// How to read the window `(offset, limit)`: by keyset from a loaded row when the window
    /// starts on one (or ends just before one: read backwards from it), else by OFFSET from the
    /// nearer end (the end only when the total is exact).
    fn page_read(&self, offset: i64, limit: i64) -> (EventQuery, bool) {
        let e = &self.events;
        let mut query = e.page_query(offset, limit);
        if offset > 0 && e.loaded {
            if let Some(first) = e.row_at(offset) {
                query.after = Some(Keyset::of(first, e.sort).inclusive(e.descending));
                return (query, false);
            }
            if let Some(next) = e.row_at(offset + limit) {
                query.after = Some(Keyset::of(next, e.sort));
                query.descending = !query.descending;
                return (query, true);
            }
        }
        let from_end = e.loaded && e.exact && offset > e.total / 2;
        (query, from_end)
    }

    /// A poll found nothing changed.
    pub(super) fn on_events_unchanged(&mut self, request: u64, filter_gen: u64) {
        if filter_gen == self.events.filter_gen && request == self.events.request {
            self.events.in_flight = InFlight(None);
        }
    }

    /// The exact count arrived (after a capped one).
    pub(super) fn on_events_counted(
        &mut self,
        filter_gen: u64,
        stamp: i64,
        result: Result<i64, String>,
    ) {
        let e = &mut self.events;
        if filter_gen != e.filter_gen {
            return;
        }
        match result {
            Ok(total) if (total, true) != (e.total, e.exact) => {
                e.total = total;
                e.exact = true;
                e.stamp = e.stamp.map(|s| s.min(stamp));
                self.dirty = true;
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "counting events failed"),
        }
    }

    /// Read a new window when the visible page is not loaded and no read is under way.
    pub(super) fn fetch_if_needed(&mut self) -> Vec<Effect> {
        let e = &self.events;
        let len = i64::try_from(e.rows.len()).unwrap_or(i64::MAX);
        let covered = window::covers(e.offset, len, e.total, e.scroll, self.events_body());
        if (e.loaded && covered) || !e.in_flight.due(self.now) {
            return Vec::new();
        }
        self.request_events()
    }

    /// The filter or sort changed: start again at the top with a new generation.
    fn restart_events(&mut self) -> Vec<Effect> {
        let e = &mut self.events;
        e.filter_gen += 1;
        e.selected = 0;
        e.scroll = 0;
        e.in_flight = InFlight(None);
        self.dirty = true;
        self.request_events()
    }

    /// A page arrived.
    pub(super) fn on_events_loaded(
        &mut self,
        request: u64,
        filter_gen: u64,
        result: Result<EventPage, String>,
    ) -> Vec<Effect> {
        if filter_gen != self.events.filter_gen {
            return Vec::new();
        }
        if request == self.events.request {
            self.events.in_flight = InFlight(None);
        }
        let page = match result {
            Ok(page) => page,
            Err(e) => {
                if self.events.error.as_deref() != Some(e.as_str()) {
                    tracing::warn!(error = %e, "reading events failed");
                    self.events.error = Some(e);
                    self.dirty = true;
                }
                return Vec::new();
            }
        };
        let body = self.events_body();
        let e = &mut self.events;
        if e.error.take().is_some() || !e.loaded {
            self.dirty = true;
        }
        if e.loaded_gen != filter_gen {
            e.loaded_gen = filter_gen;
            self.dirty = true;
        }
        e.loaded = true;
        let answered = page.offset;
        e.stamp = Some(page.stamp);
        let mut effects = Vec::new();
        if !page.exact {
            effects.push(Effect::CountEvents {
                filter_gen,
                query: e.page_query(0, 0),
            });
        }
        if (e.offset, e.total, e.exact) != (page.offset, page.total, page.exact)
            || e.rows != page.rows
        {
            e.offset = page.offset;
            e.total = page.total;
            e.exact = page.exact;
            e.rows = page.rows;
            self.dirty = true;
        }
        let (selected, scroll) = window::clamp(e.selected, e.scroll, e.total, body);
        if (selected, scroll) != (e.selected, e.scroll) {
            (e.selected, e.scroll) = (selected, scroll);
            self.dirty = true;
        }
        // Ask again only if the operator moved since: a short answer must not start a loop.
        if window::wanted(e.scroll, body).0 != answered {
            effects.extend(self.fetch_if_needed());
        }
        effects
    }

    /// Move the selection to `to` (clamped), reading a new window if needed.
    fn events_move(&mut self, to: i64) -> Vec<Effect> {
        let body = self.events_body();
        let e = &mut self.events;
        e.selected = to.clamp(0, (e.total - 1).max(0));
        e.scroll = window::follow(e.selected, e.scroll, body);
        self.fetch_if_needed()
    }

    /// Bound actions on the Events tab; `None` for what the generic browsing handles.
    pub(super) fn on_events(&mut self, action: &Action) -> Option<Vec<Effect>> {
        if matches!(
            action,
            Action::OnEvents(EventsAction::Ack)
                | Action::OnEvents(EventsAction::AssignMe)
                | Action::OnEvents(EventsAction::Resolve)
        ) {
            return Some(self.event_action(action));
        }
        if matches!(action, Action::OnEvents(EventsAction::Diagnose)) {
            return Some(self.diagnose_again());
        }
        if self.events.detail.is_some() {
            return self.on_event_detail(action);
        }
        let (sel, page) = (self.events.selected, self.events_body());
        Some(match action {
            Action::Down => self.events_move(sel + 1),
            Action::Up => self.events_move(sel - 1),
            Action::PageDown => self.events_move(sel + page),
            Action::PageUp => self.events_move(sel - page),
            Action::Top => self.events_move(0),
            Action::Bottom => self.events_move(self.events.total - 1),
            Action::OnEvents(EventsAction::Mark) => self.toggle_mark(),
            Action::OnEvents(EventsAction::SortNext) => self.sort_next(),
            Action::OnEvents(EventsAction::SortReverse) => {
                self.events.descending = !self.events.descending;
                self.restart_events()
            }
            Action::Select => self.open_event_detail(),
            // `x` on the list: open the event and launch its top recommendation once known.
            Action::OnPlans(PlansAction::LaunchPlan) => {
                let effects = self.open_event_detail();
                if let Some(d) = &mut self.events.detail {
                    d.launch_when_loaded = true;
                }
                effects
            }
            Action::Menu => {
                self.open_events_menu();
                Vec::new()
            }
            Action::Refresh => {
                let mut fx = self.load();
                fx.extend(self.request_events());
                fx
            }
            Action::Back if self.message.is_none() && !self.events.marks.is_empty() => {
                self.events.marks.clear();
                self.info("marks cleared");
                Vec::new()
            }
            _ => return None,
        })
    }

    /// `d`: queue a diagnosis of the open (else the selected) event, confirmed as G1.
    fn diagnose_again(&mut self) -> Vec<Effect> {
        let id = match &self.events.detail {
            Some(d) => Some(d.id),
            None => self.events.selected_event().map(|e| e.id),
        };
        let Some(event_id) = id else {
            self.info("no event selected: d diagnoses the open or selected event");
            return Vec::new();
        };
        self.update(Action::Request(Operation::Diagnose {
            event_id,
            target: format!("event #{event_id}"),
        }))
    }

    fn toggle_mark(&mut self) -> Vec<Effect> {
        let Some(id) = self.events.selected_event().map(|e| e.id) else {
            return Vec::new();
        };
        if !self.events.marks.remove(&id) {
            self.events.marks.insert(id);
        }
        self.events_move(self.events.selected + 1)
    }

    /// `s`: the next sortable column of the view, in its natural direction.
    fn sort_next(&mut self) -> Vec<Effect> {
        let mut keys: Vec<_> = self
            .config
            .events_view
            .columns
            .iter()
            .filter_map(|c| sort_for_column(&c.id))
            .collect();
        keys.dedup();
        if keys.is_empty() {
            return Vec::new();
        }
        let next = keys
            .iter()
            .position(|k| *k == self.events.sort)
            .map_or(0, |i| (i + 1) % keys.len());
        self.events.sort = keys[next];
        self.events.descending = default_descending(keys[next]);
        self.info(&format!("sorted by {}", sort_label(keys[next])));
        self.restart_events()
    }

    /// `/` on the Events tab: the store's filter language. A bad filter is reported and the last
    /// good one stays.
    pub(super) fn apply_event_filter(&mut self, text: &str) -> Vec<Effect> {
        let query = match EventQuery::parse(text, &self.config.actor) {
            Ok(q) => q,
            Err(e) => {
                let kept = &self.filters[Tab::Events.index()].raw;
                let kept = if kept.is_empty() { "none" } else { kept };
                self.error(&format!("{e} (kept filter: {kept})"));
                return Vec::new();
            }
        };
        if text.split_whitespace().any(|w| w.starts_with("sort:")) {
            self.events.sort = query.sort;
            self.events.descending = query.descending;
        }
        self.events.query = query;
        self.events.detail = None;
        let filter = Filter::parse(text);
        if filter.is_empty() {
            self.info("filter cleared");
        } else {
            self.info(&format!("filter: {} (Esc clears)", filter.raw));
        }
        self.filters[Tab::Events.index()] = filter;
        self.restart_events()
    }

    fn open_event_detail(&mut self) -> Vec<Effect> {
        let Some(event) = self.events.selected_event().cloned() else {
            return Vec::new();
        };
        self.events.detail = Some(EventDetail {
            id: event.id,
            event: Some(event),
            ..EventDetail::default()
        });
        let mut effects = self.load_event_detail();
        if let Some(d) = &self.events.detail {
            effects.push(Effect::LoadRecommendations { id: d.id });
        }
        effects
    }

    /// Read the open detail again.
    pub(super) fn load_event_detail(&mut self) -> Vec<Effect> {
        let now = self.now;
        match &mut self.events.detail {
            Some(d) if d.in_flight.due(now) => {
                d.in_flight = InFlight(Some(now));
                vec![Effect::LoadEventDetail {
                    id: d.id,
                    known: Some(d.stamp).filter(|s| *s != (0, 0)),
                }]
            }
            _ => Vec::new(),
        }
    }

    fn on_event_detail(&mut self, action: &Action) -> Option<Vec<Effect>> {
        let delta: i32 = match action {
            Action::Back => {
                let id = self.events.detail.take().map(|d| d.id);
                // Back on the list with the event selected, when its row is loaded.
                if let Some(i) = id.and_then(|id| self.events.rows.iter().position(|e| e.id == id))
                {
                    let at = self.events.offset + i64::try_from(i).unwrap_or(0);
                    return Some(self.events_move(at));
                }
                return Some(Vec::new());
            }
            Action::Menu => {
                self.open_events_menu();
                return Some(Vec::new());
            }
            Action::Refresh => return Some(self.load_event_detail()),
            Action::OnPlans(PlansAction::LaunchPlan) => return Some(self.choose_recommended()),
            Action::Down => 1,
            Action::Up => -1,
            Action::PageDown => 10,
            Action::PageUp => -10,
            Action::Top => -10_000,
            Action::Select
            | Action::OnEvents(EventsAction::Mark)
            | Action::OnEvents(EventsAction::SortNext)
            | Action::OnEvents(EventsAction::SortReverse) => 0,
            _ => return None,
        };
        if let Some(d) = &mut self.events.detail {
            let next = (i32::from(d.scroll) + delta).clamp(0, 500);
            d.scroll = u16::try_from(next).unwrap_or(0);
        }
        Some(Vec::new())
    }

    /// The detail's event and timeline arrived.
    pub(super) fn on_event_detail_loaded(
        &mut self,
        id: i64,
        stamp: (i64, i64),
        result: Result<(Box<Event>, Vec<LogEntry>), String>,
    ) -> Vec<Effect> {
        let mut effects = Vec::new();
        let Some(d) = self.events.detail.as_mut().filter(|d| d.id == id) else {
            return effects;
        };
        d.in_flight = InFlight(None);
        d.stamp = if result.is_ok() { stamp } else { (0, 0) };
        // The timeline changed (or was read first): a diagnosis may have finished.
        effects.push(Effect::LoadDiagnosis { id });
        let before = d.clone();
        match result {
            Ok((event, log)) => {
                d.event = Some(*event);
                d.log = log;
                d.loaded = true;
                d.error = None;
            }
            Err(e) => d.error = Some(e),
        }
        if *d != before {
            self.dirty = true;
        }
        effects
    }
}
