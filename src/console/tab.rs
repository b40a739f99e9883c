//! The console's tabs, in the order the keys `1`–`6` select them.

use strum::IntoEnumIterator;

/// One tab of the console. Each has a pane file under `console/panes/`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    strum::EnumIter,
    strum::Display,
    strum::EnumString,
)]
pub enum Tab {
    /// Database, engine, instances, components.
    #[default]
    Overview,
    /// Risk events.
    Events,
    /// DR dashboard.
    #[strum(serialize = "DR")]
    Dr,
    /// Inspection runs and results.
    Inspections,
    /// Plan runs and their steps.
    Plans,
    /// System configuration and the console's own settings.
    Config,
}

impl Tab {
    /// The tab after this one, wrapping around.
    pub fn next(self) -> Tab {
        let all: Vec<Tab> = Tab::iter().collect();
        all[(self.index() + 1) % all.len()]
    }

    /// The tab before this one, wrapping around.
    pub fn prev(self) -> Tab {
        let all: Vec<Tab> = Tab::iter().collect();
        all[(self.index() + all.len() - 1) % all.len()]
    }

    /// Position from 0 (the key is `index + 1`).
    pub fn index(self) -> usize {
        Tab::iter().position(|t| t == self).unwrap_or(0)
    }

    /// The command-line name (`:events`).
    pub fn command(self) -> &'static str {
        match self {
            Tab::Overview => "overview",
            Tab::Events => "events",
            Tab::Dr => "dr",
            Tab::Inspections => "inspections",
            Tab::Plans => "plans",
            Tab::Config => "config",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_and_prev_wrap() {
        assert_eq!(Tab::Overview.next(), Tab::Events);
        assert_eq!(Tab::Config.next(), Tab::Overview);
        assert_eq!(Tab::Overview.prev(), Tab::Config);
        for t in Tab::iter() {
            assert_eq!(t.next().prev(), t);
        }
    }
}
