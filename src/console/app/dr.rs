//! Routing the DR pane's actions to its component ([`crate::console::dr::DrState`]) and turning
//! its outcomes into popups, messages and effects.

use super::{App, Popup};
use crate::console::action::Action;
use crate::console::dr::{Outcome, history_lines};
use crate::console::effect::Effect;
use crate::console::tab::Tab;

/// The board is read at most this often (the engine collects every 10 s by default).
const MIN_PERIOD_MS: i64 = 2_000;

impl App {
    /// Read the board when the pane is shown and a read is due.
    pub(super) fn poll_dr(&mut self) -> Vec<Effect> {
        if self.tab != Tab::Dr {
            return Vec::new();
        }
        let period = i64::try_from(self.config.refresh_ms)
            .unwrap_or(MIN_PERIOD_MS)
            .max(MIN_PERIOD_MS);
        self.dr.poll(self.now, period).into_iter().collect()
    }

    pub(super) fn on_dr_loaded(
        &mut self,
        result: Result<Box<crate::dr::Board>, String>,
    ) -> Vec<Effect> {
        let changed = match (&result, &self.dr.board) {
            (Ok(new), Some(old)) => {
                new.view.links != old.view.links
                    || new.view.levels != old.view.levels
                    || new.view.events != old.view.events
                    || new.verdicts != old.verdicts
                    || new.model != old.model
            }
            _ => true,
        };
        self.dr.loaded(result, self.now);
        if changed {
            self.dirty = true;
        }
        Vec::new()
    }

    pub(super) fn on_dr_link(
        &mut self,
        link: &str,
        result: Result<Vec<crate::store::SampleRow>, String>,
    ) -> Vec<Effect> {
        match result {
            Ok(rows) => {
                let mut lines = history_lines(&rows);
                if lines.is_empty() {
                    lines.push((String::new(), "no sample yet".into()));
                }
                self.popup = Some(Popup::Detail {
                    title: format!("link {link} · history (newest first)"),
                    lines,
                });
                self.dirty = true;
            }
            Err(e) => self.error(&format!("link {link}: {e}")),
        }
        Vec::new()
    }

    pub(super) fn on_dr(&mut self, action: Action) -> Vec<Effect> {
        match self.dr.on_action(&action) {
            Outcome::NotConsumed => self.on_normal(action),
            Outcome::Consumed(effects) => {
                self.dirty = true;
                let mut effects = effects;
                if matches!(action, Action::Refresh) {
                    effects.extend(self.poll_dr());
                }
                effects
            }
            Outcome::Detail(title, lines) => {
                self.popup = Some(Popup::Detail { title, lines });
                self.dirty = true;
                Vec::new()
            }
            Outcome::Info(text) => {
                self.info(&text);
                Vec::new()
            }
        }
    }
}
