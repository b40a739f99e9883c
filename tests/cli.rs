//! The binary from outside: `migrate` and `info` on every backend, exit codes, clear errors.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use common::{Backend, Sandbox, TestDb};

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

async fn migrate_then_info(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let sb = Sandbox::new();
    let before = sb
        .command()
        .args(["--database-url", &db.url, "info", "-o", "json"])
        .output()
        .unwrap();
    assert!(
        before.status.success(),
        "{}",
        String::from_utf8_lossy(&before.stderr)
    );
    let info = json(&before);
    assert_eq!(
        info["schema_version"],
        serde_json::Value::Null,
        "fresh database: {info}"
    );

    let out = sb
        .command()
        .args(["--database-url", &db.url, "migrate", "-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    let latest = report["after"].as_i64().unwrap();
    assert!(latest >= 1);
    assert_eq!(report["applied"][0]["version"], 1);

    let again = sb
        .command()
        .args(["--database-url", &db.url, "migrate"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("already up to date"));

    let out = sb
        .command()
        .args(["--database-url", &db.url, "info", "-o", "json"])
        .output()
        .unwrap();
    let info = json(&out);
    assert_eq!(info["schema_version"].as_i64(), Some(latest));
    assert_eq!(
        info["backend"],
        db.url
            .split(':')
            .next()
            .unwrap()
            .replace("postgresql", "postgres")
    );
    let shown = info["database_url"].as_str().unwrap();
    if backend != Backend::Sqlite {
        assert!(
            shown.contains("***") && !shown.contains(":nw_test@"),
            "password masked: {shown}"
        );
    }
    let table = sb
        .command()
        .args(["--database-url", &db.url, "info"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("(up to date)") && text.contains("data dir:"),
        "{text}"
    );
    db.cleanup().await;
}

#[tokio::test]
async fn migrate_and_info_on_sqlite() {
    migrate_then_info(Backend::Sqlite).await;
}

#[tokio::test]
async fn migrate_and_info_on_mysql() {
    migrate_then_info(Backend::MySql).await;
}

#[tokio::test]
async fn migrate_and_info_on_postgres() {
    migrate_then_info(Backend::Postgres).await;
}

#[test]
fn info_on_the_default_embedded_database_shows_xdg_paths() {
    let sb = Sandbox::new();
    let out = sb.command().args(["info", "-o", "json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info = json(&out);
    let data = sb.dir.path().join("data/nightwatch");
    assert_eq!(info["data_dir"], data.display().to_string());
    assert!(
        info["database_url"]
            .as_str()
            .unwrap()
            .contains(&data.join("nightwatch.db").display().to_string())
    );
    assert_eq!(info["config_file_present"], false);
    assert!(
        info["engine_mode"]
            .as_str()
            .unwrap()
            .starts_with("auto (in-process")
    );
}

#[test]
fn unreachable_database_exits_4_with_one_line() {
    let sb = Sandbox::new();
    let out = sb
        .command()
        .args([
            "--database-url",
            "postgres://nw:hunter2@127.0.0.1:1/nw",
            "migrate",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim().lines().count(),
        1,
        "one line, no stack trace: {err}"
    );
    assert!(
        err.contains("postgres://nw:***@127.0.0.1:1/nw") && err.contains("refused"),
        "{err}"
    );
    assert!(!err.contains("hunter2"));
}

#[test]
fn broken_config_exits_3_naming_file_and_key() {
    let sb = Sandbox::new();
    let file = sb.dir.path().join("bad.toml");
    std::fs::write(&file, "[console]\nrefresh_ms = \"fast\"\n").unwrap();
    let out = sb
        .command()
        .arg("--config")
        .arg(&file)
        .arg("info")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("console.refresh_ms") && err.contains("line 2"),
        "{err}"
    );
}

#[test]
fn bad_env_value_exits_3_naming_the_variable() {
    let sb = Sandbox::new();
    let out = sb
        .command()
        .env("NIGHTWATCH_ENGINE_LISTEN", "everywhere")
        .arg("info")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("NIGHTWATCH_ENGINE_LISTEN"));
}

#[test]
fn help_explains_every_command_and_usage_errors_exit_2() {
    let sb = Sandbox::new();
    let out = sb.command().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for word in [
        "serve",
        "migrate",
        "info",
        "--read-only",
        "--database-url",
        "--refresh",
        "Exit codes",
    ] {
        assert!(text.contains(word), "--help lacks {word}: {text}");
    }
    let out = sb.command().arg("--refresh").arg("soon").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn read_only_refuses_migrate_and_a_missing_embedded_database() {
    let sb = Sandbox::new();
    let out = sb
        .command()
        .args(["--read-only", "migrate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--read-only"));
    let out = sb.command().args(["--read-only", "info"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}
