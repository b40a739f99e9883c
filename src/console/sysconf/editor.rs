//! The in-place editor of one key: a `tui-textarea` holding the masked value as pretty JSON, what
//! the edit is based on (version and value, for the conflict check and the diff), and the local
//! validation that runs before anything is sent: size, JSON syntax (the cursor moves to the error),
//! schema (the JSON path and the expected type).
//!
//! The editor never receives a secret: it starts from the masked value, and a secret field left at
//! `******` keeps the stored secret when saved (the service restores it).

use ratatui::style::{Modifier, Style};
use serde_json::Value;
use tui_textarea::{CursorMove, TextArea};

use super::conflict::ConflictState;
use crate::domain::sysconfig::{ConfigProblem, Kind, lookup, parse_input, validate};
use crate::sysconfig::ConfigView;

/// The text the editor starts from: the masked value pretty-printed (as `config edit` does).
pub fn editor_text(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// Editing one key.
#[derive(Debug, Clone)]
pub struct EditorState {
    /// The key.
    pub key: String,
    /// How its text is read.
    pub kind: Kind,
    /// The version the edit started from (0: never saved); sent with the save.
    pub base_version: i64,
    /// The masked value the edit started from (left side of the diff).
    pub original: Value,
    /// The text it started from (to tell whether anything changed).
    pub original_text: String,
    /// The text being edited.
    pub area: TextArea<'static>,
    /// Why the last save was refused, shown under the text.
    pub error: Option<String>,
    /// Esc with unsaved changes: asking whether to discard them.
    pub ask_discard: bool,
    /// A confirmed save is on its way to the service.
    pub saving: bool,
    /// Someone saved this key meanwhile.
    pub conflict: Option<ConflictState>,
    /// The last search, for "next match".
    pub last_search: Option<String>,
}

impl EditorState {
    /// Start editing `view` (its masked value).
    pub fn open(view: &ConfigView) -> EditorState {
        let text = editor_text(&view.value);
        let area = text_area(&text);
        EditorState {
            key: view.key.clone(),
            kind: view.kind,
            base_version: view.version,
            original: view.value.clone(),
            original_text: text,
            area,
            error: None,
            ask_discard: false,
            saving: false,
            conflict: None,
            last_search: None,
        }
    }

    /// Replace the whole text (one edit, as a paste over everything would be).
    pub fn set_text(&mut self, text: &str) {
        self.area = text_area(text);
    }

    /// The text as typed.
    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    /// Whether the text differs from where the edit started.
    pub fn is_modified(&self) -> bool {
        self.text().trim_end() != self.original_text.trim_end()
    }

    /// (line, column), 1-based, of the cursor.
    pub fn cursor(&self) -> (usize, usize) {
        let c = self.area.cursor();
        (c.0 + 1, c.1 + 1)
    }

    /// Move the cursor to a 1-based line and column (clamped to the text).
    pub fn jump(&mut self, line: usize, column: usize) {
        let row = u16::try_from(line.saturating_sub(1)).unwrap_or(u16::MAX);
        let col = u16::try_from(column.saturating_sub(1)).unwrap_or(u16::MAX);
        self.area.move_cursor(CursorMove::Jump(row, col));
    }

    /// Read and validate the text locally, exactly as the service will. On a problem, set
    /// `error`, move the cursor to it, and return `None`.
    pub fn check(&mut self) -> Option<Value> {
        let spec = lookup(&self.key);
        if self.kind == Kind::Integer
            && let Some(message) = not_an_integer(&self.key, spec, &self.text())
        {
            // A one-word value: there is no position to point at, the cursor stays.
            self.error = Some(message);
            return None;
        }
        let problem = match parse_input(self.kind, &self.text()) {
            Ok(v) => match validate(spec, &v) {
                Ok(()) => {
                    self.error = None;
                    return Some(v);
                }
                Err(p) => p,
            },
            Err(p) => p,
        };
        match &problem {
            ConfigProblem::Syntax { line, column, .. } => self.jump(*line, *column),
            ConfigProblem::Schema { path, .. } => {
                if let Some(line) = line_of_path(&self.area.lines().join("\n"), path) {
                    self.jump(line, 1);
                    self.area.move_cursor(CursorMove::Head);
                }
            }
            ConfigProblem::TooLarge { .. } => {}
        }
        self.error = Some(match problem {
            ConfigProblem::Schema { path, message } => {
                format!("schema error at {path}: {message}")
            }
            other => other.to_string(),
        });
        None
    }

    /// Find `needle` (case-insensitive) after the cursor, wrapping around; moves the cursor there.
    pub fn find(&mut self, needle: &str) -> bool {
        let needle = needle.to_lowercase();
        if needle.is_empty() {
            return false;
        }
        let lines: Vec<String> = self.area.lines().iter().map(|l| l.to_lowercase()).collect();
        let (row, col) = (self.area.cursor().0, self.area.cursor().1);
        let n = lines.len();
        for step in 0..=n {
            let r = (row + step) % n.max(1);
            let line = &lines[r];
            // On the cursor's line, start after the cursor; on the wrap-around pass, before it.
            let from = if step == 0 { col + 1 } else { 0 };
            let hay: String = line.chars().skip(from).collect();
            if let Some(byte) = hay.find(&needle) {
                let c = from + hay[..byte].chars().count();
                if step == n && c > col {
                    break;
                }
                self.jump(r + 1, c + 1);
                return true;
            }
        }
        false
    }
}

/// A text area holding `text`, with line numbers. Modifiers only (no colours), so it reads the
/// same in every theme and under NO_COLOR.
/// The message for an integer key whose text is not a whole number, naming the key and the form
/// it takes (`6h` → its value in milliseconds, for the interval keys that count them).
fn not_an_integer(
    key: &str,
    spec: Option<&crate::domain::sysconfig::KeySpec>,
    text: &str,
) -> Option<String> {
    let t = text.trim();
    if t.parse::<i64>().is_ok() {
        return None;
    }
    let example = spec.map_or_else(|| "3600000".to_owned(), |s| (s.default)().to_string());
    let mut msg =
        format!("{key} takes a whole number of milliseconds, e.g. {example}; `{t}` is not one");
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let per: Option<i64> = match unit.trim() {
        "ms" => Some(1),
        "s" => Some(1_000),
        "m" | "min" => Some(60_000),
        "h" => Some(3_600_000),
        "d" => Some(86_400_000),
        _ => None,
    };
    if let (Ok(n), Some(per)) = (n.parse::<i64>(), per)
        && let Some(ms) = n.checked_mul(per)
    {
        msg.push_str(&format!(" (type {ms} for {t})"));
    }
    Some(msg)
}

fn text_area(text: &str) -> TextArea<'static> {
    let mut area = TextArea::from(text.lines());
    area.set_tab_length(2);
    area.set_line_number_style(Style::new().add_modifier(Modifier::DIM));
    area.set_cursor_line_style(Style::new());
    area
}

/// The line (1-based) where a JSON path's last object key appears in pretty-printed text, found by
/// following the path's keys downwards. Best effort: `None` when a key cannot be found.
fn line_of_path(text: &str, path: &str) -> Option<usize> {
    let mut from = 0;
    let mut found = None;
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        if seg.parse::<usize>().is_ok() {
            continue;
        }
        let name = seg.replace("~1", "/").replace("~0", "~");
        let quoted = format!("{}:", Value::String(name));
        let hit = text
            .lines()
            .enumerate()
            .skip(from)
            .find(|(_, l)| l.trim_start().starts_with(&quoted))?;
        from = hit.0;
        found = Some(hit.0 + 1);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_line_of_a_json_path() {
        let text = "{\n  \"a\": {\n    \"P0\": 1\n  },\n  \"riskLevelMap\": {\n    \"P0\": \"yes\"\n  }\n}";
        assert_eq!(line_of_path(text, "/riskLevelMap/P0"), Some(6));
        assert_eq!(line_of_path(text, "/nope"), None);
    }

    #[test]
    fn a_duration_typed_for_an_integer_key_names_the_key_and_the_form_and_keeps_the_cursor() {
        let mut ed = EditorState {
            key: "META_SYNC_INTERVAL".into(),
            kind: Kind::Integer,
            base_version: 1,
            original: Value::from(21_600_000),
            original_text: "21600000".into(),
            area: text_area("6h"),
            error: None,
            ask_discard: false,
            saving: false,
            conflict: None,
            last_search: None,
        };
        ed.area.move_cursor(CursorMove::End);
        let before = ed.cursor();
        assert_eq!(ed.check(), None);
        let error = ed.error.clone().unwrap_or_default();
        assert_eq!(
            error,
            "META_SYNC_INTERVAL takes a whole number of milliseconds, e.g. 21600000; `6h` is not \
             one (type 21600000 for 6h)"
        );
        assert_eq!(ed.cursor(), before, "the cursor stays where it was");
        ed.set_text("7200000");
        assert_eq!(ed.check(), Some(Value::from(7_200_000)));
        ed.set_text("soon");
        assert!(ed.check().is_none());
        assert!(
            ed.error
                .as_deref()
                .is_some_and(|e| e.ends_with("`soon` is not one")),
            "{:?}",
            ed.error
        );
    }
}
