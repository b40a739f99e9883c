//! One test per kind of broken config file (fixtures in `tests/fixtures/config/`), plus layering.

use super::*;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

fn paths() -> Paths {
    let base = PathBuf::from("/nonexistent/nightwatch-test");
    Paths {
        config_dir: base.join("c"),
        data_dir: base.join("d"),
        state_dir: base.join("s"),
    }
}

fn load_fixture(name: &str) -> Result<Settings, SettingsError> {
    let o = Overrides {
        config: Some(fixture(name)),
        ..Overrides::default()
    };
    load_with(&o, paths(), &|_| None)
}

fn message(name: &str) -> String {
    load_fixture(name)
        .expect_err("fixture must be refused")
        .to_string()
}

#[test]
fn example_config_is_valid_and_equals_the_defaults() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let parsed = from_file(&path).unwrap();
    assert_eq!(
        parsed,
        Settings::default(),
        "config.example.toml must document the defaults"
    );
}

#[test]
fn missing_default_file_means_defaults() {
    let s = load_with(&Overrides::default(), paths(), &|_| None).unwrap();
    assert_eq!(s.console.refresh_ms, 1000);
    assert_eq!(s.engine.listen.to_string(), "127.0.0.1:9797");
    assert!(
        s.database_url()
            .starts_with("sqlite:///nonexistent/nightwatch-test/d/nightwatch.db")
    );
    assert!(s.is_embedded_sqlite());
}

#[test]
fn explicit_config_that_does_not_exist_is_an_error() {
    let text = message("no-such-file.toml");
    assert!(
        text.contains("no-such-file.toml") && text.contains("cannot read"),
        "{text}"
    );
}

#[test]
fn syntax_error_names_file_line_and_column() {
    let text = message("syntax-error.toml");
    assert!(text.contains("syntax-error.toml"), "{text}");
    assert!(text.contains("line 3"), "{text}");
}

#[test]
fn unknown_key_names_the_key_and_the_known_ones() {
    let text = message("unknown-key.toml");
    assert!(text.contains("unknown-key.toml"), "{text}");
    assert!(
        text.contains("console.refrsh_ms") || text.contains("refrsh_ms"),
        "{text}"
    );
    assert!(
        text.contains("refresh_ms"),
        "must list what is expected: {text}"
    );
}

#[test]
fn wrong_type_names_the_key_line_and_expected_type() {
    let text = message("wrong-type.toml");
    assert!(text.contains("key `console.refresh_ms`"), "{text}");
    assert!(text.contains("line 2"), "{text}");
    assert!(text.contains("u64") || text.contains("integer"), "{text}");
}

#[test]
fn bad_enum_value_lists_the_choices() {
    let text = message("bad-engine-mode.toml");
    assert!(text.contains("key `engine.mode`"), "{text}");
    assert!(text.contains("`auto`") && text.contains("`off`"), "{text}");
}

#[test]
fn bad_listen_address_is_named() {
    let text = message("bad-listen.toml");
    assert!(text.contains("key `engine.listen`"), "{text}");
    assert!(text.contains("socket address"), "{text}");
}

#[test]
fn out_of_range_value_says_the_range() {
    let text = message("refresh-too-small.toml");
    assert!(
        text.contains("console.refresh_ms") && text.contains("between 50"),
        "{text}"
    );
}

#[test]
fn bad_database_scheme_is_refused_with_the_password_masked() {
    let text = message("bad-database-url.toml");
    assert!(
        text.contains("database.url") && text.contains("postgres://"),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "password must be masked: {text}");
}

#[test]
fn layers_stack_file_then_env_then_flags() {
    let o = Overrides {
        config: Some(fixture("layering.toml")),
        refresh_ms: Some(300),
        ..Overrides::default()
    };
    let env = |k: &str| match k {
        "NIGHTWATCH_ENGINE_MODE" => Some("on".to_owned()),
        "NIGHTWATCH_CONSOLE_REFRESH_MS" => Some("700".to_owned()),
        _ => None,
    };
    let s = load_with(&o, paths(), &env).unwrap();
    assert_eq!(s.console.theme, "light", "file layer");
    assert_eq!(
        s.engine.mode,
        EngineMode::On,
        "env beats file (file says off)"
    );
    assert_eq!(s.console.refresh_ms, 300, "flag beats env and file");
    assert_eq!(s.source, Some(fixture("layering.toml")));
}
