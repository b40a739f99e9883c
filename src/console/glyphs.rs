//! Symbols and border sets, Unicode or ASCII. ASCII is chosen when `console.ascii` is on, or when it
//! is `auto` and the locale is not UTF-8 (a jump host with `LANG=C` garbles box drawing).

use ratatui::symbols::border;

use crate::settings::AsciiMode;

/// The characters the console draws with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Glyphs {
    /// Block borders.
    pub border: border::Set<'static>,
    /// An alive instance / healthy thing.
    pub alive: &'static str,
    /// A dead or stale one.
    pub dead: &'static str,
    /// A warning.
    pub warn: &'static str,
    /// An error.
    pub error: &'static str,
    /// Marks the selected row.
    pub selected: &'static str,
    /// Text was cut.
    pub ellipsis: &'static str,
    /// Separates status bar segments.
    pub sep: &'static str,
    /// Marks a P0.
    pub critical: &'static str,
    /// One cell of a bar chart.
    pub bar: &'static str,
    /// A marked row (bulk actions).
    pub mark: &'static str,
    /// Sorted ascending / descending (table headers).
    pub ascending: &'static str,
    /// Sorted descending.
    pub descending: &'static str,
    /// An event that flips state often.
    pub flapping: &'static str,
    /// An inspection check passed / a run passed.
    pub pass: &'static str,
    /// A check failed / a run failed.
    pub fail: &'static str,
    /// A check could not be judged (the probe errored).
    pub unknown: &'static str,
    /// A check could not reach its target's host ("cannot reach host").
    pub unreachable: &'static str,
    /// A run whose engine died (its lease expired).
    pub interrupted: &'static str,
    /// A run waiting for an engine.
    pub queued: &'static str,
    /// A run under way.
    pub running: &'static str,
}

/// Box drawing with plain ASCII.
pub const ASCII_BORDER: border::Set<'static> = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

impl Glyphs {
    /// Unicode symbols and rounded-free plain borders.
    pub const UNICODE: Glyphs = Glyphs {
        border: border::PLAIN,
        alive: "●",
        dead: "○",
        warn: "▲",
        error: "✗",
        selected: "▶",
        ellipsis: "…",
        sep: "│",
        critical: "▲",
        bar: "■",
        mark: "✓",
        ascending: "↑",
        descending: "↓",
        flapping: "↯",
        pass: "✓",
        fail: "✗",
        unknown: "?",
        unreachable: "⊘",
        interrupted: "!",
        queued: "◌",
        running: "▸",
    };

    /// ASCII only.
    pub const ASCII: Glyphs = Glyphs {
        border: ASCII_BORDER,
        alive: "*",
        dead: "o",
        warn: "!",
        error: "x",
        selected: ">",
        ellipsis: "~",
        sep: "|",
        critical: "!",
        bar: "#",
        mark: "+",
        ascending: "^",
        descending: "v",
        flapping: "~",
        pass: "+",
        fail: "x",
        unknown: "?",
        unreachable: "/",
        interrupted: "!",
        queued: ".",
        running: ">",
    };

    /// Pick by setting and locale (`lookup` reads an environment variable; injected for tests).
    pub fn choose(mode: AsciiMode, lookup: impl Fn(&str) -> Option<String>) -> Glyphs {
        let ascii = match mode {
            AsciiMode::On => true,
            AsciiMode::Off => false,
            AsciiMode::Auto => !locale_is_utf8(lookup),
        };
        if ascii {
            Glyphs::ASCII
        } else {
            Glyphs::UNICODE
        }
    }
}

/// The ASCII stand-in for a symbol drawn by a pane's own text (`·`, `×`, `─`, arrows …), so an
/// ASCII console shows no byte above 0x7f whatever a pane wrote. Anything unknown becomes `?`.
pub fn ascii_of(symbol: &str) -> &'static str {
    match symbol {
        "·" | "•" => ".",
        "×" | "✗" | "✘" => "x",
        "─" | "━" | "–" | "—" | "┄" => "-",
        "│" | "┃" | "┆" => "|",
        "┌" | "┐" | "└" | "┘" | "├" | "┤" | "┬" | "┴" | "┼" => "+",
        "→" | "▶" | "►" | "›" => ">",
        "←" | "◀" | "‹" => "<",
        "↑" | "▲" | "△" => "^",
        "↓" | "▼" | "▽" => "v",
        "…" => "~",
        "●" | "◉" => "*",
        "○" | "◌" => "o",
        "⊘" => "/",
        "✓" | "✔" => "+",
        "■" | "█" | "▇" | "▆" | "▅" | "▄" | "▃" | "▂" | "▁" => "#",
        "≥" => ">",
        "≤" => "<",
        _ => "?",
    }
}

/// POSIX precedence: the first non-empty of LC_ALL, LC_CTYPE, LANG decides.
fn locale_is_utf8(lookup: impl Fn(&str) -> Option<String>) -> bool {
    ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|v| lookup(v).filter(|s| !s.is_empty()))
        .is_some_and(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("utf-8") || l.contains("utf8")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn follows_the_locale_in_auto_mode() {
        assert_eq!(
            Glyphs::choose(AsciiMode::Auto, env(&[("LANG", "en_US.UTF-8")])),
            Glyphs::UNICODE
        );
        assert_eq!(
            Glyphs::choose(AsciiMode::Auto, env(&[("LANG", "C")])),
            Glyphs::ASCII
        );
        assert_eq!(
            Glyphs::choose(
                AsciiMode::Auto,
                env(&[("LC_ALL", "C"), ("LANG", "en_US.utf8")])
            ),
            Glyphs::ASCII,
            "LC_ALL wins"
        );
        assert_eq!(Glyphs::choose(AsciiMode::Auto, env(&[])), Glyphs::ASCII);
        assert_eq!(Glyphs::choose(AsciiMode::Off, env(&[])), Glyphs::UNICODE);
        assert_eq!(
            Glyphs::choose(AsciiMode::On, env(&[("LANG", "C.UTF-8")])),
            Glyphs::ASCII
        );
    }
}
