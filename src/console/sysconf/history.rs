//! One key's history: its versions (newest first, masked, each with the diff from the one before)
//! and the selected version, which `r` rolls back to.

use crate::sysconfig::HistoryEntry;

/// The history screen.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryState {
    /// The key.
    pub key: String,
    /// The versions, once loaded.
    pub entries: Option<Vec<HistoryEntry>>,
    /// Reading them failed.
    pub error: Option<String>,
    /// Position in `entries`.
    pub selected: usize,
    /// Lines of the diff scrolled off the top.
    pub scroll: u16,
}

impl HistoryState {
    /// A history of `key`, waiting for its entries.
    pub fn new(key: &str) -> HistoryState {
        HistoryState {
            key: key.to_owned(),
            entries: None,
            error: None,
            selected: 0,
            scroll: 0,
        }
    }

    /// The selected version.
    pub fn selected_entry(&self) -> Option<&HistoryEntry> {
        self.entries.as_ref()?.get(self.selected)
    }

    /// The newest version (the current one), if any.
    pub fn current(&self) -> Option<&HistoryEntry> {
        self.entries.as_ref()?.first()
    }

    /// Move the selection by `delta`, resetting the diff scroll.
    pub fn step(&mut self, delta: isize) {
        let last = self
            .entries
            .as_ref()
            .map_or(0, |e| e.len().saturating_sub(1));
        self.selected = self.selected.saturating_add_signed(delta).min(last);
        self.scroll = 0;
    }
}
