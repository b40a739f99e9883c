//! [`ProbeOutput`], what a probe measured, and the bound on its text output.
//!
//! Must not: grow without bound. Anything a probe keeps as text (a body, a script's stdout) goes
//! through [`bounded`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The most bytes of text a probe keeps (output, and a `BODY` value).
pub const MAX_OUTPUT: usize = 64 * 1024;

/// The note appended when text was cut at [`MAX_OUTPUT`].
pub const TRUNCATED: &str = "\n[truncated]";

/// What a probe measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProbeOutput {
    /// Named values for the conditions, keys upper-case (`STATUS`, `VALUE`, `DISK[/]`, …).
    pub values: BTreeMap<String, Value>,
    /// One line for a person: what was measured, e.g. `200 OK in 12 ms`.
    pub message: String,
    /// Raw text for the result's detail view (a body, stdout/stderr), at most about
    /// [`MAX_OUTPUT`] bytes, cut with a `[truncated]` note.
    pub output: String,
    /// Wall time of the probe, filled by [`super::run`].
    pub duration_ms: u64,
}

impl ProbeOutput {
    /// An output with a message and nothing else yet.
    pub fn new(message: impl Into<String>) -> ProbeOutput {
        ProbeOutput {
            message: message.into(),
            ..ProbeOutput::default()
        }
    }

    /// Set one value (builder style).
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> ProbeOutput {
        self.values.insert(key.to_owned(), value.into());
        self
    }

    /// Set one value.
    pub fn set(&mut self, key: &str, value: impl Into<Value>) {
        self.values.insert(key.to_owned(), value.into());
    }
}

/// `text` cut to at most [`MAX_OUTPUT`] bytes on a character boundary, with a `[truncated]` note
/// when something was cut.
pub fn bounded(text: &str) -> String {
    bounded_to(text, MAX_OUTPUT)
}

/// `text` cut to at most `max` bytes (plus the note).
pub(crate) fn bounded_to(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{TRUNCATED}", &text[..end])
}

/// Bytes as text (lossy UTF-8), bounded.
pub(crate) fn bounded_bytes(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(MAX_OUTPUT + 4)];
    let text = String::from_utf8_lossy(cut);
    if bytes.len() > MAX_OUTPUT {
        let s = bounded_to(&text, MAX_OUTPUT);
        if s.ends_with(TRUNCATED) {
            s
        } else {
            format!("{s}{TRUNCATED}")
        }
    } else {
        text.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_on_char_boundaries() {
        assert_eq!(bounded("short"), "short");
        let long = "é".repeat(MAX_OUTPUT);
        let cut = bounded(&long);
        assert!(cut.len() <= MAX_OUTPUT + TRUNCATED.len());
        assert!(cut.ends_with("[truncated]"));
        let bytes = vec![b'x'; MAX_OUTPUT * 2];
        let cut = bounded_bytes(&bytes);
        assert_eq!(cut.len(), MAX_OUTPUT + TRUNCATED.len());
        assert_eq!(bounded_bytes(b"ok"), "ok");
    }
}
