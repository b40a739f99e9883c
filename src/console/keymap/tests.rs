//! Key map tests: the built-in file, overlays and the messages for broken user files.

use super::*;

fn key(s: &str) -> Key {
    Key::parse(s).unwrap()
}

#[test]
fn builtin_parses_and_covers_every_mode() {
    let map = Keymap::parse(BUILTIN, "built-in").unwrap();
    for mode in Mode::iter() {
        assert!(!map.bindings(mode).is_empty(), "no bindings for {mode}");
    }
    assert_eq!(map.lookup(Mode::Normal, key("j")), Some(&Action::Down));
    assert_eq!(map.lookup(Mode::Normal, key("ctrl-c")), Some(&Action::Exit));
    assert_eq!(
        map.lookup(Mode::Command, key("tab")),
        Some(&Action::Complete)
    );
}

#[test]
fn builtin_binds_no_destructive_action_to_a_bare_ctrl_letter() {
    let map = Keymap::builtin();
    for b in map
        .bindings(Mode::Confirm)
        .iter()
        .chain(map.bindings(Mode::ConfirmInput))
    {
        if matches!(b.action, Action::Yes | Action::Submit) {
            assert!(!b.keys.iter().any(Key::is_ctrl_letter), "{b:?}");
        }
    }
}

#[test]
fn user_entries_take_their_keys_from_builtin_ones() {
    let user = Keymap::parse("normal = [ { on = \"j\", run = \"bottom\" } ]", "user").unwrap();
    let map = Keymap::builtin().overlay(user);
    assert_eq!(map.lookup(Mode::Normal, key("j")), Some(&Action::Bottom));
    assert_eq!(
        map.lookup(Mode::Normal, key("down")),
        Some(&Action::Down),
        "other keys stay"
    );
    assert_eq!(map.lookup(Mode::Normal, key("q")), Some(&Action::Quit));
}

#[test]
fn unknown_action_names_file_entry_and_fix() {
    let text = include_str!("../fixtures/keymap_unknown_action.toml");
    let err = Keymap::parse(text, "/home/op/.config/nightwatch/keymap.toml").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("key map /home/op/.config/nightwatch/keymap.toml: "),
        "{msg}"
    );
    assert!(msg.contains("[normal] entry 2"), "{msg}");
    assert!(
        msg.contains("unknown action \"dwon\" for on = \"x\""),
        "{msg}"
    );
    assert!(msg.contains("did you mean \"down\""), "{msg}");
}

#[test]
fn a_ctrl_letter_may_not_confirm() {
    let text = include_str!("../fixtures/keymap_ctrl_confirm.toml");
    let msg = Keymap::parse(text, "k.toml").unwrap_err().to_string();
    assert!(
        msg.contains("[confirm] entry 1: \"ctrl-y\" may not confirm"),
        "{msg}"
    );
}

#[test]
fn other_mistakes_have_clear_messages() {
    let cases = [
        ("normal = [", "not valid TOML"),
        (
            "nromal = []",
            "unknown mode [nromal] (did you mean \"normal\"?)",
        ),
        ("normal = 3", "`normal` must be a list of entries"),
        (
            "normal = [ { on = \"jj\", run = \"down\" } ]",
            "unknown key \"jj\"",
        ),
        ("normal = [ { run = \"down\" } ]", "`on` is missing"),
        (
            "normal = [ { on = \"j\" } ]",
            "`run` is missing for on = \"j\"",
        ),
        (
            "normal = [ { on = \"j\", run = \"down\", dsc = \"x\" } ]",
            "unknown field `dsc`",
        ),
    ];
    for (text, want) in cases {
        let msg = Keymap::parse(text, "k.toml").unwrap_err().to_string();
        assert!(msg.contains(want), "{text:?} gave {msg:?}, want {want:?}");
    }
}
