//! How run statuses and verdicts read on screen: a symbol AND a style, so they read without colour
//! (`NO_COLOR`, mono theme): `✓ passed`, `✗ failed`, `! interrupted`, `◌ queued`, `▸ running`;
//! verdicts `✓ pass`, `▲ warn`, `✗ fail`, `? error`, `⊘ unreach` (cannot reach host; ASCII `/`).

use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use crate::console::glyphs::Glyphs;
use crate::console::theme::Theme;

/// The symbol of a run status.
pub fn run_symbol(status: &str, g: &Glyphs) -> &'static str {
    match status {
        "passed" => g.pass,
        "failed" => g.fail,
        "interrupted" => g.interrupted,
        "queued" => g.queued,
        "running" => g.running,
        _ => g.unknown,
    }
}

/// The style of a run status: failures stand out (bold, so they do without colour too).
pub fn run_style(status: &str, t: &Theme) -> Style {
    match status {
        "passed" => t.ok,
        "failed" => t.error.add_modifier(Modifier::BOLD),
        "interrupted" => t.warn.add_modifier(Modifier::BOLD),
        "queued" | "running" => t.key,
        _ => t.muted,
    }
}

/// `✗ failed`.
pub fn run_span(status: &str, g: &Glyphs, t: &Theme) -> Span<'static> {
    Span::styled(
        format!("{} {status}", run_symbol(status, g)),
        run_style(status, t),
    )
}

/// The symbol of a verdict.
pub fn verdict_symbol(verdict: &str, g: &Glyphs) -> &'static str {
    match verdict {
        "pass" => g.pass,
        "warn" => g.warn,
        "fail" => g.fail,
        "unreach" => g.unreachable,
        _ => g.unknown,
    }
}

/// The style of a verdict.
pub fn verdict_style(verdict: &str, t: &Theme) -> Style {
    match verdict {
        "pass" => t.ok,
        "warn" => t.warn,
        "fail" => t.error.add_modifier(Modifier::BOLD),
        // Nothing was measured: not the check's failure but the estate's, so it stands apart
        // from both a failed check (bold error) and a probe error (plain error), also in mono.
        "unreach" => t.warn.add_modifier(Modifier::BOLD | Modifier::ITALIC),
        _ => t.error,
    }
}

/// `✗ fail`; `⊘ cannot reach host` for `unreach`.
pub fn verdict_span(verdict: &str, g: &Glyphs, t: &Theme) -> Span<'static> {
    let word = match verdict {
        "unreach" => "cannot reach host",
        v => v,
    };
    Span::styled(
        format!("{} {word}", verdict_symbol(verdict, g)),
        verdict_style(verdict, t),
    )
}

/// A result's message without the words its verdict already says (`cannot reach host: `).
pub fn reason<'a>(verdict: &str, message: &'a str) -> &'a str {
    match verdict {
        "unreach" => message
            .strip_prefix("cannot reach host: ")
            .unwrap_or(message),
        _ => message,
    }
}

/// The verdicts of [`counts`], in its order.
pub const VERDICTS: [&str; 5] = ["pass", "warn", "fail", "error", "unreach"];

/// The counts of a run summary (`{"pass": 3, "warn": 0, "fail": 1, "error": 0, "unreach": 0}`;
/// `unreach` is 0 when absent, as in runs stored before it existed), or `None` when it holds
/// none (a queued run, or an engine error: `{"error": "…"}`).
pub fn counts(summary: &str) -> Option<[i64; 5]> {
    let v: serde_json::Value = serde_json::from_str(summary).ok()?;
    let n = |k: &str| v.get(k).and_then(serde_json::Value::as_i64);
    match (n("pass"), n("warn"), n("fail"), n("error")) {
        (Some(p), Some(w), Some(f), Some(e)) => Some([p, w, f, e, n("unreach").unwrap_or(0)]),
        _ => None,
    }
}

/// The engine's error in a run summary (`{"error": "task no longer exists"}`), if any.
pub fn summary_error(summary: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(summary).ok()?;
    v.get("error")?.as_str().map(str::to_owned)
}

/// A duration in a few cells: `850ms`, `4.2s`, `3m05s`, `2h10m`.
pub fn duration(ms: i64) -> String {
    let ms = ms.max(0);
    match ms {
        0..=999 => format!("{ms}ms"),
        1_000..=59_999 => format!("{:.1}s", ms as f64 / 1000.0),
        60_000..=3_599_999 => format!("{}m{:02}s", ms / 60_000, ms % 60_000 / 1000),
        _ => format!("{}h{:02}m", ms / 3_600_000, ms % 3_600_000 / 60_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_and_durations() {
        assert_eq!(
            counts(r#"{"pass":3,"warn":0,"fail":1,"error":0}"#),
            Some([3, 0, 1, 0, 0])
        );
        assert_eq!(
            counts(r#"{"pass":3,"warn":0,"fail":1,"error":0,"unreach":2}"#),
            Some([3, 0, 1, 0, 2])
        );
        assert_eq!(counts("{}"), None);
        assert_eq!(counts(r#"{"error":"task no longer exists"}"#), None);
        assert_eq!(
            summary_error(r#"{"error":"task no longer exists"}"#).as_deref(),
            Some("task no longer exists")
        );
        assert_eq!(summary_error(r#"{"pass":1,"error":0}"#), None);
        assert_eq!(duration(850), "850ms");
        assert_eq!(duration(4_249), "4.2s");
        assert_eq!(duration(185_000), "3m05s");
        assert_eq!(duration(7_800_000), "2h10m");
    }

    #[test]
    fn every_status_and_verdict_has_its_own_symbol() {
        for g in [Glyphs::UNICODE, Glyphs::ASCII] {
            let runs: Vec<&str> = ["passed", "failed", "interrupted", "queued", "running"]
                .iter()
                .map(|s| run_symbol(s, &g))
                .collect();
            let verdicts: Vec<&str> = VERDICTS.iter().map(|v| verdict_symbol(v, &g)).collect();
            for set in [runs, verdicts] {
                let mut unique = set.clone();
                unique.sort_unstable();
                unique.dedup();
                assert_eq!(unique.len(), set.len(), "{set:?}");
            }
        }
    }
}
