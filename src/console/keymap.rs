//! Key bindings per mode, as `{ on, run, desc }` entries, so the help is generated from the same data.
//!
//! The built-in map is `assets/keymap.toml`, embedded at build time; `<config_dir>/keymap.toml`
//! overrides and extends it entry by entry (a user binding takes its keys away from any built-in
//! one). A broken user file is refused whole with a message naming the file, the entry and the fix;
//! the caller then keeps the built-in map. This module does no IO: callers pass the text.

mod key;

use std::collections::HashMap;

use strum::IntoEnumIterator;

pub use key::Key;

use super::action::Action;
use super::mode::Mode;
use super::suggest::did_you_mean;

/// The built-in key map text.
pub const BUILTIN: &str = include_str!("../../assets/keymap.toml");

/// One entry: the keys, the action they run, and what the help says.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    /// Keys that run the action (any of them).
    pub keys: Vec<Key>,
    /// The action.
    pub action: Action,
    /// The help text.
    pub desc: String,
}

/// All bindings, per mode.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Keymap {
    modes: HashMap<Mode, Vec<Binding>>,
}

/// A key map file that cannot be used, with everything needed to fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("key map {file}: {message}")]
pub struct KeymapError {
    /// The file (or `built-in`).
    pub file: String,
    /// What is wrong, where, and how to fix it.
    pub message: String,
}

impl Keymap {
    /// The built-in key map. It is tested, so a failure here is a build defect; an empty map keeps
    /// the console usable (ctrl-c still quits through the runtime) rather than panicking.
    pub fn builtin() -> Keymap {
        Keymap::parse(BUILTIN, "built-in assets/keymap.toml").unwrap_or_default()
    }

    /// Parse a key map file's text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Keymap, KeymapError> {
        let fail = |message: String| KeymapError {
            file: file.to_owned(),
            message,
        };
        let table: toml::Table = text
            .parse()
            .map_err(|e| fail(format!("not valid TOML: {e}")))?;
        let mut modes: HashMap<Mode, Vec<Binding>> = HashMap::new();
        for (section, value) in &table {
            let mode = parse_mode(section).map_err(&fail)?;
            let entries = value.as_array().ok_or_else(|| {
                fail(format!(
                    "`{section}` must be a list of entries, e.g. {section} = [ {{ on = \"j\", \
                     run = \"down\", desc = \"Move down\" }} ]"
                ))
            })?;
            for (i, entry) in entries.iter().enumerate() {
                let binding = parse_entry(mode, entry)
                    .map_err(|m| fail(format!("[{section}] entry {}: {m}", i + 1)))?;
                modes.entry(mode).or_default().push(binding);
            }
        }
        Ok(Keymap { modes })
    }

    /// This map with `user` laid over it: user keys win, everything else stays.
    pub fn overlay(mut self, user: Keymap) -> Keymap {
        for (mode, bindings) in user.modes {
            let list = self.modes.entry(mode).or_default();
            for b in bindings {
                for existing in list.iter_mut() {
                    existing.keys.retain(|k| !b.keys.contains(k));
                }
                list.retain(|e| !e.keys.is_empty());
                list.push(b);
            }
        }
        self
    }

    /// The action bound to `key` in `mode`.
    pub fn lookup(&self, mode: Mode, key: Key) -> Option<&Action> {
        self.modes
            .get(&mode)?
            .iter()
            .find(|b| b.keys.contains(&key))
            .map(|b| &b.action)
    }

    /// The bindings of one mode, in file order.
    pub fn bindings(&self, mode: Mode) -> &[Binding] {
        self.modes.get(&mode).map(Vec::as_slice).unwrap_or_default()
    }

    /// The first key bound to `action` in `mode`, for hints (`? help`).
    pub fn key_for(&self, mode: Mode, action: &Action) -> Option<Key> {
        self.bindings(mode)
            .iter()
            .find(|b| &b.action == action)
            .and_then(|b| b.keys.first().copied())
    }
}

fn parse_mode(section: &str) -> Result<Mode, String> {
    Mode::iter()
        .find(|m| m.to_string() == section)
        .ok_or_else(|| {
            let names: Vec<&'static str> = Mode::iter().map(<&'static str>::from).collect();
            format!(
                "unknown mode [{section}]{}; modes are: {}",
                did_you_mean(section, names.iter().copied()),
                names.join(", ")
            )
        })
}

fn parse_entry(mode: Mode, entry: &toml::Value) -> Result<Binding, String> {
    let table = entry
        .as_table()
        .ok_or("write it as { on = \"j\", run = \"down\", desc = \"…\" }")?;
    if let Some(k) = table
        .keys()
        .find(|k| !["on", "run", "desc"].contains(&k.as_str()))
    {
        return Err(format!(
            "unknown field `{k}`; an entry has only `on`, `run` and `desc`"
        ));
    }
    let keys: Vec<Key> = match table.get("on") {
        Some(toml::Value::String(s)) => vec![Key::parse(s)?],
        Some(toml::Value::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|v| {
                v.as_str()
                    .ok_or("`on` lists key names as strings")
                    .map(Key::parse)?
            })
            .collect::<Result<_, String>>()?,
        _ => {
            return Err(
                "`on` is missing: give a key (on = \"j\") or keys (on = [\"j\", \"down\"])".into(),
            );
        }
    };
    let run = table
        .get("run")
        .and_then(toml::Value::as_str)
        .ok_or_else(|| {
            format!(
                "`run` is missing for on = \"{}\": name an action, e.g. run = \"down\"",
                keys[0]
            )
        })?;
    let action = Action::parse_bindable(run).ok_or_else(|| {
        let names = Action::BINDABLE.iter().map(Action::name);
        format!(
            "unknown action \"{run}\" for on = \"{}\"{}; actions are: {}",
            keys[0],
            did_you_mean(run, names.clone()),
            names.collect::<Vec<_>>().join(", ")
        )
    })?;
    let confirming = matches!(mode, Mode::Confirm | Mode::ConfirmInput)
        && matches!(action, Action::Yes | Action::Submit);
    if let Some(k) = keys.iter().find(|k| confirming && k.is_ctrl_letter()) {
        return Err(format!(
            "\"{k}\" may not confirm: a bare ctrl-letter is too easy to hit by accident; \
             bind `{run}` to a plain key such as \"y\" or \"enter\""
        ));
    }
    let desc = table
        .get("desc")
        .and_then(toml::Value::as_str)
        .unwrap_or(run)
        .to_owned();
    Ok(Binding { keys, action, desc })
}

#[cfg(test)]
mod tests;
