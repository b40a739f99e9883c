//! Data arrivals: ticks, Overview reads (dropping stale generations), engine state, themes.
//!
//! The freshness shown is coarse on purpose (`live`, `stale 2m`): a per-second counter would
//! redraw an idle screen every second, and an idle console must write nothing to the terminal.

use super::App;
use crate::console::effect::Effect;
use crate::console::theme::Theme;
use crate::domain::time::age;
use crate::domain::{EngineState, Overview};

impl App {
    /// Ask for a new read (a newer generation makes any pending answer stale).
    pub(super) fn load(&mut self) -> Vec<Effect> {
        self.generation += 1;
        self.in_flight_since = Some(self.now);
        vec![Effect::LoadOverview {
            generation: self.generation,
            known: self
                .overview
                .as_ref()
                .map(|o| Box::new((o.change.clone(), o.audit_total))),
        }]
    }

    /// The clock moved: poll unless a read is pending (one that hangs for ten periods is given up).
    pub(super) fn on_tick(&mut self, now: i64) -> Vec<Effect> {
        let before = self.clock_view();
        self.now = now;
        if self.clock_view() != before {
            self.dirty = true;
        }
        let patience = i64::try_from(self.config.refresh_ms.saturating_mul(10)).unwrap_or(i64::MAX);
        let mut effects = match self.in_flight_since {
            Some(since) if now - since < patience.max(10_000) => Vec::new(),
            _ => self.load(),
        };
        effects.extend(self.poll_config());
        effects.extend(self.poll_events());
        effects.extend(self.poll_inspections());
        effects.extend(self.poll_plans());
        effects.extend(self.poll_dr());
        effects
    }

    /// Everything on screen that depends on the clock alone; a tick redraws only if it changes.
    fn clock_view(&self) -> (String, Vec<String>) {
        let mut ages = self.overview.as_ref().map_or_else(Vec::new, |o| {
            o.instances
                .iter()
                .map(|i| self.heartbeat_label(i.heartbeat_at))
                .collect()
        });
        if self.tab == crate::console::tab::Tab::Events {
            ages.extend(self.events.rows.iter().map(|e| age(e.last_seen, self.now)));
        }
        if self.tab == crate::console::tab::Tab::Inspections {
            ages.extend(self.inspections_clock());
        }
        if self.tab == crate::console::tab::Tab::Plans {
            ages.extend(self.plans_clock());
        }
        (self.freshness().0, ages)
    }

    /// A heartbeat's age, coarse while alive so it does not tick: `live` or `3m ago`.
    pub fn heartbeat_label(&self, at: i64) -> String {
        if self.now - at <= self.config.ttl_ms {
            "live".to_owned()
        } else {
            format!("{} ago", age(at, self.now))
        }
    }

    /// The freshness label and whether it is bad.
    pub fn freshness(&self) -> (String, bool) {
        let period = i64::try_from(self.config.refresh_ms).unwrap_or(i64::MAX / 4);
        match self.last_ok {
            None if self.data_error.is_some() => ("no data".to_owned(), true),
            None => ("loading".to_owned(), false),
            Some(t) if self.now - t <= 3 * period => ("live".to_owned(), false),
            Some(t) if self.now - t < 60_000 => ("stale".to_owned(), true),
            Some(t) => (format!("stale {}", age(t, self.now)), true),
        }
    }

    /// An Overview read finished (`Ok(None)`: its change stamp had not moved, nothing was read).
    pub(super) fn on_overview(
        &mut self,
        generation: u64,
        at: i64,
        result: Result<Option<Box<Overview>>, String>,
    ) {
        if generation != self.generation {
            tracing::debug!(
                generation,
                current = self.generation,
                "dropping a stale Overview read"
            );
            return;
        }
        self.in_flight_since = None;
        let before = self.freshness();
        match result {
            Ok(overview) => {
                self.last_ok = Some(at.max(self.last_ok.unwrap_or(at)));
                if self.data_error.take().is_some() {
                    self.dirty = true;
                }
                if let Some(overview) = overview
                    && self.overview.as_ref() != Some(&*overview)
                {
                    self.db = overview.db.clone();
                    self.overview = Some(*overview);
                    self.refilter();
                }
            }
            Err(e) => {
                if self.data_error.as_deref() != Some(e.as_str()) {
                    tracing::warn!(error = %e, "Overview read failed");
                    self.data_error = Some(e);
                    self.dirty = true;
                }
            }
        }
        if self.freshness() != before {
            self.dirty = true;
        }
    }

    /// The engine state changed.
    pub(super) fn on_engine(&mut self, state: EngineState) -> Vec<Effect> {
        if self.engine != state {
            self.engine = state;
            self.dirty = true;
        }
        Vec::new()
    }

    /// A theme finished loading (or failed: the old one stays).
    pub(super) fn on_theme(&mut self, result: Result<Box<Theme>, String>) -> Vec<Effect> {
        match result {
            Ok(theme) => {
                let name = theme.name.clone();
                self.config.theme = *theme;
                self.info(&format!("theme {name}"));
            }
            Err(e) => self.error(&e),
        }
        Vec::new()
    }
}
