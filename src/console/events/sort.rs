//! Which table column sorts by which store key, and each key's natural first direction.

use crate::domain::event::SortKey;

/// The sort key of a column id of `views/events.toml` (columns like `source` do not sort).
pub fn sort_for_column(column: &str) -> Option<SortKey> {
    Some(match column {
        "id" => SortKey::Id,
        "level" => SortKey::Level,
        "status" => SortKey::Status,
        "count" => SortKey::Count,
        "last_seen" => SortKey::LastSeen,
        "first_seen" => SortKey::FirstSeen,
        "title" => SortKey::Title,
        _ => return None,
    })
}

/// The direction a key starts with: the most urgent, newest or biggest first.
pub fn default_descending(key: SortKey) -> bool {
    // Levels sort as text: ascending puts P0 first.
    !matches!(key, SortKey::Level | SortKey::Status | SortKey::Title)
}

/// What the pane title calls a sort.
pub fn sort_label(key: SortKey) -> &'static str {
    match key {
        SortKey::LastSeen => "last seen",
        SortKey::FirstSeen => "first seen",
        SortKey::Level => "level",
        SortKey::Count => "count",
        SortKey::Status => "status",
        SortKey::Title => "title",
        SortKey::Id => "id",
    }
}
