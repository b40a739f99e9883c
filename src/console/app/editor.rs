//! Editing a configuration value in place: keys to the text area, undo/redo, find, paste, and the
//! save flow: local validation (syntax → cursor to the error; schema → the JSON path and the
//! expected type; size), then a side-by-side review and the G2 confirmation. Also leaving with
//! unsaved changes (asks first) and a conflict (reload theirs, or re-apply the edit on top).

use ratatui::crossterm::event::KeyEvent;

use super::{App, Popup, Prompt, PromptKind};
use crate::console::action::{Action, ConfigAction, EditedText, Operation};
use crate::console::confirm::ConfirmState;
use crate::console::effect::Effect;
use crate::console::line_input::LineInput;
use crate::console::sysconf::{Review, editor_text, masked_edit, notes_for};
use crate::domain::sysconfig::lookup;

impl App {
    /// A bound action in the editor.
    pub(super) fn on_editor(&mut self, action: Action) -> Vec<Effect> {
        let Some(ed) = self.sysconf.editor_mut() else {
            return Vec::new();
        };
        match action {
            Action::OnConfig(ConfigAction::Save) => return self.editor_save(),
            Action::Back if ed.is_modified() => ed.ask_discard = true,
            Action::Back => {
                let key = ed.key.clone();
                self.open_value(&key);
                self.info("left the editor: nothing changed");
            }
            Action::OnConfig(ConfigAction::Undo) => {
                ed.area.undo();
            }
            Action::OnConfig(ConfigAction::Redo) => {
                ed.area.redo();
            }
            Action::Find => {
                let last = ed.last_search.clone().unwrap_or_default();
                self.prompt = Some(Prompt {
                    kind: PromptKind::Find,
                    input: LineInput::with_text(&last),
                    candidates: Vec::new(),
                    before: String::new(),
                });
            }
            Action::FindNext => return self.editor_find(None),
            _ => {}
        }
        Vec::new()
    }

    /// A key the editor's key map does not bind: it edits the text.
    pub(super) fn editor_input(&mut self, event: KeyEvent) -> Vec<Effect> {
        if let Some(ed) = self.sysconf.editor_mut() {
            if ed.saving {
                self.info("saving… (the editor unlocks if the save is refused)");
                return Vec::new();
            }
            if ed.area.input(event) {
                ed.error = None;
            }
            self.dirty = true;
        }
        Vec::new()
    }

    /// Pasted text goes in as one edit (one undo step).
    pub(super) fn editor_paste(&mut self, text: &str) -> Vec<Effect> {
        if let Some(ed) = self.sysconf.editor_mut().filter(|e| !e.saving) {
            ed.area.insert_str(text.replace("\r\n", "\n"));
            ed.error = None;
            self.dirty = true;
        }
        Vec::new()
    }

    /// Find `text` (or the last search again) after the cursor.
    pub(super) fn editor_find(&mut self, text: Option<String>) -> Vec<Effect> {
        let Some(ed) = self.sysconf.editor_mut() else {
            return Vec::new();
        };
        let Some(needle) = text.or_else(|| ed.last_search.clone()) else {
            self.info("nothing to find yet: ctrl-f searches");
            return Vec::new();
        };
        ed.last_search = Some(needle.clone());
        if ed.find(&needle) {
            let (line, col) = ed.cursor();
            self.info(&format!(
                "found {needle} at line {line}, column {col} (f3 next)"
            ));
        } else {
            self.error(&format!("not found: {needle}"));
        }
        Vec::new()
    }

    /// `ctrl-s`: validate locally, then review the diff and confirm with a reason.
    pub(super) fn editor_save(&mut self) -> Vec<Effect> {
        let Some(ed) = self.sysconf.editor_mut() else {
            return Vec::new();
        };
        if ed.saving {
            return Vec::new();
        }
        let Some(new) = ed.check() else {
            let msg = ed.error.clone().unwrap_or_default();
            self.error(&msg);
            return Vec::new();
        };
        if new == ed.original {
            self.info("no change to save (Esc leaves the editor)");
            return Vec::new();
        }
        let spec = lookup(&ed.key);
        let left = match ed.base_version {
            0 => "default (never saved)".to_owned(),
            v => format!("current v{v}"),
        };
        let right = format!("new (v{})", ed.base_version + 1);
        let shown = masked_edit(spec, &new);
        let review = Review::new(
            left,
            right,
            &(editor_text(&ed.original) + "\n"),
            &(editor_text(&shown) + "\n"),
        )
        .with_notes(notes_for(spec, &ed.original, &new));
        let op = Operation::SaveConfig {
            key: ed.key.clone(),
            text: EditedText(ed.text()),
            base_version: ed.base_version,
        };
        self.popup = Some(Popup::Confirm(ConfirmState::new(op).with_review(review)));
        Vec::new()
    }

    /// Leaving the editor with unsaved changes: `y` discards them, `n`/Esc keeps editing.
    pub(super) fn on_discard(&mut self, action: Action) -> Vec<Effect> {
        let Some(ed) = self.sysconf.editor_mut() else {
            return Vec::new();
        };
        match action {
            Action::Yes => {
                let key = ed.key.clone();
                self.open_value(&key);
                self.info(&format!("discarded your changes to {key}"));
            }
            Action::No | Action::Back => ed.ask_discard = false,
            _ => {}
        }
        Vec::new()
    }

    /// Someone saved meanwhile: reload theirs, or re-apply the edit on top of it.
    pub(super) fn on_conflict(&mut self, action: Action) -> Vec<Effect> {
        let Some(ed) = self.sysconf.editor_mut() else {
            return Vec::new();
        };
        let Some(c) = &mut ed.conflict else {
            return Vec::new();
        };
        match action {
            Action::Down => c.scroll = c.scroll.saturating_add(1),
            Action::Up => c.scroll = c.scroll.saturating_sub(1),
            Action::Back => ed.conflict = None,
            Action::OnConfig(ConfigAction::Reload) => {
                let (key, v) = (ed.key.clone(), c.current);
                self.open_value(&key);
                self.info(&format!("{key}: took v{v}; your edit was discarded"));
                return self.load_config();
            }
            Action::OnConfig(ConfigAction::Reapply) => {
                let Some(current) = c.current_value.clone() else {
                    self.info("their change is still loading…");
                    return Vec::new();
                };
                ed.base_version = c.current;
                ed.original = current;
                ed.conflict = None;
                return self.editor_save();
            }
            _ => {}
        }
        Vec::new()
    }
}
