//! The `:` command line: the commands, their parsing, and Tab completion.
//!
//! Pure functions over the typed text; `app/prompt.rs` turns a parsed [`Command`] into actions.

use strum::IntoEnumIterator;

use super::suggest::{did_you_mean, nearest};
use super::tab::Tab;

/// A command the `:` line understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `:overview`, `:events`, …: show a tab.
    Show(Tab),
    /// `:help`.
    Help,
    /// `:quit` / `:q`.
    Quit,
    /// `:theme NAME`.
    Theme(String),
    /// `:refresh`.
    Refresh,
    /// `:filter TEXT` (same as `/TEXT`; `:filter` alone clears).
    Filter(String),
    /// `:config KEY`: show one configuration key.
    ConfigKey(String),
    /// `:settings`: the console's own settings in effect.
    Settings,
    /// `:event N`: open event N's detail.
    Event(i64),
    /// `:event` alone: the newest unacknowledged P0/P1 event (as `!`).
    Urgent,
}

/// Every command: name, argument hint, description (for completion and the help).
pub const COMMANDS: &[(&str, &str, &str)] = &[
    ("overview", "", "Show the Overview"),
    ("events", "", "Show risk events"),
    ("dr", "", "Show the DR dashboard"),
    ("inspections", "", "Show inspections"),
    ("plans", "", "Show plan runs"),
    ("config", "[KEY]", "Show configuration (or one key's value)"),
    ("settings", "", "The console's own settings in effect"),
    (
        "event",
        "[ID]",
        "Open event ID (alone: the newest unacknowledged P0/P1, as !)",
    ),
    ("help", "", "Open the help"),
    ("quit", "", "Quit (also :q)"),
    ("theme", "NAME", "Switch theme"),
    ("refresh", "", "Reload the data now"),
    ("filter", "TEXT", "Filter the current table (empty clears)"),
];

/// Parse a command line (without the leading `:`). `themes` are the known theme names.
pub fn parse(line: &str, themes: &[String]) -> Result<Command, String> {
    let line = line.trim();
    let (name, arg) = line
        .split_once(' ')
        .map_or((line, ""), |(n, a)| (n, a.trim()));
    let no_arg = |c: Command| {
        if arg.is_empty() {
            Ok(c)
        } else {
            Err(format!(":{name} takes no argument (got \"{arg}\")"))
        }
    };
    match name {
        "" => Err("empty command; try :help".to_owned()),
        "help" => no_arg(Command::Help),
        "quit" | "q" => no_arg(Command::Quit),
        "refresh" => no_arg(Command::Refresh),
        "settings" => no_arg(Command::Settings),
        "config" if !arg.is_empty() => Ok(Command::ConfigKey(arg.to_owned())),
        "filter" => Ok(Command::Filter(arg.to_owned())),
        "event" if arg.is_empty() => Ok(Command::Urgent),
        "event" => arg
            .trim_start_matches('#')
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(Command::Event)
            .ok_or_else(|| format!(":event takes an event id, a number like 42 (got \"{arg}\")")),
        "theme" if arg.is_empty() => Err(format!(":theme needs a name: {}", themes.join(", "))),
        "theme" if themes.iter().any(|t| t == arg) => Ok(Command::Theme(arg.to_owned())),
        "theme" => Err(format!(
            "unknown theme \"{arg}\"{}; themes are: {}",
            did_you_mean(arg, themes.iter().map(String::as_str)),
            themes.join(", ")
        )),
        _ => match Tab::iter().find(|t| t.command() == name) {
            Some(tab) => no_arg(Command::Show(tab)),
            None => {
                let hint = nearest(name, COMMANDS.iter().map(|(n, ..)| *n))
                    .map(|c| format!(" (did you mean :{c}?)"))
                    .unwrap_or_default();
                Err(format!("unknown command :{name}{hint}"))
            }
        },
    }
}

/// The result of pressing Tab: the new line, and the candidates when several remain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The line after completion.
    pub line: String,
    /// What still matches (empty when the completion was unique or nothing matched).
    pub candidates: Vec<String>,
}

/// Complete the command name, or the argument of `:theme`.
pub fn complete(line: &str, themes: &[String]) -> Completion {
    match line.split_once(' ') {
        None => {
            let names: Vec<&str> = COMMANDS.iter().map(|(n, ..)| *n).collect();
            complete_word(line, &names, "", |n| {
                COMMANDS
                    .iter()
                    .any(|(c, arg, _)| *c == n && !arg.is_empty())
            })
        }
        Some(("theme", arg)) => {
            let names: Vec<&str> = themes.iter().map(String::as_str).collect();
            complete_word(arg.trim_start(), &names, "theme ", |_| false)
        }
        Some(_) => Completion {
            line: line.to_owned(),
            candidates: Vec::new(),
        },
    }
}

fn complete_word(
    word: &str,
    names: &[&str],
    prefix: &str,
    takes_arg: impl Fn(&str) -> bool,
) -> Completion {
    let hits: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| n.starts_with(word))
        .collect();
    match hits.as_slice() {
        [] => Completion {
            line: format!("{prefix}{word}"),
            candidates: Vec::new(),
        },
        [one] => {
            let space = if takes_arg(one) { " " } else { "" };
            Completion {
                line: format!("{prefix}{one}{space}"),
                candidates: Vec::new(),
            }
        }
        many => {
            let common = many.iter().skip(1).fold(many[0].to_owned(), |acc, n| {
                acc.chars()
                    .zip(n.chars())
                    .take_while(|(a, b)| a == b)
                    .map(|(a, _)| a)
                    .collect()
            });
            Completion {
                line: format!("{prefix}{common}"),
                candidates: many.iter().map(|s| (*s).to_owned()).collect(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn themes() -> Vec<String> {
        ["default", "light", "high-contrast", "mono"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn parses_commands() {
        assert_eq!(parse("events", &themes()), Ok(Command::Show(Tab::Events)));
        assert_eq!(parse(" q ", &themes()), Ok(Command::Quit));
        assert_eq!(
            parse("theme light", &themes()),
            Ok(Command::Theme("light".into()))
        );
        assert_eq!(
            parse("filter role:engine", &themes()),
            Ok(Command::Filter("role:engine".into()))
        );
    }

    #[test]
    fn errors_name_the_command_and_suggest() {
        assert_eq!(
            parse("evnts", &themes()),
            Err("unknown command :evnts (did you mean :events?)".into())
        );
        assert_eq!(
            parse("xyzzyq", &themes()),
            Err("unknown command :xyzzyq".into())
        );
        let e = parse("theme lihgt", &themes()).unwrap_err();
        assert!(
            e.contains("unknown theme \"lihgt\" (did you mean \"light\"?)"),
            "{e}"
        );
        assert!(
            parse("help me", &themes())
                .unwrap_err()
                .contains("takes no argument")
        );
    }

    #[test]
    fn completes_names_and_arguments() {
        let c = complete("ins", &themes());
        assert_eq!((c.line.as_str(), c.candidates.len()), ("inspections", 0));
        let c = complete("ev", &themes());
        assert_eq!((c.line.as_str(), c.candidates.len()), ("event", 2));
        let c = complete("th", &themes());
        assert_eq!(c.line, "theme ", "commands with an argument get a space");
        let c = complete("theme h", &themes());
        assert_eq!(c.line, "theme high-contrast");
        let c = complete("", &themes());
        assert_eq!(c.candidates.len(), COMMANDS.len());
        let c = complete("theme ", &themes());
        assert_eq!(c.candidates, themes());
        let c = complete("zz", &themes());
        assert_eq!((c.line.as_str(), c.candidates.len()), ("zz", 0));
    }
}
