//! Popups: the help, the detail view, the action menu, and the confirmation by danger.

use super::{App, Popup};
use crate::console::action::{Action, Operation};
use crate::console::confirm::ConfirmState;
use crate::console::effect::Effect;

impl App {
    /// Help (and detail): scroll or close.
    pub(super) fn on_help(&mut self, action: Action) -> Vec<Effect> {
        let delta: i32 = match action {
            Action::Back => {
                self.popup = None;
                return Vec::new();
            }
            Action::Down => 1,
            Action::Up => -1,
            Action::PageDown => 10,
            Action::PageUp => -10,
            Action::Top => -100_000,
            Action::Bottom => 100_000,
            _ => return Vec::new(),
        };
        let max =
            i32::try_from(crate::console::popups::help_lines(&self.config.keymap, self.tab).len())
                .unwrap_or(i32::MAX);
        if let Some(Popup::Help { scroll }) = &mut self.popup {
            let next = (i32::from(*scroll) + delta).clamp(0, max.saturating_sub(1).max(0));
            *scroll = u16::try_from(next).unwrap_or(0);
        }
        Vec::new()
    }

    /// Menu: move, choose, close.
    pub(super) fn on_menu(&mut self, action: Action) -> Vec<Effect> {
        let Some(Popup::Menu(menu)) = &mut self.popup else {
            return Vec::new();
        };
        match action {
            Action::Down => menu.step(1),
            Action::Up => menu.step(-1),
            Action::Back => self.popup = None,
            Action::Select => {
                let chosen = menu.chosen();
                self.popup = None;
                if let Some(a) = chosen {
                    return self.update(a);
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// Ask for the confirmation the operation's danger demands.
    pub(super) fn on_request(&mut self, op: Operation) -> Vec<Effect> {
        self.popup = Some(Popup::Confirm(ConfirmState::new(op)));
        self.dirty = true;
        Vec::new()
    }

    /// Confirmation: answer, edit the fields, or cancel.
    pub(super) fn on_confirm(&mut self, action: Action) -> Vec<Effect> {
        let Some(Popup::Confirm(c)) = &mut self.popup else {
            return Vec::new();
        };
        match action {
            Action::No | Action::Back => {
                self.popup = None;
                self.info("cancelled: nothing was started or changed");
            }
            Action::Yes | Action::Submit => {
                if let Some(reason) = c.submit() {
                    let mut op = c.op.clone();
                    // The typed name goes along: the launch service checks it once more.
                    let typed = c.target.text().trim().to_owned();
                    match &mut op {
                        Operation::LaunchPlan(l) => l.typed = typed,
                        Operation::ResumeRun { typed: t, .. } => *t = typed,
                        _ => {}
                    }
                    return self.update(Action::Confirmed { op, reason });
                }
            }
            Action::Down | Action::Up | Action::PageDown | Action::PageUp => {
                let delta = match action {
                    Action::Down => 1,
                    Action::Up => -1,
                    Action::PageDown => 10,
                    _ => -10,
                };
                if let Some(r) = &mut c.review {
                    r.scroll_by(delta);
                }
            }
            Action::NextField => c.next_field(),
            Action::DeleteBack => c.input_mut().delete_back(),
            Action::DeleteWord => c.input_mut().delete_word(),
            Action::ClearLine => c.input_mut().set(""),
            Action::CursorLeft => c.input_mut().move_cursor(-1),
            Action::CursorRight => c.input_mut().move_cursor(1),
            _ => {}
        }
        Vec::new()
    }
}
