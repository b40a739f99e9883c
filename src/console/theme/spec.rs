//! Reading a theme file: slots (flat `"border.focused"` keys or nested tables) of
//! `{ fg, bg, modifiers }`, with errors that quote the bad value.

use ratatui::style::{Color, Modifier, Style};

use super::{SLOTS, Theme};
use crate::console::suggest::did_you_mean;

/// A theme file that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("theme {file}: {message}")]
pub struct ThemeError {
    /// The file.
    pub file: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// The 16 ANSI colours (usable in any terminal) plus `reset`.
pub const ANSI: &[(&str, Color)] = &[
    ("reset", Color::Reset),
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("darkgray", Color::DarkGray),
    ("lightred", Color::LightRed),
    ("lightgreen", Color::LightGreen),
    ("lightyellow", Color::LightYellow),
    ("lightblue", Color::LightBlue),
    ("lightmagenta", Color::LightMagenta),
    ("lightcyan", Color::LightCyan),
    ("white", Color::White),
];

const MODIFIERS: &[(&str, Modifier)] = &[
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underlined", Modifier::UNDERLINED),
    ("reversed", Modifier::REVERSED),
    ("crossed_out", Modifier::CROSSED_OUT),
];

/// Parse `text` over `base`: every slot the file sets replaces the base's.
pub fn parse(text: &str, file: &str, mut base: Theme) -> Result<Theme, ThemeError> {
    let fail = |message: String| ThemeError {
        file: file.to_owned(),
        message,
    };
    let table: toml::Table = text
        .parse()
        .map_err(|e| fail(format!("not valid TOML: {e}")))?;
    let mut leaves = Vec::new();
    collect("", &table, &mut leaves).map_err(&fail)?;
    for (slot, spec) in leaves {
        let style = style(&spec).map_err(|m| fail(format!("slot `{slot}`: {m}")))?;
        let target = base.slot_mut(&slot).ok_or_else(|| {
            fail(format!(
                "unknown slot `{slot}`{}; slots are: {}",
                did_you_mean(&slot, SLOTS.iter().copied()),
                SLOTS.join(", ")
            ))
        })?;
        *target = style;
    }
    Ok(base)
}

/// Flatten nested tables into (dotted slot, style table) pairs.
fn collect(
    prefix: &str,
    table: &toml::Table,
    out: &mut Vec<(String, toml::Table)>,
) -> Result<(), String> {
    let mut own = toml::Table::new();
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match (key.as_str(), value) {
            ("fg" | "bg" | "modifiers", v) if !prefix.is_empty() => {
                own.insert(key.clone(), v.clone());
            }
            (_, toml::Value::Table(t)) => collect(&path, t, out)?,
            (_, v) => {
                return Err(format!(
                    "`{path}` = {v} is not a style; write {path} = {{ fg = \"red\", modifiers = [\"bold\"] }}"
                ));
            }
        }
    }
    if !own.is_empty() {
        out.push((prefix.to_owned(), own));
    }
    Ok(())
}

fn style(spec: &toml::Table) -> Result<Style, String> {
    let mut style = Style::default();
    if let Some(v) = spec.get("fg") {
        style = style.fg(color(v)?);
    }
    if let Some(v) = spec.get("bg") {
        style = style.bg(color(v)?);
    }
    if let Some(v) = spec.get("modifiers") {
        let list = v
            .as_array()
            .ok_or("`modifiers` is a list, e.g. [\"bold\", \"reversed\"]")?;
        for m in list {
            let name = m.as_str().unwrap_or_default();
            let (_, bit) = MODIFIERS.iter().find(|(n, _)| *n == name).ok_or_else(|| {
                let names: Vec<&str> = MODIFIERS.iter().map(|(n, _)| *n).collect();
                format!("unknown modifier {m}; modifiers are: {}", names.join(", "))
            })?;
            style = style.add_modifier(*bit);
        }
    }
    Ok(style)
}

fn color(v: &toml::Value) -> Result<Color, String> {
    let s = v.as_str().unwrap_or_default();
    if let Some((_, c)) = ANSI.iter().find(|(n, _)| *n == s) {
        return Ok(*c);
    }
    if let Ok(i) = s.parse::<u8>() {
        return Ok(Color::Indexed(i));
    }
    let hex = s.strip_prefix('#').filter(|h| h.len() == 6);
    if let Some(rgb) = hex.and_then(|h| u32::from_str_radix(h, 16).ok()) {
        let [_, r, g, b] = rgb.to_be_bytes();
        return Ok(Color::Rgb(r, g, b));
    }
    let names: Vec<&str> = ANSI.iter().map(|(n, _)| *n).collect();
    Err(format!(
        "unknown colour {v}{}; use one of the 16 ANSI names ({}), an index \"0\"–\"255\" or \"#rrggbb\"",
        did_you_mean(s, names.iter().copied()),
        names.join(", ")
    ))
}
