//! What a configuration change is reviewed with before the G2 confirmation: a side-by-side diff of
//! the masked old and new values, and notes (a version-gated key whose `version` was not raised,
//! a key that needs a restart).

use serde_json::Value;

use crate::domain::sysconfig::version_raised;
use crate::domain::sysconfig::{KeySpec, MASK, mask, secret_pointers};
use crate::sysconfig::diff_lines;

/// One row of a side-by-side diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SideRow {
    /// `' '` same, `'~'` changed, `'-'` only on the left, `'+'` only on the right.
    pub tag: char,
    /// The old line, if any.
    pub left: Option<String>,
    /// The new line, if any.
    pub right: Option<String>,
}

/// A note under the diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// A warning (drawn with the warning symbol and style), else information.
    pub warning: bool,
    /// The text.
    pub text: String,
}

/// The review shown with a configuration change's confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// The left column's title (`current v3`).
    pub left_title: String,
    /// The right column's title (`new (v4)`).
    pub right_title: String,
    /// The diff.
    pub rows: Vec<SideRow>,
    /// Notes and warnings.
    pub notes: Vec<Note>,
    /// Rows scrolled off the top.
    pub scroll: usize,
}

impl Review {
    /// A review of `old` → `new` (both masked, pretty-printed), scrolled to the first change.
    pub fn new(left_title: String, right_title: String, old: &str, new: &str) -> Review {
        let rows = side_by_side(old, new);
        let first = rows.iter().position(|r| r.tag != ' ').unwrap_or(0);
        Review {
            left_title,
            right_title,
            rows,
            notes: Vec::new(),
            scroll: first.saturating_sub(2),
        }
    }

    /// Add notes.
    pub fn with_notes(mut self, notes: Vec<Note>) -> Review {
        self.notes.extend(notes);
        self
    }

    /// Scroll by `delta` rows, within the diff.
    pub fn scroll_by(&mut self, delta: isize) {
        let max = self.rows.len().saturating_sub(1);
        self.scroll = self.scroll.saturating_add_signed(delta).min(max);
    }
}

/// An edited value as the review shows it: secrets masked, and a secret the operator typed anew
/// marked `****** (changed)` so the change is visible without being shown.
pub fn masked_edit(spec: Option<&KeySpec>, new: &Value) -> Value {
    let mut shown = mask(spec, new);
    for p in secret_pointers(spec, new) {
        let typed = new
            .pointer(&p)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty() && s != MASK);
        if let (true, Some(leaf)) = (typed, shown.pointer_mut(&p)) {
            *leaf = Value::String(format!("{MASK} (changed)"));
        }
    }
    shown
}

/// What a change of `old` → `new` means for the engine: a version-gated key whose `version` did
/// not go up is not applied (a warning); a restart-required key waits for a restart.
pub fn notes_for(spec: Option<&KeySpec>, old: &Value, new: &Value) -> Vec<Note> {
    let mut notes = Vec::new();
    let Some(spec) = spec else { return notes };
    if spec.version_gated {
        let ver = |v: &Value| {
            v.get("version")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let (a, b) = (ver(old), ver(new));
        if version_raised(&a, &b) {
            notes.push(Note {
                warning: false,
                text: format!("\"version\" raised {a} → {b}: the engine applies it within 30 s"),
            });
        } else {
            notes.push(Note {
                warning: true,
                text: format!(
                    "\"version\" is still {a:?}: this change will not take effect (raise it)"
                ),
            });
        }
    }
    if spec.restart_required {
        notes.push(Note {
            warning: true,
            text: format!("{} takes effect after the engine restarts", spec.name),
        });
    }
    notes
}

/// Pair the removed and added lines of a line diff into rows: runs of `-` then `+` side by side.
pub fn side_by_side(old: &str, new: &str) -> Vec<SideRow> {
    let mut rows = Vec::new();
    let (mut minus, mut plus): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    let flush = |rows: &mut Vec<SideRow>, minus: &mut Vec<String>, plus: &mut Vec<String>| {
        let n = minus.len().max(plus.len());
        let (mut m, mut p) = (minus.drain(..), plus.drain(..));
        for _ in 0..n {
            let (left, right) = (m.next(), p.next());
            let tag = match (&left, &right) {
                (Some(_), Some(_)) => '~',
                (Some(_), None) => '-',
                _ => '+',
            };
            rows.push(SideRow { tag, left, right });
        }
    };
    for line in diff_lines(old, new) {
        match line.tag {
            '-' => minus.push(line.text),
            '+' => plus.push(line.text),
            _ => {
                flush(&mut rows, &mut minus, &mut plus);
                rows.push(SideRow {
                    tag: ' ',
                    left: Some(line.text.clone()),
                    right: Some(line.text),
                });
            }
        }
    }
    flush(&mut rows, &mut minus, &mut plus);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_changes_side_by_side() {
        let rows = side_by_side("a\nb\nc\n", "a\nB\nc\nd\n");
        let tags: String = rows.iter().map(|r| r.tag).collect();
        assert_eq!(tags, " ~ +");
        assert_eq!(rows[1].left.as_deref(), Some("b"));
        assert_eq!(rows[1].right.as_deref(), Some("B"));
        assert_eq!(rows[3].left, None);
        let r = Review::new(
            "old".into(),
            "new".into(),
            "1\n2\n3\n4\n5\n",
            "1\n2\n3\n4\nx\n",
        );
        assert_eq!(r.scroll, 2, "opens just above the first change");
    }
}
