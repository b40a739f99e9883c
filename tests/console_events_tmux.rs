//! End-to-end test of the Events pane in a real terminal, driven through tmux: events posted to
//! the real HTTP endpoint (`POST /api/v1/events`, bearer token from `INGEST_AUTH`) ring the bell
//! message while on the Overview, show in the Events pane, `level:P1` filters them, Enter opens a
//! detail with labels and timeline, and an acknowledge through the `m` menu is seen in the pane and,
//! from outside, in `nightwatch events show ID -o json`.
//!
//! Fresh XDG directories, a free port picked here (the endpoint must be known), every wait polls
//! `capture-pane`; skipped without tmux or curl except under `CI=true`.

mod common;

use common::tmux::Tmux;

/// POST the generic event JSON; returns the HTTP status.
fn post(port: u16, token: &str, body: &serde_json::Value) -> String {
    common::redis_pair::post_json(port, token, "/api/v1/events", body)
}

fn event(title: &str, level: &str, fingerprint: &str, host: &str) -> serde_json::Value {
    serde_json::json!({
        "title": title, "level": level, "status": "firing", "ds_type": "STACK#rds",
        "fingerprint": fingerprint, "component": host,
        "labels": {"instance": host, "team": "dba"},
        "annotations": {"runbook": "https://wiki.example/rb/e2e"},
        "source_url": format!("http://prometheus.example/graph?host={host}"),
    })
}

#[test]
fn posted_events_show_filter_open_and_ack_through_the_menu() {
    let Some(t) = Tmux::start("events", 140, 40) else {
        return;
    };
    if !common::require_program("/usr/bin/curl", "curl") {
        return;
    }
    let port = common::free_port();
    t.launch_on(&format!("127.0.0.1:{port}"), "");
    let auth = t.nightwatch(&["config", "get", "INGEST_AUTH", "--reveal", "-o", "json"]);
    let token = auth["value"]["api"]["token"]
        .as_str()
        .expect("INGEST_AUTH.api.token")
        .to_owned();

    // Sent while the Overview shows: the bell check reports them in the status bar.
    let body = serde_json::json!([
        event("Disk full on db-1", "P1", "e2e-disk", "db-1"),
        event("Replication broken on db-2", "P0", "e2e-repl", "db-2"),
        event("Slow queries on db-4", "P2", "e2e-slow", "db-4"),
    ]);
    assert_eq!(post(port, &token, &body), "200");
    t.wait_for("new P0/P1 events");
    let body = serde_json::json!([event("Backup failed on db-3", "P1", "e2e-backup", "db-3")]);
    assert_eq!(post(port, &token, &body), "200");

    t.keys(&["2"]);
    let screen = t.wait_for("Backup failed on db-3");
    assert!(screen.contains("Replication broken on db-2"), "{screen}");
    assert!(screen.contains("▲ P0"), "{screen}");
    assert!(
        !screen.contains("Slow queries"),
        "P2 is suppressed by default, hidden:\n{screen}"
    );

    t.keys(&["/"]);
    t.type_line("level:P1");
    let screen = t.wait("the P1 filter", 15, |s| {
        s.contains("/level:P1")
            && !s.contains("Replication broken")
            && s.contains("Disk full on db-1")
    });
    assert!(screen.contains("Disk full on db-1"), "{screen}");
    assert!(screen.contains("1–2 of 2"), "{screen}");

    // The same order as the console's default sort: newest last seen first.
    let listed = t.nightwatch(&["events", "list", "level:P1", "-o", "json"]);
    let first = listed
        .as_array()
        .and_then(|a| a.first())
        .unwrap_or(&listed["events"][0])
        .clone();
    let id = first["id"].as_i64().expect("an id");
    let title = first["title"].as_str().expect("a title").to_owned();
    assert_eq!(title, "Backup failed on db-3");

    t.keys(&["Enter"]);
    let screen = t.wait_for("Timeline (");
    assert!(screen.contains(&format!("Event #{id}")), "{screen}");
    assert!(screen.contains("team = dba"), "{screen}");
    assert!(
        screen.contains("http://prometheus.example/graph?host=db-3"),
        "{screen}"
    );
    t.keys(&["Escape"]);
    t.wait_for("Enter detail");

    t.keys(&["m"]);
    t.wait_for("Acknowledge (G1)");
    t.keys(&["Enter"]);
    t.wait_for("Proceed? y = yes");
    t.keys(&["y"]);
    t.wait_for("acked 1 of 1 event");
    t.wait("the row acked", 15, |s| {
        s.lines()
            .any(|l| l.contains("Backup failed") && l.contains("acked"))
    });
    t.quit();

    let shown = t.nightwatch(&["events", "show", &id.to_string(), "-o", "json"]);
    assert_eq!(shown["event"]["status"], "acked", "{shown}");
    let timeline = shown["timeline"].as_array().expect("timeline");
    assert!(timeline.iter().any(|e| e["kind"] == "acked"), "{shown}");
}
