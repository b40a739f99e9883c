//! Key names as written in key maps (`j`, `G`, `ctrl-d`, `enter`, `backtab`) and their parsing.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A key with modifiers, normalised so that a key map entry and a terminal event compare equal
/// (`G` is `G`, not `shift-g`; `backtab` carries no shift).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    /// The key itself.
    pub code: KeyCode,
    /// Ctrl and Alt (Shift is folded into the character).
    pub mods: KeyModifiers,
}

const NAMED: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("space", KeyCode::Char(' ')),
];

impl Key {
    /// Parse a key-map key name. The error says what is expected.
    pub fn parse(spec: &str) -> Result<Key, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = spec;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-").filter(|r| !r.is_empty()) {
                mods |= KeyModifiers::CONTROL;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-").filter(|r| !r.is_empty()) {
                mods |= KeyModifiers::ALT;
                rest = r;
            } else {
                break;
            }
        }
        let code = if let Some((_, c)) = NAMED.iter().find(|(n, _)| *n == rest) {
            *c
        } else if let Some(n) = rest.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
            KeyCode::F(n)
        } else {
            let mut chars = rest.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if !c.is_control() => KeyCode::Char(c),
                _ => {
                    return Err(format!(
                        "unknown key \"{spec}\": write one character (\"j\", \"G\", \"?\"), a name \
                         ({}, f1–f12), optionally after \"ctrl-\" or \"alt-\"",
                        NAMED.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                    ));
                }
            }
        };
        Ok(Key::new(code, mods))
    }

    /// A normalised key.
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Key {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        // Terminals report `G` as shift+G and backtab as shift+backtab; the character already
        // says it, so shift only matters for named keys (shift-up).
        if matches!(code, KeyCode::Char(_) | KeyCode::BackTab) {
            mods.remove(KeyModifiers::SHIFT);
        }
        // Ctrl+letter arrives lowercase from most terminals; fold the case so `ctrl-C` = `ctrl-c`.
        let code = match code {
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            other => other,
        };
        Key { code, mods }
    }

    /// Whether this is a bare ctrl-letter (never allowed to confirm anything destructive).
    pub fn is_ctrl_letter(&self) -> bool {
        self.mods == KeyModifiers::CONTROL
            && matches!(self.code, KeyCode::Char(c) if c.is_ascii_alphabetic())
    }

    /// The printable character this key types, if any (for prompts).
    pub fn text(&self) -> Option<char> {
        match self.code {
            KeyCode::Char(c) if (self.mods - KeyModifiers::SHIFT).is_empty() => Some(c),
            _ => None,
        }
    }
}

impl From<KeyEvent> for Key {
    fn from(ev: KeyEvent) -> Key {
        Key::new(ev.code, ev.modifiers)
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            code => match NAMED.iter().find(|(_, c)| *c == code) {
                Some((name, _)) => f.write_str(name),
                None => write!(f, "{code:?}"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays_key_names() {
        for spec in [
            "j", "G", "?", ":", "ctrl-c", "alt-x", "enter", "backtab", "f5", "space",
        ] {
            assert_eq!(Key::parse(spec).unwrap().to_string(), spec);
        }
        assert_eq!(Key::parse("ctrl-C").unwrap(), Key::parse("ctrl-c").unwrap());
    }

    #[test]
    fn terminal_events_match_key_map_names() {
        let ev = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(Key::from(ev), Key::parse("G").unwrap());
        let ev = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(Key::from(ev), Key::parse("backtab").unwrap());
    }

    #[test]
    fn bad_names_say_what_is_expected() {
        let err = Key::parse("ctrl-").unwrap_err();
        assert!(err.contains("unknown key \"ctrl-\""), "{err}");
        assert!(Key::parse("jj").unwrap_err().contains("one character"));
        assert!(Key::parse("ctrl-x").unwrap().is_ctrl_letter());
        assert!(!Key::parse("x").unwrap().is_ctrl_letter());
    }
}
