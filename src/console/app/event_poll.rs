//! Data the Events pane and the Overview poll for: statistics, the bell check (a new P0/P1 rings
//! once per check and flashes the tab until visited), and what follows a confirmed action.
//!
//! Every poll carries the change stamp its data was read at; the runtime reads the stamp (one
//! primary-key row) and reads nothing else while it holds, so an idle console on a store of a
//! million events costs a handful of index lookups per tick.

use super::App;
use crate::console::effect::Effect;
use crate::console::events::InFlight;
use crate::console::tab::Tab;
use crate::domain::event::Level;
use crate::store::EventStats;

impl App {
    /// The statistics for the Overview arrived.
    pub(super) fn on_event_stats(&mut self, result: Result<EventStats, String>) {
        self.events.stats_in_flight = InFlight(None);
        match result {
            Ok(stats) if self.events.stats.as_ref() != Some(&stats) => {
                self.events.stats = Some(stats);
                self.dirty = true;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "reading event statistics failed"),
        }
    }

    /// The bell check came back: ring once and flash the tab for new P0/P1 events.
    pub(super) fn on_urgent(
        &mut self,
        result: Result<(i64, Vec<(i64, Level)>), String>,
    ) -> Vec<Effect> {
        self.events.urgent_in_flight = InFlight(None);
        let (max_id, urgent) = match result {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "the new-event check failed");
                return Vec::new();
            }
        };
        let first = self.events.last_id.is_none();
        let last = self.events.last_id.unwrap_or(0).max(max_id);
        self.events.last_id = Some(last);
        let Some(&(newest, level)) = urgent.last().filter(|_| !first) else {
            return Vec::new();
        };
        // Count the burst since the operator last looked, not only this check's share of it.
        self.events.urgent_unseen += urgent.len();
        let n = self.events.urgent_unseen;
        let plural = if n == 1 { "" } else { "s" };
        self.error(&format!(
            "{n} new P0/P1 event{plural}, newest #{newest} {} · ! opens it",
            level.as_str()
        ));
        let mut effects = vec![Effect::Bell];
        if self.tab == Tab::Events {
            effects.extend(self.request_events());
        } else {
            self.events.flash = true;
        }
        effects
    }

    /// On a tick: the bell check, and what the shown tab needs (page and detail, or statistics).
    pub(super) fn poll_events(&mut self) -> Vec<Effect> {
        let now = self.now;
        let mut effects = Vec::new();
        if self.events.urgent_in_flight.due(now) {
            self.events.urgent_in_flight = InFlight(Some(now));
            effects.push(Effect::CheckUrgent {
                after: self.events.last_id,
            });
        }
        match self.tab {
            Tab::Events => {
                if self.events.in_flight.due(now) {
                    effects.extend(self.poll_events_page());
                }
                effects.extend(self.load_event_detail());
            }
            Tab::Overview => effects.extend(self.load_event_stats()),
            _ => {}
        }
        effects
    }

    /// Read the Overview's statistics unless a read is under way.
    pub(super) fn load_event_stats(&mut self) -> Vec<Effect> {
        if !self.events.stats_in_flight.due(self.now) {
            return Vec::new();
        }
        self.events.stats_in_flight = InFlight(Some(self.now));
        let known = self.events.stats.as_ref().map(|s| (s.stamp, s.hour));
        vec![Effect::LoadEventStats {
            now: self.now,
            known,
        }]
    }

    /// Entering a tab: the Events tab stops flashing and reads its page.
    pub(super) fn on_show_events_tab(&mut self, before: Tab) -> Vec<Effect> {
        match self.tab {
            Tab::Events => {
                self.events.flash = false;
                self.events.urgent_unseen = 0;
                // The tab opens on its list: an old event's detail does not come back by itself.
                if before != Tab::Events {
                    self.events.detail = None;
                }
                if before != Tab::Events && self.events.in_flight.due(self.now) {
                    return self.request_events();
                }
                Vec::new()
            }
            Tab::Overview if self.events.stats.is_none() => self.load_event_stats(),
            _ => Vec::new(),
        }
    }

    /// A confirmed event action finished: unmark what it handled, read the page again.
    pub(super) fn after_event_action(&mut self, failed: bool) -> Vec<Effect> {
        let acting = std::mem::take(&mut self.events.acting);
        if acting.is_empty() {
            return Vec::new();
        }
        if !failed {
            for id in acting {
                self.events.marks.remove(&id);
            }
        }
        self.events.stats_in_flight = InFlight(None);
        self.events.in_flight = InFlight(None);
        let mut effects = self.request_events();
        if let Some(d) = &mut self.events.detail {
            d.in_flight = InFlight(None);
        }
        effects.extend(self.load_event_detail());
        effects
    }
}
