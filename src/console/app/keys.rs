//! Key presses and typed text: resolve a key through the key map of the current mode.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Popup};
use crate::console::action::Action;
use crate::console::effect::Effect;
use crate::console::keymap::Key;
use crate::console::mode::Mode;

impl App {
    /// A key press: the bound action of the current mode, else text for a prompt, else nothing.
    pub(super) fn on_key(&mut self, event: KeyEvent) -> Vec<Effect> {
        let key = Key::from(event);
        let mode = self.mode();
        let keymap = &self.config.keymap;
        let bound = keymap
            .lookup(mode, key)
            .or_else(|| mode.fallback().and_then(|m| keymap.lookup(m, key)));
        if let Some(action) = bound {
            return self.update(action.clone());
        }
        if mode == Mode::Editor {
            return self.editor_input(event);
        }
        if let Some(c) = key.text().filter(|_| mode.takes_text()) {
            return self.on_text(&c.to_string());
        }
        // A user key map may have lost ctrl-c; it must always get the operator out.
        if key == Key::new(KeyCode::Char('c'), KeyModifiers::CONTROL) {
            return self.update(Action::Exit);
        }
        Vec::new()
    }

    /// Typed or pasted text goes to the focused text field, if any.
    pub(super) fn on_text(&mut self, text: &str) -> Vec<Effect> {
        if self.mode() == Mode::Editor {
            return self.editor_paste(text);
        }
        if self.mode() == Mode::PlanForm {
            self.plan_form_text(text);
            return Vec::new();
        }
        if let Some(Popup::Confirm(c)) = &mut self.popup {
            if c.mode().takes_text() {
                c.input_mut().insert(text);
                c.error = None;
                self.dirty = true;
            }
        } else if let (None, Some(p)) = (&self.popup, &mut self.prompt) {
            p.input.insert(text);
            p.candidates.clear();
            self.dirty = true;
            return self.live_filter();
        }
        Vec::new()
    }
}
