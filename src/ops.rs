//! Atomic operations of emergency plans: run one operation against one target with a deadline,
//! capture its output as it comes ([`Live`], which the plan executor flushes to the store so the
//! console can follow it), and report what happened ([`Outcome`]).
//!
//! An operation never decides whether to run (danger, confirmation, `when`, retries and dry-run
//! are the executor's), never logs its arguments (a `redis` AUTH or a DSN may carry a secret) and
//! never outlives its deadline: dropping its future stops it (a command's whole process group is
//! killed).
//!
//! `Err` means the operation could not be carried out at all (a command that cannot start, an
//! unreachable database); `Ok` with `ok = false` means it ran and did not do what was expected
//! (exit code 1, HTTP 500, 0 rows affected where 1 was expected). Both fail the step.

pub mod command;
pub mod gate;
pub mod http;
pub mod redis;
pub mod remote;
pub mod sql;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::sysconfig::Scrubber;

/// Most output kept per operation (bytes): the tail is kept, the dropped head is noted.
pub const MAX_LIVE: usize = 256 * 1024;

/// What ends the note that replaces the dropped head of a long output (see [`Live::snapshot`]).
pub const DROPPED_NOTE_END: &str = "earlier bytes dropped …]\n";

/// Longest `OUTPUT` value (bytes) a later step can reference with `{{steps.ID.output}}`.
pub const MAX_OUTPUT_VALUE: usize = 4 * 1024;

/// What one attempt of an operation did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// It did what was expected.
    pub ok: bool,
    /// One line for the operator: `exit code 0`, `HTTP 200`, `2 rows affected`.
    pub message: String,
    /// Named values later steps and conditions can read (`EXIT_CODE`, `STATUS`, `OUTPUT`, …).
    pub values: BTreeMap<String, Value>,
}

impl Outcome {
    pub fn new(ok: bool, message: impl Into<String>) -> Outcome {
        Outcome {
            ok,
            message: message.into(),
            values: BTreeMap::new(),
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Outcome {
        self.values.insert(key.to_owned(), value.into());
        self
    }
}

#[derive(Debug, Default)]
struct LiveText {
    text: String,
    dropped: usize,
    /// Bumped on every append, so a flusher knows whether anything changed.
    version: u64,
    /// The process group the operation started, if any (recorded so it can be killed later).
    process: Option<u32>,
}

/// Output captured while an operation runs, shared with whoever shows or stores it. Bounded:
/// past [`MAX_LIVE`] bytes the oldest output is dropped (and counted). Scrubbed as it comes:
/// every secret value in use is replaced before anything can read it.
#[derive(Debug, Clone, Default)]
pub struct Live {
    text: Arc<Mutex<LiveText>>,
    scrub: Arc<Scrubber>,
}

impl Live {
    pub fn new() -> Live {
        Live::default()
    }

    /// Output scrubbed of the secrets `scrub` knows.
    pub fn scrubbed(scrub: Arc<Scrubber>) -> Live {
        Live {
            text: Arc::default(),
            scrub,
        }
    }

    /// Note the process group the operation runs in.
    pub fn started(&self, pgid: u32) {
        if let Ok(mut l) = self.text.lock() {
            l.process = Some(pgid);
        }
    }

    /// The process group the operation started, if any.
    pub fn process(&self) -> Option<u32> {
        self.text.lock().ok().and_then(|l| l.process)
    }

    /// Append `text` (a line should end with `\n`).
    pub fn push(&self, text: &str) {
        let text = self.scrub.scrub(text);
        let Ok(mut l) = self.text.lock() else { return };
        l.text.push_str(&text);
        l.version += 1;
        if l.text.len() > MAX_LIVE {
            let mut cut = l.text.len() - MAX_LIVE;
            while !l.text.is_char_boundary(cut) {
                cut += 1;
            }
            l.text.drain(..cut);
            l.dropped += cut;
        }
    }

    /// Append one line.
    pub fn line(&self, text: &str) {
        self.push(&format!("{text}\n"));
    }

    /// The change counter (0: nothing written yet).
    pub fn version(&self) -> u64 {
        self.text.lock().map_or(0, |l| l.version)
    }

    /// The output so far, with a first line saying how much was dropped, if anything.
    pub fn snapshot(&self) -> String {
        let Ok(l) = self.text.lock() else {
            return String::new();
        };
        if l.dropped == 0 {
            l.text.clone()
        } else {
            let head = format!("[… {} {DROPPED_NOTE_END}{}", l.dropped, l.text);
            // The byte cut may have split a secret: no piece of it survives.
            self.scrub.clean_cut(&head, DROPPED_NOTE_END)
        }
    }
}

/// `text` cut to at most `max` bytes on a character boundary.
pub(crate) fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_output_keeps_the_tail_and_counts_what_it_dropped() {
        let live = Live::new();
        assert_eq!(live.version(), 0);
        live.line("first");
        let big = "x".repeat(MAX_LIVE);
        live.push(&big);
        live.line("last");
        let s = live.snapshot();
        assert!(
            s.starts_with("[… 11 earlier bytes dropped …]\n"),
            "{}",
            &s[..40]
        );
        assert!(s.ends_with("xxlast\n"), "{}", &s[s.len() - 10..]);
        assert!(!s.contains("first"));
        assert_eq!(live.version(), 3);
        assert_eq!(cut("héllo", 2), "h");
    }
}
