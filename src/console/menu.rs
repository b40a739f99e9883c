//! The `m` action menu: what can be done to the selection. Entries the console may not perform
//! (read-only) are left out, with a note saying so: the UI hides what it cannot do.

use super::action::Action;

/// One menu entry.
#[derive(Debug, Clone, PartialEq)]
pub struct MenuItem {
    /// What the entry says (with the danger level for mutations: `Forget stale instance (G1)`).
    pub label: String,
    /// What choosing it does.
    pub action: Action,
}

/// An open menu.
#[derive(Debug, Clone, PartialEq)]
pub struct MenuState {
    /// What the menu acts on.
    pub title: String,
    /// The entries.
    pub items: Vec<MenuItem>,
    /// The highlighted entry.
    pub selected: usize,
    /// A line under the entries (why some are missing).
    pub note: Option<String>,
}

impl MenuState {
    /// Move the highlight by `delta`, wrapping.
    pub fn step(&mut self, delta: isize) {
        let n = self.items.len();
        if n > 0 {
            self.selected = (self.selected as isize + delta).rem_euclid(n as isize) as usize;
        }
    }

    /// The action of the highlighted entry.
    pub fn chosen(&self) -> Option<Action> {
        self.items.get(self.selected).map(|i| i.action.clone())
    }
}
