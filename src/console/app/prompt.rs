//! The `:` command line and the `/` filter prompt: editing, completion, running.

use super::{App, Popup, PromptKind};
use crate::console::action::Action;
use crate::console::command::{self, Command};
use crate::console::effect::Effect;
use crate::console::filter::{Filter, Filterable};
use crate::console::plans::PlanEntry;
use crate::console::tab::Tab;
use crate::domain::Instance;
use crate::store::TaskSummary;
use crate::sysconfig::ConfigView;

impl App {
    /// A bound action while a prompt is open.
    pub(super) fn on_prompt(&mut self, action: Action) -> Vec<Effect> {
        let Some(prompt) = &mut self.prompt else {
            return Vec::new();
        };
        let input = &mut prompt.input;
        match action {
            Action::DeleteBack => input.delete_back(),
            Action::DeleteForward => input.delete_forward(),
            Action::DeleteWord => input.delete_word(),
            Action::ClearLine => input.set(""),
            Action::CursorLeft => input.move_cursor(-1),
            Action::CursorRight => input.move_cursor(1),
            Action::CursorHome => input.home(),
            Action::CursorEnd => input.end(),
            Action::Complete if prompt.kind == PromptKind::Command => {
                let done = command::complete(input.text(), &self.config.themes);
                input.set(&done.line);
                prompt.candidates = done.candidates;
                return Vec::new();
            }
            Action::Back => {
                let kind = prompt.kind;
                let before = std::mem::take(&mut prompt.before);
                self.prompt = None;
                // The filter applied live while typing: Esc puts the previous one back.
                if kind == PromptKind::Filter && before != self.filter().raw {
                    return self.apply_filter(&before);
                }
            }
            Action::Submit => {
                let kind = prompt.kind;
                let text = input.text().to_owned();
                self.prompt = None;
                return match kind {
                    PromptKind::Command => self.run_command(&text),
                    PromptKind::Filter => self.apply_filter(&text),
                    PromptKind::Find if self.tab == Tab::Plans => self.find_in_output(&text),
                    PromptKind::Find => self.editor_find(Some(text)),
                };
            }
            _ => return Vec::new(),
        }
        if let Some(p) = &mut self.prompt {
            p.candidates.clear();
        }
        self.live_filter()
    }

    /// The `/` prompt filters as it is typed (k9s, lazygit): apply the text when it changed.
    pub(super) fn live_filter(&mut self) -> Vec<Effect> {
        let text = match &self.prompt {
            Some(p) if p.kind == PromptKind::Filter => p.input.text().to_owned(),
            _ => return Vec::new(),
        };
        if text.trim() == self.filter().raw {
            return Vec::new();
        }
        self.apply_filter(&text)
    }

    /// Run a `:` command line.
    pub(super) fn run_command(&mut self, line: &str) -> Vec<Effect> {
        match command::parse(line, &self.config.themes) {
            Ok(Command::Show(tab)) => return self.show_tab(tab),
            Ok(Command::ConfigKey(key)) => return self.update(Action::OpenConfigKey(key)),
            Ok(Command::Settings) => {
                let lines = self.config.settings_summary.clone();
                self.popup = Some(Popup::Detail {
                    title: "Console settings in effect".to_owned(),
                    lines,
                });
            }
            Ok(Command::Help) => self.popup = Some(Popup::Help { scroll: 0 }),
            Ok(Command::Quit) => return self.ask_quit(),
            Ok(Command::Event(id)) => return self.open_event(Some(id)),
            Ok(Command::Urgent) => return self.open_event(None),
            Ok(Command::Theme(name)) => return self.update(Action::SetTheme(name)),
            Ok(Command::Refresh) => {
                self.info("refreshing");
                return self.reload_all();
            }
            Ok(Command::Filter(text)) => return self.apply_filter(&text),
            Err(e) => self.error(&e),
        }
        Vec::new()
    }

    /// Set the active tab's filter and recompute what the table shows.
    pub(super) fn apply_filter(&mut self, text: &str) -> Vec<Effect> {
        if self.tab == Tab::Events {
            return self.apply_event_filter(text);
        }
        let filter = Filter::parse(text);
        let (unknown, what, keys): (Vec<&str>, &str, &[&str]) = match self.tab {
            Tab::Overview => (
                filter.unknown_keys::<Instance>(),
                "instances",
                Instance::KEYS,
            ),
            Tab::Config => (
                filter.unknown_keys::<ConfigView>(),
                "keys",
                ConfigView::KEYS,
            ),
            Tab::Inspections => (
                filter.unknown_keys::<TaskSummary>(),
                "tasks",
                TaskSummary::KEYS,
            ),
            Tab::Plans => (
                filter.unknown_keys::<PlanEntry>(),
                "plans and runs",
                PlanEntry::KEYS,
            ),
            _ => (Vec::new(), "", &[]),
        };
        if !unknown.is_empty() {
            self.error(&format!(
                "unknown filter key {}; {what} have: {}",
                unknown.join(", "),
                keys.join(", ")
            ));
            return Vec::new();
        }
        let cleared = filter.is_empty();
        let raw = filter.raw.clone();
        self.filters[self.tab.index()] = filter;
        self.refilter();
        self.refilter_config();
        self.refilter_inspections();
        self.plans.refilter(&self.filters[Tab::Plans.index()]);
        if cleared {
            self.info("filter cleared");
        } else {
            let n = match self.tab {
                Tab::Overview => self.visible_instances.len(),
                Tab::Config => self.sysconf.visible.len(),
                Tab::Inspections => self.inspections.visible.len(),
                Tab::Plans => self.plans.plans.len() + self.plans.runs.len(),
                _ => 0,
            };
            self.info(&format!("filter: {raw} ({n} shown; Esc clears)"));
        }
        Vec::new()
    }

    /// Recompute the rows that pass the Overview filter, keeping the selection in range.
    pub(super) fn refilter(&mut self) {
        let filter = &self.filters[Tab::Overview.index()];
        self.visible_instances = self
            .overview
            .as_ref()
            .map(|o| filter.apply(&o.instances))
            .unwrap_or_default();
        self.selected = self
            .selected
            .min(self.visible_instances.len().saturating_sub(1));
        self.dirty = true;
    }

    /// Recompute the configuration keys that pass the Config filter (grouped).
    pub(super) fn refilter_config(&mut self) {
        let rows = self.filters[Tab::Config.index()].apply(&self.sysconf.views);
        self.sysconf.set_visible(rows);
        self.dirty = true;
    }
}
