//! `nightwatch apply` / `export` from outside: bad content is refused whole with file, line and
//! reason; good content lands; export round-trips; the built-in library is there from the start.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use common::Sandbox;

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/content/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn builtin_library_is_applied_on_first_start() {
    let sb = Sandbox::new();
    let (ok, text) = sb.run(&["export"]);
    assert!(ok, "{text}");
    assert!(
        text.contains("name = \"local-host\""),
        "the local host is a component: {text}"
    );
    assert!(
        text.contains("name = \"host-cpu\"") && text.contains("for = \"5m\""),
        "{text}"
    );
    assert!(
        text.contains("name = \"host-basics\"") && text.contains("every = \"1m\""),
        "{text}"
    );
    assert!(
        text.contains("name = \"redis-replication\""),
        "templates for stateful components: {text}"
    );
}

#[test]
fn good_content_applies_and_export_round_trips() {
    let sb = Sandbox::new();
    let (ok, text) = sb.run(&["apply", &fixture("good.toml"), "--dry-run"]);
    assert!(
        ok && text.contains("+ rule redis-replicas") && text.contains("would apply: 4 added"),
        "{text}"
    );
    let (_, export) = sb.run(&["export"]);
    assert!(!export.contains("redis-replicas"), "dry-run wrote nothing");
    let (ok, text) = sb.run(&["apply", &fixture("good.toml")]);
    assert!(ok && text.contains("applied: 4 added"), "{text}");
    let (ok, text) = sb.run(&["apply", &fixture("good.toml")]);
    assert!(
        ok && text.contains("0 added, 0 changed"),
        "idempotent: {text}"
    );
    let exported = sb.dir.path().join("all.toml");
    let (_, export) = sb.run(&["export"]);
    std::fs::write(&exported, export).unwrap();
    let (ok, text) = sb.run(&["apply", exported.to_str().unwrap(), "--dry-run"]);
    assert!(
        ok && text.contains("0 added, 0 changed"),
        "export is what apply reads back: {text}"
    );
}

#[test]
fn bad_content_is_refused_whole_with_file_line_and_reason() {
    let sb = Sandbox::new();
    let cases = [
        (
            "unknown-field.toml",
            "unknown-field.toml:4: unknown field `conditon`",
        ),
        (
            "bad-condition.toml",
            "bad-condition.toml:9: rule \"cpu\": condition \"[CPU] = 80\": column 7",
        ),
        ("bad-cron.toml", "cron \"61 * * * *\""),
        ("dangling.toml", "no executable target"),
    ];
    for (file, expected) in cases {
        // Each bad file is applied together with a good one: nothing of either may land.
        let (ok, text) = sb.run(&["apply", &fixture("good.toml"), &fixture(file)]);
        assert!(!ok, "{file} must be refused");
        assert!(
            text.contains(expected),
            "{file}: expected {expected:?} in {text}"
        );
        assert!(text.contains("nothing applied"), "{text}");
    }
    let (ok, text) = sb.run(&["apply", &fixture("good.toml"), &fixture("duplicate.toml")]);
    assert!(
        !ok && text.contains("duplicate component \"redis-a\""),
        "{text}"
    );
    let (_, export) = sb.run(&["export"]);
    assert!(
        !export.contains("redis-a") && !export.contains("redis-replicas"),
        "nothing applied: {export}"
    );
}
