//! Normal mode: moving, switching tabs, opening prompts, popups and the action menu.

use super::{App, Popup, Prompt, PromptKind};
use crate::console::action::{Action, Operation};
use crate::console::effect::Effect;
use crate::console::line_input::LineInput;
use crate::console::menu::{MenuItem, MenuState};
use crate::console::tab::Tab;
use crate::domain::time::{age, format_utc};

impl App {
    /// A bound action while browsing.
    pub(super) fn on_normal(&mut self, action: Action) -> Vec<Effect> {
        if self.tab == Tab::Events
            && let Some(effects) = self.on_events(&action)
        {
            return effects;
        }
        match action {
            Action::Down => self.move_selection(1),
            Action::Up => self.move_selection(-1),
            Action::PageDown => self.move_selection(10),
            Action::PageUp => self.move_selection(-10),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = self.visible_instances.len().saturating_sub(1),
            Action::NextTab => return self.show_tab(self.tab.next()),
            Action::PrevTab => return self.show_tab(self.tab.prev()),
            Action::Overview => return self.show_tab(Tab::Overview),
            Action::Events => return self.show_tab(Tab::Events),
            Action::Dr => return self.show_tab(Tab::Dr),
            Action::Inspections => return self.show_tab(Tab::Inspections),
            Action::Plans => return self.show_tab(Tab::Plans),
            Action::Config => return self.show_tab(Tab::Config),
            Action::Help => self.popup = Some(Popup::Help { scroll: 0 }),
            Action::CommandLine => self.open_prompt(PromptKind::Command, ""),
            Action::Filter => {
                let current = self.filter().raw.clone();
                self.open_prompt(PromptKind::Filter, &current);
            }
            Action::Menu => self.open_menu(),
            Action::Select => self.open_detail(),
            Action::Refresh => return self.reload_all(),
            Action::Back => return self.back(),
            _ => {}
        }
        Vec::new()
    }

    fn open_prompt(&mut self, kind: PromptKind, text: &str) {
        self.prompt = Some(Prompt {
            kind,
            input: LineInput::with_text(text),
            candidates: Vec::new(),
            before: text.to_owned(),
        });
    }

    fn move_selection(&mut self, delta: isize) {
        if self.tab == Tab::Overview {
            let last = self.visible_instances.len().saturating_sub(1);
            self.selected = self.selected.saturating_add_signed(delta).min(last);
        }
    }

    /// Esc in normal mode: clear the message first, then the filter.
    fn back(&mut self) -> Vec<Effect> {
        if self.message.take().is_none() && !self.filter().is_empty() {
            return self.apply_filter("");
        }
        Vec::new()
    }

    /// The selected instance, if the Overview has one.
    pub(super) fn selected_instance(&self) -> Option<&crate::domain::Instance> {
        let i = *self.visible_instances.get(self.selected)?;
        self.overview.as_ref()?.instances.get(i)
    }

    fn open_menu(&mut self) {
        let Some(inst) = (self.tab == Tab::Overview)
            .then(|| self.selected_instance())
            .flatten()
        else {
            self.info("nothing selected: the action menu acts on the selected row");
            return;
        };
        let alive = inst.is_alive(self.now, self.config.ttl_ms);
        let mut items = vec![MenuItem {
            label: format!("Filter by host {}", inst.hostname),
            action: Action::ApplyFilter(format!("host:{}", inst.hostname)),
        }];
        let mut note = None;
        if self.config.read_only {
            note = Some("read-only: changes are hidden".to_owned());
        } else if alive {
            note = Some("live instance: it cannot be forgotten".to_owned());
        } else {
            let op = Operation::ForgetInstance {
                id: inst.id.clone(),
            };
            let label = format!("{} ({})", op.label(), op.danger());
            items.push(MenuItem {
                label,
                action: Action::Request(op),
            });
        }
        let title = format!("{} {}", inst.role, inst.hostname);
        self.popup = Some(Popup::Menu(MenuState {
            title,
            items,
            selected: 0,
            note,
        }));
    }

    fn open_detail(&mut self) {
        let Some(i) = (self.tab == Tab::Overview)
            .then(|| self.selected_instance())
            .flatten()
        else {
            return;
        };
        let alive = i.is_alive(self.now, self.config.ttl_ms);
        let lines = [
            ("id", i.id.clone()),
            ("host", i.hostname.clone()),
            ("ip", i.ip.clone()),
            ("pid", i.pid.to_string()),
            ("role", i.role.clone()),
            ("version", i.version.clone()),
            (
                "listen",
                if i.listen.is_empty() {
                    "-".into()
                } else {
                    i.listen.clone()
                },
            ),
            ("started", format!("{} UTC", format_utc(i.started_at))),
            (
                "heartbeat",
                format!(
                    "{} UTC ({} ago)",
                    format_utc(i.heartbeat_at),
                    age(i.heartbeat_at, self.now)
                ),
            ),
            (
                "alive",
                if alive {
                    "yes".into()
                } else {
                    "no (stale)".into()
                },
            ),
        ];
        let lines = lines.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        self.popup = Some(Popup::Detail {
            title: format!("Instance {}", i.hostname),
            lines,
        });
    }
}
