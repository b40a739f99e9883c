//! Loading user files: overrides work, broken ones fall back to the built-ins with a warning.

use super::*;

fn settings(dir: &Path) -> Settings {
    let mut s = Settings::default();
    s.paths.config_dir = dir.to_path_buf();
    s
}

fn no_env(_: &str) -> Option<String> {
    None
}

#[test]
fn defaults_without_user_files() {
    let dir = tempfile::tempdir().unwrap();
    let c = load(&settings(dir.path()), "a".into(), no_env);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(c.theme.name, "default");
    assert_eq!(c.themes, vec!["default", "light", "high-contrast", "mono"]);
    assert_eq!(c.instances_view.name, "instances");
    assert_eq!(
        c.glyphs,
        Glyphs::ASCII,
        "no UTF-8 locale in the injected env"
    );
}

#[test]
fn broken_user_keymap_keeps_the_builtin_and_warns() {
    let dir = tempfile::tempdir().unwrap();
    let text = include_str!("../fixtures/keymap_unknown_action.toml");
    std::fs::write(dir.path().join("keymap.toml"), text).unwrap();
    let c = load(&settings(dir.path()), "a".into(), no_env);
    assert_eq!(c.keymap, Keymap::builtin());
    assert_eq!(c.warnings.len(), 1);
    let w = &c.warnings[0];
    assert!(
        w.contains(&dir.path().join("keymap.toml").display().to_string()),
        "{w}"
    );
    assert!(
        w.contains("[normal] entry 2: unknown action \"dwon\""),
        "{w}"
    );
    assert!(w.ends_with("(using the built-in key map)"), "{w}");
}

#[test]
fn user_theme_view_and_no_color() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("themes")).unwrap();
    std::fs::create_dir_all(dir.path().join("views")).unwrap();
    std::fs::write(
        dir.path().join("themes/ocean.toml"),
        "text = { fg = \"blue\" }",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("views/instances.toml"),
        "[[columns]]\nid = \"host\"\n",
    )
    .unwrap();
    let mut s = settings(dir.path());
    s.console.theme = "ocean".into();
    let c = load(&s, "a".into(), no_env);
    assert_eq!(c.theme.name, "ocean");
    assert!(c.themes.contains(&"ocean".to_owned()));
    assert_eq!(c.instances_view.columns.len(), 1);
    let c = load(&s, "a".into(), |k| {
        (k == "NO_COLOR").then(|| "1".to_owned())
    });
    assert_eq!(c.theme.name, "mono");
    let c = load(&s, "a".into(), |k| (k == "NO_COLOR").then(String::new));
    assert_eq!(c.theme.name, "ocean", "an empty NO_COLOR does not count");
}

#[test]
fn unknown_theme_falls_back_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings(dir.path());
    s.console.theme = "neon".into();
    let c = load(&s, "a".into(), no_env);
    assert_eq!(c.theme.name, "default");
    assert!(
        c.warnings[0].starts_with("no theme \"neon\""),
        "{:?}",
        c.warnings
    );
}
