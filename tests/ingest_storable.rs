//! Data never causes a 503: each trigger of issue 11 (1) and (2), on SQLite, a private MariaDB
//! whose server default is `latin1`, the shared MariaDB (utf8mb4) and PostgreSQL. Every request is
//! answered 200, every good alert of the group is stored, the bad value is stored cleaned or
//! bounded, and two fingerprints sharing 124 leading characters stay two events. Big numbers in
//! labels keep their digits (issue 11 (9)).

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use common::private_db::PrivateDb;
use common::{Backend, TestDb, free_port};
use nightwatch::domain::event::{Event, EventQuery, Status};
use nightwatch::engine::Engine;
use nightwatch::settings::Settings;
use nightwatch::store::{ConnectOptions, Store};
use nightwatch::sysconfig::SysConfig;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const CHINESE: &str = "磁盘已满 💾";

fn alert(name: &str, fingerprint: &str, status: &str, annotations: Value) -> Value {
    json!({
        "status": status,
        "labels": {"alertname": name, "level": "P1", "instance": "db-1"},
        "annotations": annotations,
        "startsAt": "2026-11-21T00:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": fingerprint,
    })
}

fn group(alerts: Vec<Value>) -> Value {
    json!({"version": "4", "status": "firing", "receiver": "nw", "groupKey": "{}", "alerts": alerts})
}

async fn events(store: &Store) -> Vec<Event> {
    let q = EventQuery {
        statuses: Status::ALL.to_vec(),
        limit: 10_000,
        ..EventQuery::default()
    };
    store.list_events(&q).await.unwrap()
}

fn by_title<'a>(events: &'a [Event], title: &str) -> &'a Event {
    events
        .iter()
        .find(|e| e.title == title)
        .unwrap_or_else(|| panic!("no event titled {title:?}"))
}

/// Start an engine on `url`, post every trigger, check what was stored.
async fn triggers_store_cleanly(url: &str) {
    let sb = common::Sandbox::new();
    let mut s = Settings::default();
    s.paths.data_dir = sb.dir.path().join("data");
    s.database.url = url.to_owned();
    s.engine.listen = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    // Migrate and load the built-in content library, as every start does (on a latin1 server the
    // library used to fail to load while the engine started anyway).
    let store = nightwatch::commands::open_store(&s).await.unwrap();
    assert!(
        !store.list_plans().await.unwrap().is_empty(),
        "the built-in plans are loaded"
    );
    let engine = Engine::start(&s, store.clone(), CancellationToken::new())
        .await
        .unwrap();
    let (_, auth) = SysConfig::from_settings(store.clone(), &s)
        .effective("INGEST_AUTH")
        .await
        .unwrap();
    let token = auth["alertmanager"]["token"].as_str().unwrap().to_owned();
    let api_token = auth["api"]["token"].as_str().unwrap().to_owned();
    let client = reqwest::Client::new();
    let am = format!("http://{}/api/v1/alerts/alertmanager", engine.listen);
    let post = |body: Value| {
        let (client, am, token) = (client.clone(), am.clone(), token.clone());
        async move {
            let r = client
                .post(&am)
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };

    // (1a) text latin1 cannot hold, (1b) an annotation of 70,000 bytes, (1c) a NUL in a title:
    // each in a group with a good alert.
    let big = "x".repeat(70_000);
    let bodies = [
        group(vec![
            alert("good-a", "fa", "firing", json!({"summary": "good a"})),
            alert(
                "cn",
                "fcn",
                "firing",
                json!({"summary": CHINESE, "description": CHINESE}),
            ),
        ]),
        group(vec![
            alert("good-b", "fb", "firing", json!({"summary": "good b"})),
            alert(
                "big",
                "fbig",
                "firing",
                json!({"summary": "big one", "runbook": big}),
            ),
        ]),
        group(vec![
            alert("good-c", "fc", "firing", json!({"summary": "good c"})),
            alert(
                "nul",
                "fnul",
                "firing",
                json!({"summary": "disk\u{0}full", "note": "a\u{0}b"}),
            ),
        ]),
    ];
    for body in bodies {
        let (code, text) = post(body).await;
        assert_eq!(code, 200, "{text}");
        assert!(!text.contains("rejected"), "nothing left out: {text}");
    }
    // The generic endpoint (the RMS path shares its normalise step): NUL and a huge label.
    let r = client
        .post(format!("http://{}/api/v1/events", engine.listen))
        .bearer_auth(&api_token)
        .json(&json!([
            {"title": "generic good", "level": "P1"},
            {"title": "generic\u{0} nul", "level": "P1", "labels": {"huge": "y".repeat(70_000)}, "summary": CHINESE}
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    // (9) numbers in labels and annotations are stored as the sender wrote them: the body is
    // sent as text (a `json!` value would round the big integer before it left the test).
    let r = client
        .post(format!("http://{}/api/v1/events", engine.listen))
        .bearer_auth(&api_token)
        .header("content-type", "application/json")
        .body(
            r#"{"title": "big numbers", "level": "P2",
                "labels": {"big": 123456789012345678901234567890, "neg": -0.000000000000000000012345678901234567890},
                "annotations": {"exp": 1.50E+300, "id": 18446744073709551617}}"#,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());

    // (2) two fingerprints sharing 124 leading characters are two events; resolving one leaves
    // the other open.
    let common = "f".repeat(124);
    let (one, two) = (format!("{common}-one"), format!("{common}-two"));
    let (code, text) = post(group(vec![
        alert("long-one", &one, "firing", json!({"summary": "long one"})),
        alert("long-two", &two, "firing", json!({"summary": "long two"})),
    ]))
    .await;
    assert_eq!(code, 200, "{text}");
    let (code, text) = post(group(vec![alert(
        "long-one",
        &one,
        "resolved",
        json!({"summary": "long one"}),
    )]))
    .await;
    assert_eq!(code, 200, "{text}");

    let stored = events(&store).await;
    for title in ["good a", "good b", "good c", "generic good", "big one"] {
        assert_eq!(by_title(&stored, title).status, Status::Open, "{title}");
    }
    let cn = by_title(&stored, CHINESE);
    assert_eq!(cn.summary, CHINESE, "Unicode stored as sent");
    let big = by_title(&stored, "big one");
    let runbook = &big.annotations["runbook"];
    assert!(runbook.len() <= 64 * 1024, "bounded: {}", runbook.len());
    assert!(runbook.starts_with("xxxx"), "the start is kept");
    assert!(
        runbook.ends_with(" bytes]") && runbook.contains("…[truncated "),
        "the cut is visible: {}",
        &runbook[runbook.len() - 40..]
    );
    let nul = by_title(&stored, "diskfull");
    assert_eq!(nul.annotations["note"], "ab", "NUL removed");
    let generic = by_title(&stored, "generic nul");
    assert_eq!(generic.summary, CHINESE);
    assert!(generic.labels["huge"].contains("…[truncated "));
    let numbers = by_title(&stored, "big numbers");
    assert_eq!(numbers.labels["big"], "123456789012345678901234567890");
    assert_eq!(
        numbers.labels["neg"],
        "-0.000000000000000000012345678901234567890"
    );
    assert_eq!(numbers.annotations["exp"], "1.50E+300");
    assert_eq!(numbers.annotations["id"], "18446744073709551617");
    let one_ev = by_title(&stored, "long one");
    let two_ev = by_title(&stored, "long two");
    assert_ne!(one_ev.id, two_ev.id, "two fingerprints, two events");
    assert_eq!(one_ev.status, Status::Resolved);
    assert_eq!(
        two_ev.status,
        Status::Open,
        "resolving one never resolves the other"
    );
    assert_eq!(
        one_ev.count, 1,
        "a resolved notification is not another occurrence"
    );
    assert_eq!(
        engine
            .metrics
            .alerts_rejected
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
    engine.shutdown().await;
    store.close().await;
}

#[tokio::test]
async fn triggers_on_sqlite() {
    let db = TestDb::create(Backend::Sqlite).await.unwrap();
    triggers_store_cleanly(&db.url).await;
}

#[tokio::test]
async fn triggers_on_mariadb_utf8mb4() {
    let Some(db) = TestDb::create(Backend::MySql).await else {
        return;
    };
    triggers_store_cleanly(&db.url).await;
    db.cleanup().await;
}

#[tokio::test]
async fn triggers_on_postgres() {
    let Some(db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    triggers_store_cleanly(&db.url).await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triggers_on_mariadb_with_a_latin1_server_default() {
    let Some(server) = PrivateDb::mariadb(&[
        "--character-set-server=latin1",
        "--collation-server=latin1_swedish_ci",
    ]) else {
        return;
    };
    let url = server.url("nw");
    nightwatch::store::create_database(&url).await.unwrap();
    triggers_store_cleanly(&url).await;
    // The database default is utf8mb4 now, so a table added later is too.
    let store = Store::connect(&url, &ConnectOptions::default())
        .await
        .unwrap();
    store.check_text_columns().await.unwrap();
    store.close().await;
}
