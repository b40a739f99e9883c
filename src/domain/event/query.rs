//! The event filter language of the Events pane and `events list`: `level:P0 status:open
//! source:alertmanager ds:STACK#rds assignee:me` plus free text. Pure: the store turns it into SQL.

use super::{Level, Status};

/// Columns an event list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    LastSeen,
    FirstSeen,
    Level,
    Count,
    Status,
    Title,
    Id,
}

impl SortKey {
    pub fn parse(s: &str) -> Option<SortKey> {
        Some(match s {
            "last_seen" | "last" => SortKey::LastSeen,
            "first_seen" | "first" => SortKey::FirstSeen,
            "level" => SortKey::Level,
            "count" => SortKey::Count,
            "status" => SortKey::Status,
            "title" => SortKey::Title,
            "id" => SortKey::Id,
            _ => return None,
        })
    }

    /// The column name in `risk_events` (a constant: safe to put in SQL text).
    pub fn column(self) -> &'static str {
        match self {
            SortKey::LastSeen => "last_seen",
            SortKey::FirstSeen => "first_seen",
            SortKey::Level => "level",
            SortKey::Count => "count",
            SortKey::Status => "status",
            SortKey::Title => "title",
            SortKey::Id => "id",
        }
    }
}

/// A parsed filter plus sort and page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventQuery {
    pub levels: Vec<Level>,
    /// Empty: every status except `suppressed` (hidden by default) .
    pub statuses: Vec<Status>,
    pub sources: Vec<String>,
    pub ds_types: Vec<String>,
    pub assignees: Vec<String>,
    pub components: Vec<String>,
    /// Words that must all appear in the title, summary or component (case-insensitive).
    pub text: Vec<String>,
    pub sort: SortKey,
    pub descending: bool,
    pub offset: i64,
    pub limit: i64,
    /// Keyset paging: only rows strictly after this one in the query's order (then `offset` is
    /// not used to skip: a page deep in a million rows costs what the first does).
    pub after: Option<Keyset>,
}

/// A row's place in a sorted list: the sort column's value and the id (the sort ends with `id`,
/// so the order is total).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyset {
    pub value: KeyValue,
    pub id: i64,
}

/// The value of a sort column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyValue {
    Int(i64),
    Text(String),
}

impl Keyset {
    /// Where `event` stands when sorted by `sort`.
    pub fn of(event: &super::Event, sort: SortKey) -> Keyset {
        let value = match sort {
            SortKey::LastSeen => KeyValue::Int(event.last_seen),
            SortKey::FirstSeen => KeyValue::Int(event.first_seen),
            SortKey::Count => KeyValue::Int(event.count),
            SortKey::Id => KeyValue::Int(event.id),
            SortKey::Level => KeyValue::Text(event.level.as_str().to_owned()),
            SortKey::Status => KeyValue::Text(event.status.as_str().to_owned()),
            SortKey::Title => KeyValue::Text(event.title.clone()),
        };
        Keyset {
            value,
            id: event.id,
        }
    }

    /// The key just before this one in the given direction, so that "after it" includes this
    /// row (ids are whole numbers: nothing lies between `id` and `id ± 1`).
    pub fn inclusive(self, descending: bool) -> Keyset {
        let id = if descending {
            self.id.saturating_add(1)
        } else {
            self.id.saturating_sub(1)
        };
        Keyset { id, ..self }
    }
}

impl EventQuery {
    /// Whether only `level:` and `status:` narrow it (then maintained counts answer its count).
    pub fn counted_by_level_status(&self) -> bool {
        self.sources.is_empty()
            && self.ds_types.is_empty()
            && self.assignees.is_empty()
            && self.components.is_empty()
            && self.text.is_empty()
    }
}

impl EventQuery {
    /// Parse filter text. `me` replaces `assignee:me`.
    pub fn parse(text: &str, me: &str) -> Result<EventQuery, String> {
        let mut q = EventQuery {
            descending: true,
            limit: 100,
            ..EventQuery::default()
        };
        for word in text.split_whitespace() {
            let Some((key, value)) = word
                .split_once(':')
                .filter(|(k, _)| !k.is_empty() && !k.contains('#'))
            else {
                q.text.push(word.to_lowercase());
                continue;
            };
            let values = value.split(',').filter(|v| !v.is_empty());
            match key {
                "level" | "l" => {
                    for v in values {
                        q.levels.push(
                            Level::parse(v)
                                .ok_or_else(|| format!("level:{v}: expected P0, P1, P2 or P3"))?,
                        );
                    }
                }
                "status" | "s" => {
                    for v in values {
                        q.statuses.push(Status::parse(v).ok_or_else(|| {
                            format!(
                                "status:{v}: expected open, acked, resolved, closed or suppressed"
                            )
                        })?);
                    }
                }
                "source" | "src" => q.sources.extend(values.map(str::to_owned)),
                "ds" | "ds_type" => q.ds_types.extend(values.map(str::to_owned)),
                "component" | "c" => q.components.extend(values.map(str::to_owned)),
                "assignee" | "a" => q.assignees.extend(values.map(|v| {
                    if v == "me" {
                        me.to_owned()
                    } else {
                        v.to_owned()
                    }
                })),
                "sort" => {
                    let (col, desc) = match value.strip_prefix('-') {
                        Some(c) => (c, true),
                        None => (value, false),
                    };
                    q.sort = SortKey::parse(col).ok_or_else(|| {
                        format!("sort:{value}: expected last_seen, first_seen, level, count, status, title or id (prefix - for descending)")
                    })?;
                    q.descending = desc;
                }
                other => {
                    return Err(format!(
                        "unknown filter {other}:; use level:, status:, source:, ds:, component:, assignee:, sort: or plain words"
                    ));
                }
            }
        }
        Ok(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_terms_and_words() {
        let q = EventQuery::parse(
            "level:P0,P1 status:open source:alertmanager ds:STACK#rds assignee:me disk full",
            "alice",
        )
        .unwrap();
        assert_eq!(q.levels, vec![Level::P0, Level::P1]);
        assert_eq!(q.statuses, vec![Status::Open]);
        assert_eq!(q.sources, vec!["alertmanager"]);
        assert_eq!(q.ds_types, vec!["STACK#rds"]);
        assert_eq!(q.assignees, vec!["alice"]);
        assert_eq!(q.text, vec!["disk", "full"]);
        assert!(q.descending);
    }

    #[test]
    fn sort_and_errors() {
        let q = EventQuery::parse("sort:-count", "").unwrap();
        assert_eq!((q.sort, q.descending), (SortKey::Count, true));
        assert!(
            EventQuery::parse("level:P9", "")
                .unwrap_err()
                .contains("P0")
        );
        assert!(
            EventQuery::parse("colour:red", "")
                .unwrap_err()
                .contains("unknown filter colour")
        );
        assert_eq!(
            EventQuery::parse("STACK#rds:x", "").unwrap().text,
            vec!["stack#rds:x"],
            "no key with #"
        );
    }
}
