//! Theme tests: built-ins are complete and 16-colour; user overlays; broken files.

use ratatui::style::{Color, Modifier};

use super::spec::ANSI;
use super::*;

fn colours(t: &Theme) -> Vec<Color> {
    let mut out = Vec::new();
    for slot in SLOTS {
        let mut t = t.clone();
        if let Some(s) = t.slot_mut(slot) {
            out.extend(s.fg);
            out.extend(s.bg);
        }
    }
    out
}

#[test]
fn builtins_set_every_slot_with_ansi_colours_only() {
    for (name, text) in BUILTIN {
        let theme = Theme::builtin(name).unwrap_or_else(|| panic!("{name} does not parse"));
        let table: toml::Table = text.parse().unwrap();
        for slot in SLOTS {
            assert!(table.contains_key(*slot), "{name} lacks slot {slot}");
        }
        for c in colours(&theme) {
            assert!(
                ANSI.iter().any(|(_, a)| *a == c),
                "{name} uses {c:?}, not one of the 16"
            );
        }
    }
}

#[test]
fn mono_has_no_colour() {
    let mono = Theme::builtin("mono").unwrap();
    assert!(colours(&mono).iter().all(|c| *c == Color::Reset));
    assert!(mono.level[0].add_modifier.contains(Modifier::REVERSED));
}

#[test]
fn user_theme_overrides_some_slots() {
    let t = Theme::parse_user("mine", "[status]\nok = { fg = \"#00ff00\" }", "t.toml").unwrap();
    assert_eq!(t.ok.fg, Some(Color::Rgb(0, 255, 0)));
    assert_eq!(
        t.error,
        Theme::default_theme().error,
        "unset slots come from default"
    );
    assert_eq!(t.name, "mine");
}

#[test]
fn broken_theme_messages_quote_the_value() {
    let text = include_str!("../fixtures/theme_bad_colour.toml");
    let msg = Theme::parse_user("mine", text, "/cfg/themes/mine.toml")
        .unwrap_err()
        .to_string();
    assert!(
        msg.starts_with("theme /cfg/themes/mine.toml: slot `status.ok`"),
        "{msg}"
    );
    assert!(
        msg.contains("unknown colour \"gren\" (did you mean \"green\"?)"),
        "{msg}"
    );
    let cases = [
        (
            "statu.ok = { fg = \"red\" }",
            "unknown slot `statu.ok` (did you mean \"status.ok\"?)",
        ),
        ("text = 3", "`text` = 3 is not a style"),
        (
            "text = { modifiers = [\"blink\"] }",
            "unknown modifier \"blink\"",
        ),
        ("text = {", "not valid TOML"),
    ];
    for (text, want) in cases {
        let msg = Theme::parse_user("x", text, "t.toml")
            .unwrap_err()
            .to_string();
        assert!(msg.contains(want), "{text:?} gave {msg:?}");
    }
}
