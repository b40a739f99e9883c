//! `nightwatch config …` from outside, on the embedded SQLite: every kind of bad input gets a clear
//! message and saves nothing; secrets never reach stdout, exports or the log file.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use std::io::Write as _;
use std::process::{Output, Stdio};

use common::Sandbox;

const SECRET: &str = "s3cr3t-value-that-must-not-leak";

fn run(sb: &Sandbox, args: &[&str]) -> Output {
    sb.command()
        .args(args)
        .env("USER", "tester")
        .output()
        .unwrap()
}

fn run_stdin(sb: &Sandbox, args: &[&str], input: &str) -> Output {
    let mut child = sb
        .command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// This process's account (the actor of the audit, whatever `USER` says).
fn account() -> String {
    let o = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn versions(sb: &Sandbox, key: &str) -> usize {
    let o = run(sb, &["config", "history", key, "-o", "json"]);
    serde_json::from_slice::<Vec<serde_json::Value>>(&o.stdout)
        .unwrap()
        .len()
}

#[test]
fn set_history_rollback_and_json_listing() {
    let sb = Sandbox::new();
    let o = run(
        &sb,
        &[
            "config",
            "set",
            "YUNYOU_VERSION",
            "4.4.2",
            "--reason",
            "upgrade",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let file = sb.dir.path().join("v.json");
    std::fs::write(&file, "\"4.5.0\"").unwrap();
    let at = format!("@{}", file.display());
    assert!(
        run(
            &sb,
            &[
                "config",
                "set",
                "YUNYOU_VERSION",
                &at,
                "--reason",
                "from file"
            ]
        )
        .status
        .success()
    );
    let o = run_stdin(
        &sb,
        &["config", "set", "WEB_PROTOCOL", "-", "--reason", "stdin"],
        "HTTP\n",
    );
    assert!(o.status.success(), "{}", text(&o));

    let o = run(
        &sb,
        &[
            "config",
            "rollback",
            "YUNYOU_VERSION",
            "1",
            "--reason",
            "revert",
        ],
    );
    assert!(text(&o).contains("saved version 3"), "{}", text(&o));
    let list: Vec<serde_json::Value> =
        serde_json::from_slice(&run(&sb, &["config", "list", "-o", "json"]).stdout).unwrap();
    let yv = list.iter().find(|v| v["key"] == "YUNYOU_VERSION").unwrap();
    assert_eq!(
        (
            yv["value"].as_str(),
            yv["version"].as_i64(),
            yv["state"].as_str()
        ),
        (Some("4.4.2"), Some(3), Some("modified"))
    );
    let wp = list.iter().find(|v| v["key"] == "WEB_PROTOCOL").unwrap();
    assert_eq!(wp["value"], "HTTP");
    assert_eq!(
        list.iter().filter(|v| v["group"] == "switch").count(),
        14,
        "every switch listed"
    );
    let h = run(&sb, &["config", "history", "YUNYOU_VERSION"]);
    assert!(
        text(&h).contains("v3")
            && text(&h).contains("rollback to v1: revert")
            && text(&h).contains(&format!("{}@", account()))
            && !text(&h).contains("tester@"),
        "{}",
        text(&h)
    );
}

#[test]
fn bad_input_is_refused_clearly_and_nothing_is_saved() {
    let sb = Sandbox::new();
    let huge = sb.dir.path().join("huge.json");
    std::fs::write(&huge, format!("\"{}\"", "x".repeat(1024 * 1024 + 10))).unwrap();
    let huge_arg = format!("@{}", huge.display());
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "config",
                "set",
                "RISK_DASHBOARD_CONFIG",
                "{\"bizMap\": {",
                "--reason",
                "r",
            ],
            "JSON syntax error at line 1",
        ),
        (
            vec![
                "config",
                "set",
                "RISK_DASHBOARD_CONFIG",
                r#"{"riskLevelMap":{"P1":1}}"#,
                "--reason",
                "r",
            ],
            "/riskLevelMap/P1",
        ),
        (
            vec![
                "config",
                "set",
                "META_SYNC_INTERVAL",
                "true",
                "--reason",
                "r",
            ],
            "integer",
        ),
        (
            vec!["config", "set", "KUBE_CONFIG", &huge_arg, "--reason", "r"],
            "1 MiB",
        ),
        (
            vec!["config", "set", "YUNYOU_VERSON", "4.4.2", "--reason", "r"],
            "did you mean YUNYOU_VERSION",
        ),
        (
            vec!["config", "get", "rms_confg"],
            "did you mean RMS_CONFIG",
        ),
        (vec!["config", "set", "WEB_POSTFIX", "x"], "--reason"),
        (
            vec!["config", "rollback", "YUNYOU_VERSION", "4", "--reason", "r"],
            "no version 4",
        ),
        (
            vec![
                "config",
                "set",
                "WEB_POSTFIX",
                "x",
                "--reason",
                "r",
                "--base-version",
                "5",
            ],
            "changed meanwhile",
        ),
        (
            vec![
                "--read-only",
                "config",
                "set",
                "WEB_POSTFIX",
                "x",
                "--reason",
                "r",
            ],
            "read-only",
        ),
    ];
    // The read-only case needs the database to exist.
    assert!(run(&sb, &["migrate"]).status.success());
    for (args, expected) in cases {
        let o = run(&sb, &args);
        assert!(!o.status.success(), "{args:?} must fail");
        let t = text(&o);
        assert!(
            t.contains(expected),
            "{args:?}: expected {expected:?} in {t}"
        );
        assert_eq!(
            String::from_utf8_lossy(&o.stderr).trim().lines().count(),
            1,
            "one clear line: {t}"
        );
    }
    for key in [
        "RISK_DASHBOARD_CONFIG",
        "META_SYNC_INTERVAL",
        "KUBE_CONFIG",
        "YUNYOU_VERSION",
        "WEB_POSTFIX",
    ] {
        assert_eq!(versions(&sb, key), 0, "{key}: nothing saved");
    }
}

#[test]
fn secrets_never_reach_stdout_exports_or_logs_unless_revealed() {
    let sb = Sandbox::new();
    let value = format!(
        r#"{{"iamUser": "admin", "iamUserPassword": "{SECRET}", "iamUserDescPassword": ""}}"#
    );
    let o = run(
        &sb,
        &[
            "config",
            "set",
            "IAM_CONFIG",
            &value,
            "--reason",
            "page probes",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let export = sb.dir.path().join("export.json");
    let outputs = [
        run(&sb, &["config", "get", "IAM_CONFIG"]),
        run(&sb, &["config", "get", "IAM_CONFIG", "-o", "json"]),
        run(&sb, &["config", "list", "-o", "json"]),
        run(&sb, &["config", "history", "IAM_CONFIG", "-o", "json"]),
        run(&sb, &["config", "export", "-f", export.to_str().unwrap()]),
    ];
    for o in &outputs {
        assert!(o.status.success(), "{}", text(o));
        assert!(!text(o).contains(SECRET), "leak: {}", text(o));
    }
    let exported = std::fs::read_to_string(&export).unwrap();
    assert!(exported.contains("******") && !exported.contains(SECRET));
    let db = std::fs::read(sb.dir.path().join("data/nightwatch/nightwatch.db")).unwrap();
    assert!(
        !String::from_utf8_lossy(&db).contains(SECRET),
        "the database holds only ciphertext"
    );

    let o = run(&sb, &["config", "get", "IAM_CONFIG", "--reveal"]);
    assert!(text(&o).contains(SECRET), "explicit reveal shows it");
    let o = run(
        &sb,
        &["--read-only", "config", "get", "IAM_CONFIG", "--reveal"],
    );
    assert!(
        !o.status.success() && !text(&o).contains(SECRET),
        "{}",
        text(&o)
    );

    // Import of the masked export keeps the secret.
    let o = run(
        &sb,
        &[
            "config",
            "import",
            export.to_str().unwrap(),
            "--reason",
            "restore",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&run(&sb, &["config", "get", "IAM_CONFIG", "--reveal"])).contains(SECRET));

    let log =
        std::fs::read_to_string(sb.dir.path().join("state/nightwatch/nightwatch.log")).unwrap();
    assert!(
        log.contains("configuration saved"),
        "the log records the save: {log}"
    );
    assert!(!log.contains(SECRET), "the log never holds the secret");
}

#[test]
fn edit_validates_before_saving_and_keeps_a_rejected_edit() {
    let sb = Sandbox::new();
    // An "editor" that writes a value with a syntax error.
    let bad = sb.dir.path().join("bad-editor.sh");
    std::fs::write(
        &bad,
        "#!/bin/sh\nprintf '{\"bizMap\": {}, \"riskLevelMap\" {}}' > \"$1\"\n",
    )
    .unwrap();
    let good = sb.dir.path().join("good-editor.sh");
    std::fs::write(
        &good,
        "#!/bin/sh\nsed -i 's/\"P2\": false/\"P2\": true/' \"$1\"\n",
    )
    .unwrap();
    for f in [&bad, &good] {
        std::process::Command::new("chmod")
            .arg("+x")
            .arg(f)
            .status()
            .unwrap();
    }
    let o = sb
        .command()
        .args(["config", "edit", "RISK_DASHBOARD_CONFIG", "--reason", "r"])
        .env("EDITOR", &bad)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let t = text(&o);
    assert!(
        t.contains("line 1, column 31") && t.contains("your edit is kept in"),
        "{t}"
    );
    assert_eq!(versions(&sb, "RISK_DASHBOARD_CONFIG"), 0);
    let o = sb
        .command()
        .args([
            "config",
            "edit",
            "RISK_DASHBOARD_CONFIG",
            "--reason",
            "P2 too",
        ])
        .env("EDITOR", &good)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(
        &run(
            &sb,
            &["config", "get", "RISK_DASHBOARD_CONFIG", "-o", "json"],
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(v["value"]["riskLevelMap"]["P2"], true);
    assert_eq!(v["version"], 1);
}
