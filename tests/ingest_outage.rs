//! A database outage answers promptly: a private MariaDB and a private PostgreSQL are stopped for
//! 30 s while 20 senders post. Every request is answered within the bound
//! (`ingest.request_timeout_secs`, 10 s, plus scheduling slack); once the breaker is open, requests
//! are answered 503 + Retry-After within 1 s; every alert that got a 2xx is stored; ingest recovers
//! when the database is back, without a restart.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::private_db::PrivateDb;
use common::{Sandbox, free_port};
use nightwatch::domain::event::{EventQuery, Status};
use nightwatch::engine::Engine;
use nightwatch::settings::Settings;
use nightwatch::store::{ConnectOptions, Store};
use nightwatch::sysconfig::SysConfig;
use serde_json::json;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

const SENDERS: usize = 20;
const OUTAGE: Duration = Duration::from_secs(30);

/// One answered request.
#[derive(Debug, Clone)]
struct Answer {
    fingerprint: String,
    code: u16,
    retry_after: bool,
    started: Instant,
    took: Duration,
    /// The breaker was open when the request was sent.
    breaker_open_at_send: bool,
}

fn body(fp: &str) -> serde_json::Value {
    json!({"version": "4", "status": "firing", "receiver": "nw", "groupKey": "{}", "alerts": [{
        "status": "firing",
        "labels": {"alertname": fp, "level": "P1"},
        "annotations": {"summary": fp},
        "startsAt": "2026-11-21T00:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": fp,
    }]})
}

async fn outage(mut server: PrivateDb) {
    let url = server.url("nw");
    nightwatch::store::create_database(&url).await.unwrap();
    let sb = Sandbox::new();
    let mut s = Settings::default();
    s.paths.data_dir = sb.dir.path().join("data");
    s.database.url = url.clone();
    s.engine.listen = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let store = Store::connect(&url, &ConnectOptions::default())
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
    let token = auth["alertmanager"]["token"].as_str().unwrap().to_owned();
    let am = format!("http://{}/api/v1/alerts/alertmanager", engine.listen);
    let breaker = Arc::clone(&engine.metrics.ingest_breaker_open);
    let stop = Arc::new(AtomicBool::new(false));
    let answers = Arc::new(Mutex::new(Vec::<Answer>::new()));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let mut senders = Vec::new();
    for sender in 0..SENDERS {
        let (client, am, token) = (client.clone(), am.clone(), token.clone());
        let (stop, answers, breaker) = (stop.clone(), answers.clone(), breaker.clone());
        senders.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let fingerprint = format!("s{sender}-{n}");
                let breaker_open_at_send = breaker.load(Ordering::Relaxed);
                let started = Instant::now();
                let r = client
                    .post(&am)
                    .bearer_auth(&token)
                    .json(&body(&fingerprint))
                    .send()
                    .await
                    .unwrap();
                let took = started.elapsed();
                let answer = Answer {
                    fingerprint,
                    code: r.status().as_u16(),
                    retry_after: r.headers().contains_key("retry-after"),
                    started,
                    took,
                    breaker_open_at_send,
                };
                answers.lock().await.push(answer);
                // A sender's pace, not a wait for a condition: ~10 requests/s per sender.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }));
    }
    // Traffic flows; then the database goes away for 30 s.
    let flowing = Instant::now();
    while answers
        .lock()
        .await
        .iter()
        .filter(|a| a.code == 200)
        .count()
        < 40
    {
        assert!(
            flowing.elapsed() < Duration::from_secs(30),
            "no 200s before the outage"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let down_at = Instant::now();
    let mut server = tokio::task::spawn_blocking(move || {
        server.stop();
        server
    })
    .await
    .unwrap();
    let stopped_in = down_at.elapsed();
    tokio::time::sleep(OUTAGE).await;
    assert!(
        breaker.load(Ordering::Relaxed),
        "the breaker is open during the outage"
    );
    let up_at = Instant::now();
    let server = tokio::task::spawn_blocking(move || {
        server.start();
        server
    })
    .await
    .unwrap();
    // Recovery without a restart: 200s again.
    let recovered = loop {
        let ok = answers
            .lock()
            .await
            .iter()
            .any(|a| a.started > up_at && a.code == 200);
        if ok {
            break up_at.elapsed();
        }
        assert!(
            up_at.elapsed() < Duration::from_secs(30),
            "ingest did not recover within 30 s of the database's return"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    for s in senders {
        s.await.unwrap();
    }
    let answers = answers.lock().await.clone();
    let during: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.started > down_at && a.started < up_at)
        .collect();
    let slowest = answers.iter().map(|a| a.took).max().unwrap();
    let slowest_open = answers
        .iter()
        .filter(|a| a.breaker_open_at_send)
        .map(|a| a.took)
        .max()
        .unwrap_or_default();
    let refused = answers.iter().filter(|a| a.code == 503).count();
    eprintln!(
        "{} requests ({} during the outage, {refused} answered 503); stop took {stopped_in:?}; \
         slowest answer {slowest:?}; slowest with the breaker open {slowest_open:?}; 200s again \
         {recovered:?} after the database was back",
        answers.len(),
        during.len(),
    );
    for a in &answers {
        assert!(a.code == 200 || a.code == 503, "{a:?}");
        assert!(
            a.code == 200 || a.retry_after,
            "a 503 says when to retry: {a:?}"
        );
        assert!(
            a.took <= Duration::from_secs(11),
            "answered within the 10 s bound (+1 s slack): {a:?}"
        );
        if a.breaker_open_at_send {
            assert_eq!(a.code, 503, "{a:?}");
            assert!(
                a.took < Duration::from_secs(1),
                "with the breaker open the answer is immediate: {a:?}"
            );
        }
    }
    assert!(
        during.iter().filter(|a| a.breaker_open_at_send).count() > 100,
        "most of the outage ran with the breaker open"
    );
    // Every 2xx is stored.
    let store = Store::connect(&server.url("nw"), &ConnectOptions::default())
        .await
        .unwrap();
    let stored: std::collections::BTreeSet<String> = store
        .list_events(&EventQuery {
            statuses: Status::ALL.to_vec(),
            limit: 100_000,
            ..EventQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.title)
        .collect();
    for a in answers.iter().filter(|a| a.code == 200) {
        assert!(
            stored.contains(&a.fingerprint),
            "answered 200 but not stored: {a:?}"
        );
    }
    engine.shutdown().await;
    store.close().await;
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_outage_answers_promptly_and_loses_no_2xx() {
    let Some(server) = PrivateDb::mariadb(&[]) else {
        return;
    };
    outage(server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_answers_promptly_and_loses_no_2xx() {
    let Some(server) = PrivateDb::postgres() else {
        return;
    };
    outage(server).await;
}
