//! The Config pane's state (tab 6): the keys as the service lists them (masked), the filter's
//! result, the selection, and the screen open over the list: a value, the editor, or a history.
//!
//! Pure data plus small helpers; `app/config.rs` and `app/editor.rs` change it in response to
//! actions, `panes/config*.rs` draw it. Nothing here performs IO, and nothing here ever holds a
//! secret in clear: every value comes masked from [`crate::sysconfig`].

mod conflict;
mod editor;
mod history;
mod review;

pub use conflict::ConflictState;
pub use editor::{EditorState, editor_text};
pub use history::HistoryState;
pub use review::{Note, Review, SideRow, masked_edit, notes_for, side_by_side};

use crate::domain::sysconfig::Group;
use crate::sysconfig::ConfigView;

/// What is open over the list.
#[derive(Debug, Clone)]
pub enum Screen {
    /// One key's value, pretty-printed, scrolled by `scroll` lines.
    Value { key: String, scroll: u16 },
    /// Editing one key.
    Editor(Box<EditorState>),
    /// One key's versions.
    History(HistoryState),
}

/// The Config pane's state.
#[derive(Debug, Clone, Default)]
pub struct ConfigState {
    /// Every key, in registry order then user keys (masked).
    pub views: Vec<ConfigView>,
    /// Indices into `views` that pass the filter, grouped (config, switches, user keys).
    pub visible: Vec<usize>,
    /// Position within `visible`.
    pub selected: usize,
    /// A list arrived at least once.
    pub loaded: bool,
    /// The last read error (cleared by the next good read).
    pub error: Option<String>,
    /// The newest list request; older answers are dropped.
    pub generation: u64,
    /// When the pending list read was sent (epoch ms), if one is pending.
    pub in_flight: Option<i64>,
    /// The change stamp read with the list on screen (0: none; the next poll reads the list).
    pub stamp: u64,
    /// The screen over the list, if any.
    pub screen: Option<Screen>,
    /// A key to open once the list arrives (`:config KEY`).
    pub pending_open: Option<String>,
}

/// Where a group is listed (config keys, then switches, then user keys).
pub fn group_rank(g: Group) -> u8 {
    match g {
        Group::Config => 0,
        Group::Switch => 1,
        Group::User => 2,
    }
}

/// What the list calls a group.
pub fn group_title(g: Group) -> &'static str {
    match g {
        Group::Config => "Config",
        Group::Switch => "Switches",
        Group::User => "User keys",
    }
}

impl ConfigState {
    /// The selected key's view.
    pub fn selected_view(&self) -> Option<&ConfigView> {
        self.views.get(*self.visible.get(self.selected)?)
    }

    /// A key's view by name.
    pub fn view(&self, key: &str) -> Option<&ConfigView> {
        self.views.iter().find(|v| v.key == key)
    }

    /// Select `key` if it is visible; returns whether it was.
    pub fn select_key(&mut self, key: &str) -> bool {
        match self
            .visible
            .iter()
            .position(|&i| self.views.get(i).is_some_and(|v| v.key == key))
        {
            Some(p) => {
                self.selected = p;
                true
            }
            None => false,
        }
    }

    /// Keep `rows` (the filter's result), grouped, and keep the selected key selected.
    pub fn set_visible(&mut self, mut rows: Vec<usize>) {
        let keep = self.selected_view().map(|v| v.key.clone());
        rows.sort_by_key(|&i| self.views.get(i).map_or(9, |v| group_rank(v.group)));
        self.visible = rows;
        if !keep.is_some_and(|k| self.select_key(&k)) {
            self.selected = self.selected.min(self.visible.len().saturating_sub(1));
        }
    }

    /// The editor, when it is the open screen.
    pub fn editor(&self) -> Option<&EditorState> {
        match &self.screen {
            Some(Screen::Editor(e)) => Some(e),
            _ => None,
        }
    }

    /// The editor, mutably.
    pub fn editor_mut(&mut self) -> Option<&mut EditorState> {
        match &mut self.screen {
            Some(Screen::Editor(e)) => Some(e),
            _ => None,
        }
    }

    /// The history, when it is the open screen.
    pub fn history_mut(&mut self) -> Option<&mut HistoryState> {
        match &mut self.screen {
            Some(Screen::History(h)) => Some(h),
            _ => None,
        }
    }
}
