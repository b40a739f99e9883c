//! Issue 15: a check whose probe runs on the target's host (`on = "target"`) and cannot get there
//! has its own verdict, `unreach` ("cannot reach host"), distinct from a failed check: stored with
//! the result and counted in the run's summary, shown by `nightwatch inspect show` (table and
//! JSON), and kept as the component's last connection error (cleared when the same check measures
//! again: the unit test in `domain::inspection::track`).
//!
//! Real parts: the engine (`nightwatch serve`) with its SSH executor and the system `ssh`, against
//! 127.0.0.1 ports where nothing listens (refused) and where a listener never answers (no
//! connection within the task's timeout), on SQLite and, when configured, MariaDB and PostgreSQL.
//! Host keys and authentication refused as unreachable: tests/remote_ssh.rs.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use common::{Backend, Sandbox, TestDb, free_port, json_of, serve};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn unreachable_hosts_get_their_own_verdict(backend: Backend) {
    let rt = runtime();
    let Some(db) = rt.block_on(TestDb::create(backend)) else {
        return;
    };
    let sb = Sandbox::new();
    let url = db.url.clone();
    let (engine, _) = serve(&sb, &url, &[]);
    let dbarg = ["--database-url", url.as_str()];
    let refused = free_port();
    // Accepted by the kernel's backlog, never answered: ssh waits for a banner that never comes.
    let mute = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mute_port = mute.local_addr().unwrap().port();
    let content = sb.dir.path().join("reach.toml");
    std::fs::write(
        &content,
        format!(
            "[[component]]\nname = \"dead-1\"\nkind = \"deadhost\"\nlayer = \"physical\"\n\
             [component.endpoints.ssh]\nhost = \"127.0.0.1\"\nport = {refused}\nuser = \"ops\"\n\n\
             [[component]]\nname = \"mute-1\"\nkind = \"deadhost\"\nlayer = \"physical\"\n\
             [component.endpoints.ssh]\nhost = \"127.0.0.1\"\nport = {mute_port}\n\n\
             [[rule]]\nname = \"remote-true\"\ndescription = \"a command on the host\"\n\
             probe = {{ kind = \"command\", script = \"true\", on = \"target\" }}\n\
             condition = \"[EXIT_CODE] == 0\"\nlevel = \"P2\"\ntargets = {{ kind = \"deadhost\" }}\n\n\
             [[rule]]\nname = \"local-false\"\ndescription = \"a check that fails here\"\n\
             probe = {{ kind = \"command\", script = \"exit 3\" }}\n\
             condition = \"[EXIT_CODE] == 0\"\nlevel = \"P3\"\ntargets = {{ kind = \"deadhost\" }}\n\n\
             [[task]]\nname = \"reach\"\nrules = [\"remote-true\", \"local-false\"]\nevery = \"1h\"\ntimeout = \"3s\"\n"
        ),
    )
    .unwrap();
    let (ok, text) = sb.run(&[&dbarg[..], &["apply", content.to_str().unwrap()]].concat());
    assert!(ok, "{text}");
    let (ok, text) =
        sb.run(&[&dbarg[..], &["inspect", "run", "reach", "--timeout", "120"]].concat());
    assert!(!ok, "{text}");
    // The table: its own word, beside the failed checks.
    let line = |rule: &str, target: &str| {
        text.lines()
            .find(|l| l.contains(rule) && l.contains(target))
            .unwrap_or_else(|| panic!("no {rule} × {target} in {text}"))
            .to_owned()
    };
    assert!(
        line("remote-true", "dead-1")
            .trim_start()
            .starts_with("unreach "),
        "{text}"
    );
    assert!(
        line("remote-true", "mute-1")
            .trim_start()
            .starts_with("unreach "),
        "{text}"
    );
    assert!(
        line("local-false", "dead-1")
            .trim_start()
            .starts_with("fail "),
        "{text}"
    );

    // `queued run 2 of reach` (the scheduler may have queued one of its own meanwhile).
    let id: i64 = text
        .split_whitespace()
        .skip_while(|w| *w != "queued")
        .nth(2)
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no run id in {text}"));
    let runs = json_of(
        &sb,
        &[&dbarg[..], &["inspect", "runs", "reach", "-o", "json"]].concat(),
    );
    let run = runs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no run {id} in {runs}"));
    assert_eq!(run["status"], "failed", "{runs}");
    let summary: serde_json::Value =
        serde_json::from_str(run["summary"].as_str().unwrap()).unwrap();
    assert_eq!(
        summary,
        serde_json::json!({"pass": 0, "warn": 0, "fail": 2, "error": 0, "unreach": 2})
    );
    let (ok, table) = sb.run(&[&dbarg[..], &["inspect", "show", &id.to_string()]].concat());
    assert!(
        ok && table.lines().any(|l| l.trim_start().starts_with("unreach ")
            && l.contains("remote-true")
            && l.contains("dead-1")
            && l.contains("cannot reach host")),
        "{table}"
    );
    let shown = json_of(
        &sb,
        &[
            &dbarg[..],
            &["inspect", "show", &id.to_string(), "-o", "json"],
        ]
        .concat(),
    );
    let result = |rule: &str, target: &str| {
        shown["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == rule && r["target"] == target)
            .cloned()
            .unwrap_or_else(|| panic!("no {rule} × {target} in {shown}"))
    };
    let dead = result("remote-true", "dead-1");
    assert_eq!(dead["verdict"], "unreach", "{dead}");
    let why = dead["message"].as_str().unwrap();
    assert!(
        why.starts_with(&format!("cannot reach host: ops@127.0.0.1:{refused}: "))
            && why.to_lowercase().contains("refused"),
        "{why}"
    );
    let muted = result("remote-true", "mute-1");
    assert_eq!(muted["verdict"], "unreach", "{muted}");
    let why = muted["message"].as_str().unwrap();
    assert!(
        why.contains(&format!("127.0.0.1:{mute_port}")) && why.contains("no connection within"),
        "a host that never answers is unreachable, not a slow check: {why}"
    );
    for target in ["dead-1", "mute-1"] {
        let r = result("local-false", target);
        assert_eq!(
            r["verdict"], "fail",
            "a failed check stays a failed check: {r}"
        );
    }

    // The checks that could not reach their host raised their events, saying so.
    let events = json_of(
        &sb,
        &[
            &dbarg[..],
            &["events", "list", "source:inspection", "-o", "json"],
        ]
        .concat(),
    );
    let titles: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["title"].as_str())
        .collect();
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("remote-true could not be checked on dead-1: cannot reach host")),
        "{titles:?}"
    );

    // The last connection error of each component, as the console's component detail reads it.
    rt.block_on(async {
        let store = db.store().await;
        let errors = store.reach_errors().await.unwrap();
        let mut names: Vec<&str> = errors.iter().map(|e| e.component.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, ["dead-1", "mute-1"], "{errors:?}");
        let dead = errors.iter().find(|e| e.component == "dead-1").unwrap();
        assert!(dead.error.to_lowercase().contains("refused"), "{dead:?}");
        store.close().await;
    });

    drop(mute);
    drop(engine);
    rt.block_on(db.cleanup());
}

#[test]
fn unreachable_hosts_get_their_own_verdict_on_sqlite() {
    unreachable_hosts_get_their_own_verdict(Backend::Sqlite);
}

#[test]
fn unreachable_hosts_get_their_own_verdict_on_mysql() {
    unreachable_hosts_get_their_own_verdict(Backend::MySql);
}

#[test]
fn unreachable_hosts_get_their_own_verdict_on_postgres() {
    unreachable_hosts_get_their_own_verdict(Backend::Postgres);
}
