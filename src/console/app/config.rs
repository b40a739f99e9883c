//! The Config pane: loading the keys, the list and the value view, switches, history and rollback,
//! and what happens when a save comes back. Editing itself lives in `editor.rs`.
//!
//! Every change goes through the G2 confirmation with a review (diff + notes); the read-only gate
//! in `update` has already refused `edit`, `toggle` and `rollback` before anything here runs.

use serde_json::Value;

use super::{App, Popup};
use crate::console::action::{Action, ConfigAction, Operation, SaveFailure};
use crate::console::confirm::ConfirmState;
use crate::console::effect::Effect;
use crate::console::sysconf::{
    ConflictState, EditorState, HistoryState, Review, Screen, notes_for,
};
use crate::console::tab::Tab;
use crate::domain::sysconfig::{Group, lookup, suggest};
use crate::domain::time::format_utc;
use crate::sysconfig::{ConfigView, HistoryEntry};

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default() + "\n"
}

impl App {
    /// Show `tab`; entering the Config tab reads the keys.
    pub(super) fn show_tab(&mut self, tab: Tab) -> Vec<Effect> {
        let before = self.tab;
        self.tab = tab;
        self.dirty = true;
        if tab == Tab::Config && before != Tab::Config {
            return self.load_config();
        }
        let mut effects = self.on_show_events_tab(before);
        effects.extend(self.on_show_inspections_tab(before));
        effects.extend(self.on_show_plans_tab(before));
        effects
    }

    /// Reload everything the active tab shows.
    pub(super) fn reload_all(&mut self) -> Vec<Effect> {
        let mut effects = self.load();
        match self.tab {
            Tab::Config => effects.extend(self.load_config()),
            Tab::Events => effects.extend(self.request_events()),
            Tab::Inspections => effects.extend(self.reload_inspections()),
            Tab::Plans => effects.extend(self.reload_plans()),
            Tab::Overview => {
                self.events.stats_in_flight = Default::default();
                effects.extend(self.load_event_stats());
            }
            _ => {}
        }
        effects
    }

    /// Ask for the key list (a newer generation makes any pending answer stale), whatever the
    /// change stamp says.
    pub(super) fn load_config(&mut self) -> Vec<Effect> {
        self.sysconf.stamp = 0;
        self.request_config()
    }

    fn request_config(&mut self) -> Vec<Effect> {
        self.sysconf.generation += 1;
        self.sysconf.in_flight = Some(self.now);
        vec![Effect::LoadConfig {
            generation: self.sysconf.generation,
            known: Some(self.sysconf.stamp).filter(|s| *s != 0),
        }]
    }

    /// On a tick: poll the keys while the Config tab shows (a read hanging for 10 s is given up).
    /// The poll carries the change stamp of the list on screen: when nothing changed, only the
    /// stamp is read.
    pub(super) fn poll_config(&mut self) -> Vec<Effect> {
        match self.sysconf.in_flight {
            _ if self.tab != Tab::Config => Vec::new(),
            Some(since) if self.now - since < 10_000 => Vec::new(),
            _ => self.request_config(),
        }
    }

    /// A poll found the list's change stamp where it was.
    pub(super) fn on_config_unchanged(&mut self, generation: u64) {
        if generation == self.sysconf.generation {
            self.sysconf.in_flight = None;
        }
    }

    /// The key list arrived.
    pub(super) fn on_config_loaded(
        &mut self,
        generation: u64,
        stamp: u64,
        result: Result<Vec<ConfigView>, String>,
    ) {
        if generation != self.sysconf.generation {
            return;
        }
        self.sysconf.in_flight = None;
        self.sysconf.stamp = if result.is_ok() { stamp } else { 0 };
        match result {
            Ok(views) => {
                if !self.sysconf.loaded || self.sysconf.error.take().is_some() {
                    self.dirty = true;
                }
                self.sysconf.loaded = true;
                if views != self.sysconf.views {
                    self.sysconf.views = views;
                    self.refilter_config();
                }
                if let Some(key) = self.sysconf.pending_open.take() {
                    self.open_value(&key);
                }
            }
            Err(e) => {
                if self.sysconf.error.as_deref() != Some(e.as_str()) {
                    tracing::warn!(error = %e, "reading the configuration failed");
                    self.sysconf.error = Some(e);
                    self.dirty = true;
                }
            }
        }
    }

    /// `:config KEY`: show the Config tab with that key's value.
    pub(super) fn open_config_key(&mut self, key: String) -> Vec<Effect> {
        let mut effects = self.show_tab(Tab::Config);
        if self.sysconf.loaded && self.sysconf.view(&key).is_some() {
            self.open_value(&key);
        } else if self.sysconf.loaded {
            let users = self.sysconf.views.iter().map(|v| v.key.as_str());
            let hint = suggest(&key, users)
                .map(|s| format!(": did you mean {s}?"))
                .unwrap_or_default();
            self.error(&format!("unknown configuration key {key}{hint}"));
        } else {
            self.sysconf.pending_open = Some(key);
            if effects.is_empty() {
                effects = self.load_config();
            }
        }
        effects
    }

    /// Open the value view of `key`.
    pub(super) fn open_value(&mut self, key: &str) {
        self.sysconf.select_key(key);
        self.sysconf.screen = Some(Screen::Value {
            key: key.to_owned(),
            scroll: 0,
        });
        self.dirty = true;
    }

    /// The key the list or the value view is on.
    fn current_key(&self) -> Option<String> {
        match &self.sysconf.screen {
            Some(Screen::Value { key, .. }) => Some(key.clone()),
            _ => self.sysconf.selected_view().map(|v| v.key.clone()),
        }
    }

    /// A bound action on the Config tab (list or value view); others work as in Normal mode.
    pub(super) fn on_config(&mut self, action: Action) -> Vec<Effect> {
        let value_open = matches!(self.sysconf.screen, Some(Screen::Value { .. }));
        let delta: isize = match action {
            Action::Down => 1,
            Action::Up => -1,
            Action::PageDown => 10,
            Action::PageUp => -10,
            Action::Top => -100_000,
            Action::Bottom => 100_000,
            Action::Select if !value_open => {
                if let Some(key) = self.current_key() {
                    self.open_value(&key);
                }
                return Vec::new();
            }
            Action::OnConfig(ConfigAction::Edit) => return self.open_editor(),
            Action::OnConfig(ConfigAction::Toggle) => return self.request_toggle(),
            Action::OnConfig(ConfigAction::History) => return self.open_history(),
            Action::Back if value_open => {
                self.sysconf.screen = None;
                return Vec::new();
            }
            Action::Refresh => return self.reload_all(),
            other => return self.on_normal(other),
        };
        match &mut self.sysconf.screen {
            Some(Screen::Value { scroll, .. }) => {
                let next = isize::try_from(*scroll).unwrap_or(0).saturating_add(delta);
                *scroll = u16::try_from(next.clamp(0, 10_000)).unwrap_or(0);
            }
            _ => {
                let last = self.sysconf.visible.len().saturating_sub(1);
                self.sysconf.selected =
                    self.sysconf.selected.saturating_add_signed(delta).min(last);
            }
        }
        Vec::new()
    }

    /// `e`: edit the current key in place.
    fn open_editor(&mut self) -> Vec<Effect> {
        let Some(view) = self.current_key().and_then(|k| self.sysconf.view(&k)) else {
            self.info("no key selected");
            return Vec::new();
        };
        let editor = EditorState::open(view);
        let base = match view.version {
            0 => "the documented default".to_owned(),
            v => format!("v{v}"),
        };
        let msg = format!(
            "editing {} (based on {base}) · ctrl-s save · Esc leave",
            view.key
        );
        self.sysconf.screen = Some(Screen::Editor(Box::new(editor)));
        self.info(&msg);
        Vec::new()
    }

    /// Space: toggle the current switch, confirmed with a reason.
    fn request_toggle(&mut self) -> Vec<Effect> {
        let Some(view) = self.current_key().and_then(|k| self.sysconf.view(&k)) else {
            return Vec::new();
        };
        let Some(on) = view.value.as_bool().filter(|_| view.group == Group::Switch) else {
            let msg = format!(
                "{} is not a switch: Space toggles switches; e edits a value",
                view.key
            );
            self.info(&msg);
            return Vec::new();
        };
        let (old, new) = (Value::Bool(on), Value::Bool(!on));
        let review = Review::new(
            self.version_title(view),
            "new".to_owned(),
            &pretty(&old),
            &pretty(&new),
        )
        .with_notes(notes_for(lookup(&view.key), &old, &new));
        let op = Operation::ToggleSwitch {
            key: view.key.clone(),
            on: !on,
            base_version: view.version,
        };
        self.popup = Some(Popup::Confirm(ConfirmState::new(op).with_review(review)));
        Vec::new()
    }

    /// `current v3` / `default (never saved)`.
    pub(super) fn version_title(&self, view: &ConfigView) -> String {
        match view.version {
            0 => "default (never saved)".to_owned(),
            v => format!("current v{v}"),
        }
    }

    /// `h`: the history of the current key.
    fn open_history(&mut self) -> Vec<Effect> {
        let Some(key) = self.current_key() else {
            return Vec::new();
        };
        self.sysconf.screen = Some(Screen::History(HistoryState::new(&key)));
        vec![Effect::LoadHistory { key }]
    }

    /// A history arrived: for the history screen, or for a conflict's "their change".
    pub(super) fn on_history_loaded(
        &mut self,
        key: &str,
        result: Result<Vec<HistoryEntry>, String>,
    ) {
        self.dirty = true;
        match &mut self.sysconf.screen {
            Some(Screen::History(h)) if h.key == key => match result {
                Ok(entries) => {
                    h.selected = h.selected.min(entries.len().saturating_sub(1));
                    h.entries = Some(entries);
                    h.error = None;
                }
                Err(e) => h.error = Some(e),
            },
            Some(Screen::Editor(ed)) if ed.key == key => {
                let (base, original) = (ed.base_version, ed.original.clone());
                if let Some(c) = &mut ed.conflict {
                    match result {
                        Ok(entries) => c.fill(&entries, base, &original),
                        Err(e) => c.error = Some(e),
                    }
                }
            }
            _ => {}
        }
    }

    /// A bound action in the history.
    pub(super) fn on_history(&mut self, action: Action) -> Vec<Effect> {
        let Some(h) = self.sysconf.history_mut() else {
            return Vec::new();
        };
        match action {
            Action::Down => h.step(1),
            Action::Up => h.step(-1),
            Action::Top => h.step(-100_000),
            Action::Bottom => h.step(100_000),
            Action::PageDown => h.scroll = h.scroll.saturating_add(10),
            Action::PageUp => h.scroll = h.scroll.saturating_sub(10),
            Action::Back => self.sysconf.screen = None,
            Action::OnConfig(ConfigAction::Rollback) => return self.request_rollback(),
            _ => {}
        }
        Vec::new()
    }

    /// `r` in the history: roll back to the selected version, confirmed with a reason.
    fn request_rollback(&mut self) -> Vec<Effect> {
        let Some(Screen::History(h)) = &self.sysconf.screen else {
            return Vec::new();
        };
        let (Some(target), Some(current)) = (h.selected_entry(), h.current()) else {
            self.info("no saved version to roll back to");
            return Vec::new();
        };
        if target.version == current.version {
            let msg = format!(
                "v{} is the current version: pick an older one (j/k)",
                target.version
            );
            self.info(&msg);
            return Vec::new();
        }
        let left = format!("current v{}", current.version);
        let right = format!("v{} (saved as v{})", target.version, current.version + 1);
        let review = Review::new(left, right, &pretty(&current.value), &pretty(&target.value))
            .with_notes(notes_for(lookup(&h.key), &current.value, &target.value));
        let op = Operation::RollbackConfig {
            key: h.key.clone(),
            version: target.version,
            base_version: current.version,
        };
        self.popup = Some(Popup::Confirm(ConfirmState::new(op).with_review(review)));
        Vec::new()
    }

    /// A confirmed configuration save is on its way: the editor waits for the answer.
    pub(super) fn mark_saving(&mut self, op: &Operation) {
        if let (Operation::SaveConfig { key, .. }, Some(ed)) = (op, self.sysconf.editor_mut())
            && &ed.key == key
        {
            ed.saving = true;
        }
    }

    /// A save, toggle or rollback came back.
    pub(super) fn on_config_saved(
        &mut self,
        key: &str,
        result: Result<Box<ConfigView>, SaveFailure>,
    ) -> Vec<Effect> {
        let editing = self.sysconf.editor().is_some_and(|e| e.key == key);
        let in_history = matches!(&self.sysconf.screen, Some(Screen::History(h)) if h.key == key);
        let mut effects = self.load_config();
        if in_history {
            effects.push(Effect::LoadHistory {
                key: key.to_owned(),
            });
        }
        match result {
            Ok(view) => {
                let mut msg = format!("{key}: saved v{} ({})", view.version, view.state.label());
                if view.restart_required {
                    msg.push_str(" · takes effect after the engine restarts");
                }
                if let Some(slot) = self.sysconf.views.iter_mut().find(|v| v.key == key) {
                    *slot = *view;
                }
                if editing {
                    self.open_value(key);
                }
                self.info(&msg);
            }
            Err(SaveFailure {
                conflict: Some((current, by, at)),
                ..
            }) => {
                let msg = format!(
                    "{key} was changed meanwhile: v{current} by {by} at {} UTC",
                    format_utc(at)
                );
                if let Some(ed) = self.sysconf.editor_mut().filter(|e| e.key == key) {
                    ed.saving = false;
                    ed.conflict = Some(ConflictState::new(current, &by, at));
                    effects.push(Effect::LoadHistory {
                        key: key.to_owned(),
                    });
                    self.error(&format!("{msg}: r reload theirs · a re-apply yours"));
                } else {
                    self.error(&format!("{msg}; reloaded, try again"));
                }
            }
            Err(f) => {
                if let Some(ed) = self.sysconf.editor_mut().filter(|e| e.key == key) {
                    ed.saving = false;
                    ed.error = Some(f.message.clone());
                }
                self.error(&f.message);
            }
        }
        effects
    }
}
