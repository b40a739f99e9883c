//! Inspection through the real engine (`nightwatch serve` on the embedded SQLite): the built-in
//! host task runs from the first start; a failing check raises a risk event (source `inspection`,
//! one per rule × target) that resolves itself when the check passes again; reports render.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use common::{Sandbox, free_port, json_of, serve};

#[test]
fn builtin_host_task_runs_and_reports() {
    let sb = Sandbox::new();
    let url = format!("sqlite://{}/nw.db?mode=rwc", sb.dir.path().display());
    let (_engine, _) = serve(&sb, &url, &[]);
    let db = ["--database-url", url.as_str()];
    let (ok, text) = sb.run(
        &[
            &db[..],
            &["inspect", "run", "host-basics", "--timeout", "120"],
        ]
        .concat(),
    );
    // The verdict depends on this machine's load; the run itself must complete with all 4 checks.
    assert!(
        text.contains("run ") && text.contains("host-cpu") && text.contains("host-disk"),
        "{ok} {text}"
    );
    let runs = json_of(
        &sb,
        &[&db[..], &["inspect", "runs", "host-basics", "-o", "json"]].concat(),
    );
    let id = runs[0]["id"].as_i64().unwrap();
    assert!(
        matches!(runs[0]["status"].as_str(), Some("passed" | "failed")),
        "{runs}"
    );
    let shown = json_of(
        &sb,
        &[&db[..], &["inspect", "show", &id.to_string(), "-o", "json"]].concat(),
    );
    let results = shown["results"].as_array().unwrap();
    assert_eq!(results.len(), 4, "4 rules x the local host: {shown}");
    for r in results {
        assert_eq!(r["target"], "local-host");
        assert_ne!(r["verdict"], "error", "the host probe works here: {r}");
        let values: serde_json::Value =
            serde_json::from_str(r["value_json"].as_str().unwrap()).unwrap();
        assert!(
            values["CPU"]
                .as_f64()
                .is_some_and(|c| (0.0..=100.0).contains(&c)),
            "{values}"
        );
    }
    let (ok, md) = sb.run(&[&db[..], &["inspect", "report", &id.to_string(), "-o", "md"]].concat());
    assert!(
        ok && md.contains("# Inspection report: host-basics") && md.contains("| host-load |"),
        "{md}"
    );
    let (ok, html) = sb.run(
        &[
            &db[..],
            &["inspect", "report", &id.to_string(), "-o", "html"],
        ]
        .concat(),
    );
    assert!(
        ok && html.starts_with("<!doctype html>") && html.contains("host-memory"),
        "{html}"
    );
}

#[test]
fn a_failing_check_raises_an_event_that_resolves_when_it_passes() {
    let sb = Sandbox::new();
    let url = format!("sqlite://{}/nw.db?mode=rwc", sb.dir.path().display());
    let (_engine, _) = serve(&sb, &url, &[]);
    let db = ["--database-url", url.as_str()];
    let port = free_port();
    let content = sb.dir.path().join("svc.toml");
    std::fs::write(
        &content,
        format!(
            "[[component]]\nname = \"svc-1\"\nkind = \"svc\"\nlayer = \"business\"\nendpoints = {{ host = \"127.0.0.1\", port = {port} }}\n\n\
             [[rule]]\nname = \"svc-port\"\ndescription = \"svc port listening\"\nprobe = {{ kind = \"tcp\" }}\ncondition = \"[CONNECTED] == true\"\nlevel = \"P1\"\ntargets = {{ kind = \"svc\" }}\n\n\
             [[task]]\nname = \"svc\"\nrules = [\"svc-port\"]\nevery = \"1h\"\ntimeout = \"2s\"\n"
        ),
    )
    .unwrap();
    let (ok, text) = sb.run(&[&db[..], &["apply", content.to_str().unwrap()]].concat());
    assert!(ok, "{text}");
    let (ok, text) = sb.run(&[&db[..], &["inspect", "run", "svc", "--timeout", "60"]].concat());
    assert!(
        !ok && text.contains("fail") && text.contains("svc-port"),
        "closed port fails: {text}"
    );
    let events = json_of(
        &sb,
        &[
            &db[..],
            &["events", "list", "source:inspection", "-o", "json"],
        ]
        .concat(),
    );
    let e = &events[0];
    assert_eq!(
        (
            e["status"].as_str(),
            e["level"].as_str(),
            e["component"].as_str()
        ),
        (Some("open"), Some("P1"), Some("svc-1")),
        "{events}"
    );
    assert_eq!(e["fingerprint"], "inspection:svc-port:svc-1");
    // The title says what failed, not the rule's healthy text ("svc port listening").
    assert_eq!(
        e["title"].as_str(),
        Some("[CONNECTED] == true is false on svc-1"),
        "{events}"
    );

    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let (ok, text) = sb.run(&[&db[..], &["inspect", "run", "svc", "--timeout", "60"]].concat());
    assert!(ok && text.contains("pass"), "open port passes: {text}");
    let shown = json_of(
        &sb,
        &[
            &db[..],
            &["events", "show", &e["id"].to_string(), "-o", "json"],
        ]
        .concat(),
    );
    assert_eq!(shown["event"]["status"], "resolved", "{shown}");
    drop(listener);

    let (ok, text) = sb.run(&[&db[..], &["inspect", "run", "no-such-task"]].concat());
    assert!(!ok && text.contains("unknown task"), "{text}");
}

#[test]
fn a_rule_whose_targets_vanished_reports_no_executable_target() {
    let sb = Sandbox::new();
    let url = format!("sqlite://{}/nw.db?mode=rwc", sb.dir.path().display());
    let (_engine, _) = serve(&sb, &url, &[]);
    let db = ["--database-url", url.as_str()];
    let content = sb.dir.path().join("redis-task.toml");
    // The built-in redis-replication rule waits for components of kind redis; none exist.
    std::fs::write(
        &content,
        "[[task]]\nname = \"cache\"\nrules = [\"redis-replication\"]\nevery = \"1h\"\n",
    )
    .unwrap();
    let (ok, text) = sb.run(&[&db[..], &["apply", content.to_str().unwrap()]].concat());
    assert!(ok, "{text}");
    let (ok, text) = sb.run(&[&db[..], &["inspect", "run", "cache", "--timeout", "60"]].concat());
    assert!(
        !ok && text.contains("no executable target") && text.contains("\"kind\":\"redis\""),
        "{text}"
    );
}
