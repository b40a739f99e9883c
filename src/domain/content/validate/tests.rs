//! One test per kind of broken content file; the fixtures are in `tests/fixtures/content/`.

use super::*;

fn fixture(name: &str) -> (PathBuf, String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/content")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text)
}

fn any_probe(v: &serde_json::Value) -> Result<(), String> {
    match v.get("kind").and_then(|k| k.as_str()) {
        Some(
            "host" | "http" | "tcp" | "redis" | "sql" | "command" | "prometheus" | "process"
            | "page",
        ) => Ok(()),
        Some(other) => Err(format!("unknown kind {other:?}")),
        None => Err("missing kind".into()),
    }
}

fn errors(names: &[&str]) -> Vec<String> {
    let files: Vec<_> = names.iter().map(|n| fixture(n)).collect();
    load_bundle(&files, &[], &[], Targets::MustExist, &any_probe)
        .expect_err("must be refused")
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn the_built_in_library_validates() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/content");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "toml") {
            files.push((p.clone(), std::fs::read_to_string(&p).unwrap()));
        }
    }
    files.sort();
    // The probe check `apply` uses (the probe library's parser): the wait_until probes of the
    // plans are real probe specs.
    let check_probe = |v: &serde_json::Value| {
        serde_json::from_value::<crate::probes::ProbeSpec>(v.clone())
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let b = load_bundle(&files, &[], &[], Targets::MayWait, &check_probe)
        .unwrap_or_else(|e| panic!("{e:#?}"));
    assert!(
        b.rules
            .iter()
            .any(|r| r.name == "host-cpu" && r.thresholds.window_ms == 300_000)
    );
    assert!(
        b.tasks
            .iter()
            .any(|t| t.schedule == Schedule::Every("1m".into()))
    );
    let plans: Vec<&str> = b.plans.iter().map(|p| p.name.as_str()).collect();
    for want in [
        "git-storage-failover",
        "redis-master-switch",
        "disk-log-cleanup",
        "app-restart",
        "mongodb-member-rejoin",
        "dr-switchover",
    ] {
        assert!(plans.contains(&want), "{want} missing from {plans:?}");
    }
    let danger = |name: &str| b.plans.iter().find(|p| p.name == name).unwrap().danger();
    assert_eq!(danger("git-storage-failover"), crate::domain::Danger::G3);
    assert_eq!(danger("disk-log-cleanup"), crate::domain::Danger::G2);
    assert_eq!(danger("app-restart"), crate::domain::Danger::G2);
    assert!(b.scenarios.len() >= 8);
}

#[test]
fn a_good_file_loads() {
    let b = load_bundle(
        &[fixture("good.toml")],
        &[],
        &[],
        Targets::MustExist,
        &any_probe,
    )
    .unwrap();
    assert_eq!(b.components.len(), 2);
    assert_eq!(
        b.rules[0].thresholds,
        Thresholds {
            window_ms: 300_000,
            failure_threshold: 3,
            success_threshold: 1
        }
    );
    assert_eq!(b.tasks[0].timeout_ms, 5_000);
}

#[test]
fn unknown_field_names_the_line() {
    let e = errors(&["unknown-field.toml"]);
    assert!(
        e[0].contains("unknown-field.toml:4") && e[0].contains("unknown field `conditon`"),
        "{e:?}"
    );
}

#[test]
fn bad_condition_names_the_line_and_column() {
    let e = errors(&["bad-condition.toml"]);
    assert!(
        e.iter()
            .any(|m| m.contains(":9:") && m.contains("column 7") && m.contains("operator")),
        "{e:?}"
    );
}

#[test]
fn bad_cron_and_bad_duration() {
    let e = errors(&["bad-cron.toml"]);
    assert!(e.iter().any(|m| m.contains("cron \"61 * * * *\"")), "{e:?}");
    assert!(
        e.iter()
            .any(|m| m.contains("for = \"five minutes\" is not a duration")),
        "{e:?}"
    );
}

#[test]
fn duplicate_names_point_at_both_places() {
    let e = errors(&["good.toml", "duplicate.toml"]);
    assert!(
        e.iter().any(|m| m.contains("duplicate.toml:2")
            && m.contains("duplicate component \"redis-a\"")
            && m.contains("good.toml:2")),
        "{e:?}"
    );
}

#[test]
fn dangling_selector_and_unknown_rule() {
    let e = errors(&["dangling.toml"]);
    assert!(
        e.iter()
            .any(|m| m.contains("no executable target") && m.contains("mongodb")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|m| m.contains("unknown rule \"no-such-rule\"")),
        "{e:?}"
    );
}
