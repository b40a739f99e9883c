//! The `:` command line and the `/` filter prompt: editing, completion, running.

use super::{App, Popup, PromptKind};
use crate::console::action::Action;
use crate::console::command::{self, Command};
use crate::console::effect::Effect;
use crate::console::filter::{Filter, Filterable};
use crate::console::tab::Tab;
use crate::domain::Instance;

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
            Action::Back => self.prompt = None,
            Action::Submit => {
                let kind = prompt.kind;
                let text = input.text().to_owned();
                self.prompt = None;
                return match kind {
                    PromptKind::Command => self.run_command(&text),
                    PromptKind::Filter => self.apply_filter(&text),
                };
            }
            _ => return Vec::new(),
        }
        if let Some(p) = &mut self.prompt {
            p.candidates.clear();
        }
        Vec::new()
    }

    /// Run a `:` command line.
    pub(super) fn run_command(&mut self, line: &str) -> Vec<Effect> {
        match command::parse(line, &self.config.themes) {
            Ok(Command::Show(tab)) => self.tab = tab,
            Ok(Command::Help) => self.popup = Some(Popup::Help { scroll: 0 }),
            Ok(Command::Quit) => self.quit = true,
            Ok(Command::Theme(name)) => return self.update(Action::SetTheme(name)),
            Ok(Command::Refresh) => {
                self.info("refreshing");
                return self.load();
            }
            Ok(Command::Filter(text)) => return self.apply_filter(&text),
            Err(e) => self.error(&e),
        }
        Vec::new()
    }

    /// Set the active tab's filter and recompute what the table shows.
    pub(super) fn apply_filter(&mut self, text: &str) -> Vec<Effect> {
        let filter = Filter::parse(text);
        let unknown: Vec<String> = match self.tab {
            Tab::Overview => filter
                .unknown_keys::<Instance>()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        if !unknown.is_empty() {
            self.error(&format!(
                "unknown filter key {}; instances have: {}",
                unknown.join(", "),
                Instance::KEYS.join(", ")
            ));
            return Vec::new();
        }
        let cleared = filter.is_empty();
        let raw = filter.raw.clone();
        self.filters[self.tab.index()] = filter;
        self.refilter();
        if cleared {
            self.info("filter cleared");
        } else {
            let n = if self.tab == Tab::Overview {
                self.visible_instances.len()
            } else {
                0
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
}
