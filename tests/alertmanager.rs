//! End to end with the real Alertmanager (Debian `prometheus-alertmanager`) as the webhook client:
//! its webhook is configured with nightwatch's bearer token, alerts are fired with `amtool`, seen
//! in `events list -o json`, expired and seen resolved; a filtered level is stored suppressed.
//! Runs on SQLite, MariaDB and PostgreSQL.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use std::collections::BTreeMap;

use common::{
    Backend, Proc, Sandbox, TestDb, free_port, json_of, require_program, serve, wait_until,
};

const AM: &str = "/usr/bin/prometheus-alertmanager";
const AMTOOL: &str = "/usr/bin/amtool";

fn start_alertmanager(sb: &Sandbox, nw_port: u16, token: &str) -> (Proc, u16) {
    let port = free_port();
    let dir = sb.dir.path().join("am");
    std::fs::create_dir_all(&dir).unwrap();
    let config = format!(
        "route:\n  receiver: nightwatch\n  group_by: ['alertname']\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n\
         receivers:\n- name: nightwatch\n  webhook_configs:\n  - url: http://127.0.0.1:{nw_port}/api/v1/alerts/alertmanager\n    send_resolved: true\n    max_alerts: 1000\n\
         \x20   http_config:\n      authorization:\n        type: Bearer\n        credentials: {token}\n"
    );
    let file = dir.join("alertmanager.yml");
    std::fs::write(&file, config).unwrap();
    let child = std::process::Command::new(AM)
        .arg(format!("--config.file={}", file.display()))
        .arg(format!("--storage.path={}", dir.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(dir.join("am.log")).unwrap())
        .spawn()
        .unwrap();
    let proc = Proc(child);
    wait_until("alertmanager ready", 30, || {
        let ok = std::process::Command::new("curl")
            .args(["-sf", &format!("http://127.0.0.1:{port}/-/ready")])
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then_some(())
    });
    (proc, port)
}

fn amtool(port: u16, args: &[&str]) {
    let out = std::process::Command::new(AMTOOL)
        .arg(format!("--alertmanager.url=http://127.0.0.1:{port}"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "amtool {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn rfc3339(offset_secs: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(offset_secs))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn find<'a>(events: &'a serde_json::Value, title: &str) -> Option<&'a serde_json::Value> {
    events.as_array()?.iter().find(|e| e["title"] == title)
}

async fn fire_see_expire(backend: Backend) {
    if !require_program(AM, "prometheus-alertmanager")
        || !require_program(AMTOOL, "prometheus-alertmanager")
    {
        return;
    }
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let sb = Sandbox::new();
    let url = db.url.clone();
    let (_nw, nw_port) = serve(&sb, &url, &[]);
    let auth = json_of(
        &sb,
        &[
            "--database-url",
            &url,
            "config",
            "get",
            "INGEST_AUTH",
            "--reveal",
            "-o",
            "json",
        ],
    );
    let token = auth["value"]["alertmanager"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        token.len(),
        40,
        "a bearer token was generated on first start"
    );
    let (_am, am_port) = start_alertmanager(&sb, nw_port, &token);

    let labels = [
        "alertname=DiskFull",
        "level=P1",
        "instance=db-1",
        "ds_type=STACK#rds",
    ];
    let mut add: Vec<&str> = vec!["alert", "add"];
    add.extend(labels);
    let summary = "--annotation=summary=Disk full on db-1";
    let end_later = format!("--end={}", rfc3339(600));
    amtool(am_port, &[&add[..], &[summary, &end_later]].concat());
    amtool(
        am_port,
        &[
            "alert",
            "add",
            "alertname=ChattyInfo",
            "severity=info",
            &end_later,
        ],
    );

    let list = [
        "--database-url",
        url.as_str(),
        "events",
        "list",
        "-o",
        "json",
    ];
    let events = wait_until("DiskFull stored as an open P1", 60, || {
        let v = json_of(&sb, &list);
        find(&v, "Disk full on db-1")
            .filter(|e| e["status"] == "open")
            .is_some()
            .then_some(v)
    });
    let e = find(&events, "Disk full on db-1").unwrap();
    assert_eq!(
        (
            e["level"].as_str(),
            e["ds_type"].as_str(),
            e["source"].as_str()
        ),
        (Some("P1"), Some("STACK#rds"), Some("alertmanager"))
    );
    assert_eq!(e["component"], "db-1");
    // Our FNV-1a fingerprint is Alertmanager's own: the identity survives a sender without it.
    let map: BTreeMap<String, String> = labels
        .iter()
        .map(|l| l.split_once('=').unwrap())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert_eq!(
        e["fingerprint"].as_str().unwrap(),
        format!("am:{}", nightwatch::domain::event::fingerprint(&map))
    );

    let suppressed = wait_until("ChattyInfo stored as suppressed", 60, || {
        let v = json_of(
            &sb,
            &[
                "--database-url",
                &url,
                "events",
                "list",
                "status:suppressed",
                "-o",
                "json",
            ],
        );
        find(&v, "ChattyInfo").cloned()
    });
    assert_eq!(
        suppressed["level"], "P3",
        "severity=info maps to P3, filtered by default"
    );
    assert!(
        find(&json_of(&sb, &list), "ChattyInfo").is_none(),
        "suppressed is hidden by default"
    );

    // Expire the alert: Alertmanager sends it as resolved (send_resolved).
    let end_now = format!("--end={}", rfc3339(-1));
    amtool(am_port, &[&add[..], &[summary, &end_now]].concat());
    let id = e["id"].as_i64().unwrap();
    wait_until("DiskFull resolved", 60, || {
        let v = json_of(
            &sb,
            &[
                "--database-url",
                &url,
                "events",
                "show",
                &id.to_string(),
                "-o",
                "json",
            ],
        );
        (v["event"]["status"] == "resolved").then_some(())
    });
    let shown = json_of(
        &sb,
        &[
            "--database-url",
            &url,
            "events",
            "show",
            &id.to_string(),
            "-o",
            "json",
        ],
    );
    let kinds: Vec<&str> = shown["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"received") && kinds.contains(&"resolved"),
        "{kinds:?}"
    );
    drop(_am);
    drop(_nw);
    db.cleanup().await;
}

#[tokio::test]
async fn alertmanager_end_to_end_sqlite() {
    fire_see_expire(Backend::Sqlite).await;
}

#[tokio::test]
async fn alertmanager_end_to_end_mysql() {
    fire_see_expire(Backend::MySql).await;
}

#[tokio::test]
async fn alertmanager_end_to_end_postgres() {
    fire_see_expire(Backend::Postgres).await;
}
