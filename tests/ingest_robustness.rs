//! Ingest under hostile input: malformed, truncated, wrong-typed, huge and random bodies get the
//! right 4xx, never a panic or a 5xx, and never a partial row; the database going away gives 503
//! with Retry-After and stores nothing; `kill -9` of the engine loses no acknowledged alert.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Sandbox, free_port, json_of, serve};
use nightwatch::domain::event::EventQuery;
use nightwatch::engine::Engine;
use nightwatch::settings::Settings;
use nightwatch::store::{ConnectOptions, Store};
use nightwatch::sysconfig::SysConfig;
use rand::{Rng, SeedableRng};
use tokio_util::sync::CancellationToken;

struct Running {
    engine: Engine,
    store: Store,
    url: String,
    token: String,
    client: reqwest::Client,
    _sb: Sandbox,
    db_file: std::path::PathBuf,
}

async fn start(max_body: usize) -> Running {
    let sb = Sandbox::new();
    let mut s = Settings::default();
    s.paths.data_dir = sb.dir.path().join("data");
    let db_file = sb.dir.path().join("nw.db");
    s.database.url = format!("sqlite://{}?mode=rwc", db_file.display());
    s.engine.listen = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    s.ingest.max_body_bytes = max_body;
    let store = Store::connect(&s.database_url(), &ConnectOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let engine = Engine::start(&s, store.clone(), CancellationToken::new())
        .await
        .unwrap();
    let (_, auth) = SysConfig::from_settings(store.clone(), &s)
        .effective("INGEST_AUTH")
        .await
        .unwrap();
    Running {
        url: format!("http://{}/api/v1/alerts/alertmanager", engine.listen),
        token: auth["alertmanager"]["token"].as_str().unwrap().to_owned(),
        engine,
        store,
        client: reqwest::Client::new(),
        _sb: sb,
        db_file,
    }
}

impl Running {
    async fn post(&self, body: Vec<u8>) -> (u16, String) {
        let r = self
            .client
            .post(&self.url)
            .bearer_auth(&self.token)
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    }

    /// Every event this test's alerts made (the engine's own inspections may add others).
    async fn stored_alerts(&self) -> Vec<nightwatch::domain::event::Event> {
        let q = EventQuery {
            statuses: nightwatch::domain::event::Status::ALL.to_vec(),
            limit: 10_000,
            ..EventQuery::default()
        };
        let mut out = Vec::new();
        loop {
            let page = self
                .store
                .list_events(&EventQuery {
                    offset: out.len() as i64,
                    ..q.clone()
                })
                .await
                .unwrap();
            if page.is_empty() {
                return out
                    .into_iter()
                    .filter(|e: &nightwatch::domain::event::Event| e.source == "alertmanager")
                    .collect();
            }
            out.extend(page);
        }
    }

    async fn stored_fingerprints(&self) -> BTreeSet<String> {
        self.stored_alerts()
            .await
            .into_iter()
            .map(|e| e.fingerprint)
            .collect()
    }

    async fn stored_reqs(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for e in self.stored_alerts().await {
            *out.entry(e.labels.get("req").cloned().unwrap_or_default())
                .or_default() += 1;
        }
        out
    }
}

/// A valid Alertmanager body with `n` alerts, every one marked `req=<id>` and unique.
fn valid(id: usize, n: usize) -> serde_json::Value {
    let alerts: Vec<serde_json::Value> = (0..n)
        .map(|k| {
            serde_json::json!({
                "status": "firing",
                "labels": {"alertname": format!("A{id}_{k}"), "req": id.to_string(), "level": "P1"},
                "annotations": {"summary": "s"},
                "startsAt": "2026-11-21T00:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": format!("fp{id}_{k}")
            })
        })
        .collect();
    serde_json::json!({"version": "4", "status": "firing", "receiver": "nw", "groupKey": "{}", "alerts": alerts})
}

/// The identity nightwatch gives an accepted Alertmanager alert.
fn identity(alert: &serde_json::Value) -> String {
    match alert["fingerprint"].as_str().filter(|f| !f.is_empty()) {
        Some(fp) => format!("am:{fp}"),
        None => {
            let labels: std::collections::BTreeMap<String, String> =
                serde_json::from_value(alert["labels"].clone()).unwrap();
            format!("am:{}", nightwatch::domain::event::fingerprint(&labels))
        }
    }
}

fn mutate(rng: &mut rand::rngs::StdRng, id: usize) -> (Vec<u8>, usize) {
    let n = rng.random_range(1..4);
    let good = valid(id, n);
    let text = serde_json::to_vec(&good).unwrap();
    let body = match rng.random_range(0..9) {
        0 => text,                                             // valid
        1 => text[..rng.random_range(0..text.len())].to_vec(), // truncated
        2 => {
            let mut t = text;
            for _ in 0..rng.random_range(1..4) {
                let i = rng.random_range(0..t.len());
                t[i] = rng.random();
            }
            t
        }
        3 => {
            let mut v = good;
            let field = ["labels", "annotations", "status", "startsAt"][rng.random_range(0..4)];
            v["alerts"][0][field] = serde_json::json!([1, {"x": null}]);
            serde_json::to_vec(&v).unwrap()
        }
        4 => {
            let mut v = good;
            v["alerts"] = serde_json::json!({"not": "a list"});
            serde_json::to_vec(&v).unwrap()
        }
        5 => (0..rng.random_range(0..2000))
            .map(|_| rng.random())
            .collect(), // random bytes
        6 => format!("{}1{}", "[".repeat(200), "]".repeat(200)).into_bytes(), // nesting bomb
        7 => {
            let mut v = good;
            v["alerts"][0]["labels"]["huge"] = serde_json::json!("x".repeat(3000)); // valid, bounded
            serde_json::to_vec(&v).unwrap()
        }
        _ => {
            let mut v = good;
            v.as_object_mut().unwrap().remove("alerts");
            serde_json::to_vec(&v).unwrap()
        }
    };
    (body, n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_hostile_bodies_get_4xx_and_leave_no_partial_rows() {
    let r = start(1024 * 1024).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261121);
    // What the accepted bodies carried (a mutation may have changed a label or a fingerprint and
    // still be valid JSON): the identities the store must hold, no more, no fewer.
    let mut expected: BTreeSet<String> = BTreeSet::new();
    let mut rejected: BTreeSet<String> = BTreeSet::new();
    let mut codes: BTreeMap<u16, usize> = BTreeMap::new();
    for id in 0..10_000 {
        let (body, n) = mutate(&mut rng, id);
        let (code, text) = r.post(body.clone()).await;
        *codes.entry(code).or_default() += 1;
        match code {
            200 => {
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                let sent: serde_json::Value = serde_json::from_slice(&body).unwrap();
                let alerts = sent["alerts"].as_array().unwrap();
                assert_eq!(
                    v["accepted"].as_u64(),
                    Some(alerts.len() as u64),
                    "a 200 stores every alert of the request"
                );
                assert!(alerts.len() <= n);
                for a in alerts {
                    expected.insert(identity(a));
                }
            }
            400 => {
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert!(
                    v["error"].as_str().is_some_and(|e| !e.is_empty()),
                    "400 says why: {text}"
                );
                rejected.extend((0..n).map(|k| format!("am:fp{id}_{k}")));
            }
            other => panic!("request {id}: unexpected {other}: {text}"),
        }
    }
    eprintln!("answers: {codes:?}");
    assert!(
        codes.get(&200).copied().unwrap_or(0) > 1000
            && codes.get(&400).copied().unwrap_or(0) > 5000
    );
    let stored = r.stored_fingerprints().await;
    assert_eq!(
        stored, expected,
        "rows exist exactly for the alerts of requests answered 200"
    );
    let leaked: Vec<&String> = rejected
        .iter()
        .filter(|fp| stored.contains(*fp) && !expected.contains(*fp))
        .collect();
    assert!(leaked.is_empty(), "rejected requests left rows: {leaked:?}");
    let health = reqwest::get(format!("http://{}/healthz", r.engine.listen))
        .await
        .unwrap();
    assert_eq!(health.status(), 200, "still serving");
    r.engine.shutdown().await;
}

#[tokio::test]
async fn huge_bodies_get_413_and_are_counted() {
    let r = start(64 * 1024).await;
    let mut big = valid(1, 1);
    big["alerts"][0]["annotations"]["description"] = serde_json::json!("x".repeat(70 * 1024));
    let (code, text) = r.post(serde_json::to_vec(&big).unwrap()).await;
    assert_eq!(code, 413, "{text}");
    assert!(text.contains("max_body_bytes"), "{text}");
    let metrics = reqwest::get(format!("http://{}/metrics", r.engine.listen))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("nightwatch_ingest_too_large_total 1"),
        "{metrics}"
    );
    assert!(r.stored_reqs().await.is_empty());
    let (code, _) = r.post(serde_json::to_vec(&valid(2, 1)).unwrap()).await;
    assert_eq!(code, 200, "a body under the limit still passes");
    r.engine.shutdown().await;
}

#[tokio::test]
async fn database_trouble_answers_503_with_retry_after_and_stores_nothing() {
    let r = start(1024 * 1024).await;
    let sqlite = |sql: &str| {
        let ok = std::process::Command::new("sqlite3")
            .args(["-cmd", ".timeout 5000"])
            .arg(&r.db_file)
            .arg(sql)
            .status()
            .unwrap();
        assert!(ok.success());
    };
    sqlite("ALTER TABLE risk_events RENAME TO risk_events_away");
    let resp = r
        .client
        .post(&r.url)
        .bearer_auth(&r.token)
        .json(&valid(1, 2))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 503);
    assert!(
        resp.headers().get("retry-after").is_some(),
        "Retry-After tells Alertmanager to come back"
    );
    sqlite("ALTER TABLE risk_events_away RENAME TO risk_events");
    assert!(
        r.stored_reqs().await.is_empty(),
        "nothing of the failed request was stored"
    );
    let (code, _) = r.post(serde_json::to_vec(&valid(1, 2)).unwrap()).await;
    assert_eq!(code, 200, "the retry succeeds");
    assert_eq!(r.stored_reqs().await.get("1"), Some(&2));
    r.engine.shutdown().await;
}

#[tokio::test]
async fn wrong_credentials_get_401_and_store_nothing() {
    let r = start(1024 * 1024).await;
    for auth in [None, Some("Bearer wrong"), Some("Basic Zm9vOmJhcg==")] {
        let mut req = r.client.post(&r.url).json(&valid(1, 1));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        assert_eq!(req.send().await.unwrap().status().as_u16(), 401, "{auth:?}");
    }
    assert!(r.stored_reqs().await.is_empty());
    r.engine.shutdown().await;
}

#[tokio::test]
async fn kill_9_while_alerts_stream_in_loses_no_acknowledged_alert() {
    let sb = Sandbox::new();
    let url = format!("sqlite://{}/nw.db?mode=rwc", sb.dir.path().display());
    let (mut proc, port) = serve(&sb, &url, &[]);
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
    let endpoint = format!("http://127.0.0.1:{port}/api/v1/alerts/alertmanager");
    // Four senders stream requests until the engine dies under them.
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<usize>::new()));
    let mut senders = Vec::new();
    for s in 0..4 {
        let (acked, endpoint, token) = (acked.clone(), endpoint.clone(), token.clone());
        senders.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for i in 0.. {
                let id = s * 1_000_000 + i;
                match client
                    .post(&endpoint)
                    .bearer_auth(&token)
                    .json(&valid(id, 5))
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => acked.lock().unwrap().push(id),
                    Ok(_) => {}
                    Err(_) => return, // connection refused: the engine is gone
                }
            }
        }));
    }
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    while acked.lock().unwrap().len() < 200 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no alerts acknowledged within 60 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    std::process::Command::new("kill")
        .args(["-9", &proc.0.id().to_string()])
        .status()
        .unwrap();
    let _ = proc.0.wait();
    for s in senders {
        s.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let store = Store::connect(&url, &ConnectOptions::default())
        .await
        .unwrap();
    let q = EventQuery {
        limit: 1_000_000,
        ..EventQuery::default()
    };
    let events = store.list_events(&q).await.unwrap();
    let mut per_req: BTreeMap<String, usize> = BTreeMap::new();
    // Only the alerts this test sent (the engine's own host inspections may add events too).
    for e in events.iter().filter(|e| e.source == "alertmanager") {
        *per_req.entry(e.labels["req"].clone()).or_default() += 1;
    }
    for id in &acked {
        assert_eq!(
            per_req.get(&id.to_string()),
            Some(&5),
            "request {id} was acknowledged: all 5 alerts must be stored"
        );
    }
    for (req, n) in &per_req {
        assert_eq!(
            *n, 5,
            "request {req}: a request is stored whole or not at all"
        );
    }
    eprintln!(
        "acknowledged {} requests before kill -9; stored {} requests",
        acked.len(),
        per_req.len()
    );
}
