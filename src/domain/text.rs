//! Untrusted text on a terminal. Titles, labels and annotations come from alerts, step and probe
//! output from scripts and remote servers: a terminal obeys the control characters in them
//! (`ESC[2J` clears the screen, OSC 52 writes the clipboard, CR overwrites a line so a forged one
//! reads as real, BEL rings, C1 controls are CSI on some terminals, bidi overrides reorder what
//! is displayed). Everything that prints such text shows those characters as visible escapes
//! instead: the CLI (every line it writes goes through [`lines`], single-line fields through
//! [`one_line`]) and the console (which, through ratatui, would otherwise drop them silently).
//!
//! The escape is `\uXXXX`, which is also a valid JSON string escape: applied to JSON output it
//! keeps the document valid and its values unchanged.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as itself: C0 controls (newline and tab included),
/// DEL, C1 controls, the line/paragraph separators and the bidi embeddings, overrides and
/// isolates (U+202A–U+202E, U+2066–U+2069).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escape(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_unsafe(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_unsafe(c) && !keep(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Text for one line of output (a title, a label, a message): every unsafe character escaped,
/// newlines and tabs included, so the text can neither forge a line nor steer the terminal.
pub fn one_line(s: &str) -> Cow<'_, str> {
    escape(s, |_| false)
}

/// Text of several lines (step output, a whole listing): newlines and tabs kept, every other
/// unsafe character escaped. A CR is escaped too: it would let a line overwrite the one shown.
pub fn lines(s: &str) -> Cow<'_, str> {
    escape(s, |c| c == '\n' || c == '\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible_escapes() {
        let hostile = "a\u{1b}[2J\u{1b}]52;c;cHduZWQ=\u{7}b\rforged\u{9b}31m\u{202e}x\ny\tz";
        let one = one_line(hostile);
        assert!(!one.chars().any(is_unsafe), "{one}");
        assert_eq!(
            one,
            "a\\u001b[2J\\u001b]52;c;cHduZWQ=\\u0007b\\u000dforged\\u009b31m\\u202ex\\u000ay\\u0009z"
        );
        let many = lines(hostile);
        assert!(
            many.contains("x\ny\tz") && many.contains("\\u000dforged"),
            "{many}"
        );
        assert!(!many.contains('\u{1b}') && !many.contains('\r'));
        assert!(matches!(one_line("plain ✓ text"), Cow::Borrowed(_)));
    }

    #[test]
    fn escaped_json_stays_json_with_the_same_values() {
        let v = serde_json::json!({"title": "x\u{9b}y\u{202e}z\u{1b}"});
        let text = serde_json::to_string(&v).unwrap();
        let safe = lines(&text);
        assert!(!safe.chars().any(|c| is_unsafe(c) && c != '\n'));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, v);
    }
}
