//! Declarative table layouts from `views/*.toml`: which columns, their titles and widths.
//!
//! The built-ins are embedded; `<config_dir>/views/NAME.toml` replaces one whole. A column id must be
//! one the table knows (its [`super::widgets::DataToCell`] implementation lists them); a broken
//! file is refused with the file, the column and the fix. No IO here.

use ratatui::layout::Constraint;
use serde::Deserialize;

use super::suggest::did_you_mean;

/// The built-in view files, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("instances", include_str!("../../views/instances.toml")),
    ("components", include_str!("../../views/components.toml")),
    ("config", include_str!("../../views/config.toml")),
    ("events", include_str!("../../views/events.toml")),
    ("inspections", include_str!("../../views/inspections.toml")),
    (
        "inspection_runs",
        include_str!("../../views/inspection_runs.toml"),
    ),
    ("plans", include_str!("../../views/plans.toml")),
    ("plan_runs", include_str!("../../views/plan_runs.toml")),
];

/// One column of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Which field (known to the row type).
    pub id: String,
    /// The header.
    pub title: String,
    /// The width constraint.
    pub width: Constraint,
    /// Hide the column when the table is narrower than this many cells (0: always shown).
    pub hide_below: u16,
}

/// A table layout.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct View {
    /// The view's name (file stem).
    pub name: String,
    /// Columns, left to right.
    pub columns: Vec<Column>,
}

/// A view file that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("view {file}: {message}")]
pub struct ViewError {
    /// The file.
    pub file: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawView {
    columns: Vec<RawColumn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawColumn {
    id: String,
    title: Option<String>,
    width: Option<String>,
    #[serde(default)]
    hide_below: u16,
}

impl View {
    /// Parse a view file; `known` are the column ids the table can fill.
    pub fn parse(name: &str, text: &str, file: &str, known: &[&str]) -> Result<View, ViewError> {
        let fail = |message: String| ViewError {
            file: file.to_owned(),
            message,
        };
        let raw: RawView = toml::from_str(text).map_err(|e| fail(format!("{e}")))?;
        if raw.columns.is_empty() {
            return Err(fail(
                "no columns: add at least one [[columns]] with an id".into(),
            ));
        }
        let mut columns = Vec::new();
        for (i, c) in raw.columns.into_iter().enumerate() {
            if !known.contains(&c.id.as_str()) {
                return Err(fail(format!(
                    "column {} has unknown id \"{}\"{}; this table knows: {}",
                    i + 1,
                    c.id,
                    did_you_mean(&c.id, known.iter().copied()),
                    known.join(", ")
                )));
            }
            let width = match &c.width {
                None => Constraint::Fill(1),
                Some(w) => parse_width(w)
                    .map_err(|m| fail(format!("column {} (\"{}\"): {m}", i + 1, c.id)))?,
            };
            let title = c.title.unwrap_or_else(|| c.id.to_uppercase());
            columns.push(Column {
                id: c.id,
                title,
                width,
                hide_below: c.hide_below,
            });
        }
        Ok(View {
            name: name.to_owned(),
            columns,
        })
    }

    /// A built-in view (tested; an empty view if it were ever broken).
    pub fn builtin(name: &str, known: &[&str]) -> View {
        BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, text)| {
                View::parse(name, text, &format!("built-in views/{name}.toml"), known).ok()
            })
            .unwrap_or_default()
    }

    /// The columns shown at `width` cells.
    pub fn visible(&self, width: u16) -> Vec<&Column> {
        self.columns
            .iter()
            .filter(|c| width >= c.hide_below)
            .collect()
    }
}

/// `12` (exactly), `min:8`, `max:20`, `fill:2`, `30%`.
fn parse_width(w: &str) -> Result<Constraint, String> {
    let bad = || {
        format!(
            "width \"{w}\" is not understood; write \"12\" (cells), \"min:8\", \"max:20\", \
             \"fill:2\" (share of the rest) or \"30%\""
        )
    };
    let num = |s: &str| s.trim().parse::<u16>().map_err(|_| bad());
    if let Some(p) = w.strip_suffix('%') {
        return num(p).map(Constraint::Percentage);
    }
    match w.split_once(':') {
        None => num(w).map(Constraint::Length),
        Some(("min", n)) => num(n).map(Constraint::Min),
        Some(("max", n)) => num(n).map(Constraint::Max),
        Some(("fill", n)) => num(n).map(Constraint::Fill),
        Some(_) => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["id", "host", "role"];

    #[test]
    fn parses_widths() {
        assert_eq!(parse_width("12"), Ok(Constraint::Length(12)));
        assert_eq!(parse_width("min:8"), Ok(Constraint::Min(8)));
        assert_eq!(parse_width("fill:2"), Ok(Constraint::Fill(2)));
        assert_eq!(parse_width("30%"), Ok(Constraint::Percentage(30)));
        assert!(parse_width("wide").unwrap_err().contains("width \"wide\""));
    }

    #[test]
    fn broken_view_names_the_column() {
        let text = include_str!("fixtures/view_unknown_column.toml");
        let err = View::parse("instances", text, "/cfg/views/instances.toml", KNOWN).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("view /cfg/views/instances.toml: column 2"),
            "{msg}"
        );
        assert!(
            msg.contains("unknown id \"hots\" (did you mean \"host\"?)"),
            "{msg}"
        );
        let e =
            View::parse("x", "[[columns]]\nid = \"id\"\nwidth = \"x\"", "f", KNOWN).unwrap_err();
        assert!(e.message.contains("column 1 (\"id\"): width \"x\""), "{e}");
        let e = View::parse("x", "colums = []", "f", KNOWN).unwrap_err();
        assert!(e.message.contains("unknown field `colums`"), "{e}");
    }

    #[test]
    fn narrow_tables_hide_optional_columns() {
        let text = "[[columns]]\nid = \"id\"\n[[columns]]\nid = \"host\"\nhide_below = 100\n";
        let v = View::parse("x", text, "f", KNOWN).unwrap();
        assert_eq!(v.visible(80).len(), 1);
        assert_eq!(v.visible(120).len(), 2);
        assert_eq!(v.columns[0].title, "ID");
    }
}
