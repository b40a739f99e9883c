//! Ingest throughput and latency on the embedded SQLite, in release mode.
//!
//! Prints, from one run on one machine:
//! 1. raw: the fastest plain insert of the same rows into a migrated SQLite database (multi-row
//!    `INSERT`, 1,000 rows per statement, one transaction): rows/s;
//! 2. endpoint: alerts/s through `POST /api/v1/alerts/alertmanager` (batches of 50 alerts per
//!    request, SENDERS concurrent senders, every alert new), and that as a share of (1);
//! 3. latency: p50/p99/max request latency at a paced 200 requests/s (50 alerts each);
//! 4. duplicates against new alerts, in the same run, on SQLite and (when
//!    `NIGHTWATCH_TEST_POSTGRES_URL` is set) PostgreSQL: the same bodies sent twice to a fresh
//!    database, first as new events, then every alert a repeat (one multi-row UPDATE per batch);
//!    the duplicate rate as a share of the new rate.
//!
//! Run: `cargo bench --bench ingest`. Env: ALERTS (default 100000), SENDERS (default 8),
//! PACED_SECS (default 10), DUP_ALERTS (default 50000).

use std::time::{Duration, Instant};

use nightwatch::engine::Engine;
use nightwatch::settings::Settings;
use nightwatch::store::{ConnectOptions, Store};
use nightwatch::sysconfig::SysConfig;
use tokio_util::sync::CancellationToken;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn alert(i: usize) -> serde_json::Value {
    serde_json::json!({
        "status": "firing",
        "labels": {"alertname": "BenchAlert", "instance": format!("host-{i}"), "level": "P1", "ds_type": "STACK#ecs"},
        "annotations": {"summary": format!("bench alert {i}"), "description": "load test"},
        "startsAt": "2026-11-21T00:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.local/graph",
        "fingerprint": format!("{i:016x}")
    })
}

fn body(from: usize, n: usize) -> Vec<u8> {
    let alerts: Vec<_> = (from..from + n).map(alert).collect();
    serde_json::to_vec(&serde_json::json!({"version": "4", "status": "firing", "receiver": "nw", "alerts": alerts}))
        .unwrap_or_default()
}

async fn fresh(dir: &std::path::Path, name: &str) -> (Settings, Store) {
    let mut s = Settings::default();
    s.paths.data_dir = dir.join("data");
    s.database.url = format!("sqlite://{}/{name}.db?mode=rwc", dir.display());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0);
    s.engine.listen = format!("127.0.0.1:{port}").parse().expect("addr");
    let store = Store::connect(&s.database_url(), &ConnectOptions::default())
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    (s, store)
}

/// The raw baseline: the same rows (as ingest would write them) with sqlx directly.
async fn raw_insert(url: &str, rows: usize) -> f64 {
    use sqlx::Connection as _;
    let mut conn = sqlx::SqliteConnection::connect(url)
        .await
        .expect("raw connect");
    sqlx::query("PRAGMA journal_mode = WAL")
        .execute(&mut conn)
        .await
        .expect("wal");
    sqlx::query("PRAGMA synchronous = NORMAL")
        .execute(&mut conn)
        .await
        .expect("sync");
    let cols = "fingerprint, source, ds_type, level, title, summary, labels, annotations, component, status, firing, \
                first_seen, last_seen, count, flips, flip_window_start, flapping, assignee, original_level, source_url, updated_at";
    let one = format!("({})", vec!["?"; 21].join(", "));
    let t0 = Instant::now();
    let mut tx = conn.begin().await.expect("begin");
    for start in (0..rows).step_by(1000) {
        let n = 1000.min(rows - start);
        let sql = format!(
            "INSERT INTO risk_events ({cols}) VALUES {}",
            vec![one.as_str(); n].join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for i in start..start + n {
            let a = alert(i);
            q = q
                .bind(format!("am:{i:016x}"))
                .bind("alertmanager")
                .bind("STACK#ecs")
                .bind("P1")
                .bind(format!("bench alert {i}"))
                .bind("load test")
                .bind(a["labels"].to_string())
                .bind(a["annotations"].to_string())
                .bind(format!("host-{i}"))
                .bind("open")
                .bind(1_i64)
                .bind(0_i64)
                .bind(0_i64)
                .bind(1_i64)
                .bind(0_i64)
                .bind(0_i64)
                .bind(0_i64)
                .bind("")
                .bind("P1")
                .bind("http://prometheus.local/graph")
                .bind(0_i64);
        }
        q.execute(&mut *tx).await.expect("insert");
    }
    tx.commit().await.expect("commit");
    rows as f64 / t0.elapsed().as_secs_f64()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize)
        .saturating_sub(1)
        .min(sorted.len() - 1)]
}

/// Send `bodies` with `senders` concurrent senders; alerts/s (503s retried).
async fn send_all(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    bodies: Vec<Vec<u8>>,
    senders: usize,
) -> f64 {
    let alerts = bodies.len() * 50;
    let bodies = std::sync::Arc::new(bodies);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..senders {
        let (client, url, token, bodies, next) = (
            client.clone(),
            url.to_owned(),
            token.to_owned(),
            bodies.clone(),
            next.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(b) = bodies.get(i) else { return };
                loop {
                    let r = client
                        .post(&url)
                        .bearer_auth(&token)
                        .body(b.clone())
                        .send()
                        .await
                        .expect("send");
                    if r.status().is_success() {
                        break;
                    }
                    assert_eq!(r.status().as_u16(), 503, "only 503 may be retried");
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("sender");
    }
    alerts as f64 / t0.elapsed().as_secs_f64()
}

/// The same `alerts` sent twice: (new alerts/s, duplicates alerts/s). Checks every repeat counted.
async fn duplicates_vs_new(
    _settings: &Settings,
    store: &Store,
    url: &str,
    token: &str,
    client: &reqwest::Client,
    alerts: usize,
    senders: usize,
) -> (f64, f64) {
    let bodies: Vec<Vec<u8>> = (0..alerts / 50)
        .map(|r| body(50_000_000 + r * 50, 50))
        .collect();
    let before = store
        .count_events(&nightwatch::domain::event::EventQuery::default())
        .await
        .expect("count");
    let new = send_all(client, url, token, bodies.clone(), senders).await;
    let dup = send_all(client, url, token, bodies, senders).await;
    let after = store
        .count_events(&nightwatch::domain::event::EventQuery::default())
        .await
        .expect("count");
    assert_eq!(
        (after - before) as usize,
        alerts / 50 * 50,
        "the repeats made no new events"
    );
    // This scenario's first thousand alerts ("bench alert 50000000"…): other scenarios are newer.
    let q = nightwatch::domain::event::EventQuery {
        text: vec!["alert 500000".into()],
        limit: 50,
        ..nightwatch::domain::event::EventQuery::default()
    };
    let newest = store.list_events(&q).await.expect("list");
    assert!(
        !newest.is_empty() && newest.iter().all(|e| e.count == 2),
        "every repeat counted once: {:?}",
        newest
            .iter()
            .map(|e| (&e.title, &e.fingerprint, e.count))
            .take(5)
            .collect::<Vec<_>>()
    );
    (new, dup)
}

#[tokio::main]
async fn main() {
    let alerts = env("ALERTS", 100_000);
    let senders = env("SENDERS", 8);
    let paced_secs = env("PACED_SECS", 10);
    let dir = tempfile::tempdir().expect("tmp");
    println!(
        "machine: {} cores; SQLite embedded (WAL, synchronous=NORMAL)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let (raw_settings, raw_store) = fresh(dir.path(), "raw").await;
    raw_store.close().await;
    let raw = raw_insert(&raw_settings.database_url(), alerts).await;
    println!(
        "raw multi-row INSERT (1,000 rows/statement, one transaction): {raw:.0} rows/s ({alerts} rows)"
    );

    let (settings, store) = fresh(dir.path(), "ingest").await;
    let engine = Engine::start(&settings, store.clone(), CancellationToken::new())
        .await
        .expect("engine");
    let (_, auth) = SysConfig::from_settings(store.clone(), &settings)
        .effective("INGEST_AUTH")
        .await
        .expect("auth");
    let token = auth["alertmanager"]["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let url = format!("http://{}/api/v1/alerts/alertmanager", engine.listen);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(senders * 2)
        .build()
        .expect("client");

    let requests = alerts / 50;
    let bodies: Vec<Vec<u8>> = (0..requests)
        .map(|r| body(1_000_000 + r * 50, 50))
        .collect();
    let bodies = std::sync::Arc::new(bodies);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..senders {
        let (client, url, token, bodies, next) = (
            client.clone(),
            url.clone(),
            token.clone(),
            bodies.clone(),
            next.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut retries = 0_u64;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(b) = bodies.get(i) else {
                    return retries;
                };
                loop {
                    let r = client
                        .post(&url)
                        .bearer_auth(&token)
                        .body(b.clone())
                        .send()
                        .await
                        .expect("send");
                    if r.status().is_success() {
                        break;
                    }
                    assert_eq!(r.status().as_u16(), 503, "only 503 may be retried");
                    retries += 1;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        }));
    }
    let mut retries = 0;
    for t in tasks {
        retries += t.await.expect("sender");
    }
    let secs = t0.elapsed().as_secs_f64();
    let rate = (requests * 50) as f64 / secs;
    let stored = store
        .count_events(&nightwatch::domain::event::EventQuery::default())
        .await
        .expect("count");
    assert_eq!(
        stored as usize,
        requests * 50,
        "every acknowledged alert is stored"
    );
    println!(
        "endpoint (Alertmanager v4, 50 alerts/request, {senders} senders): {rate:.0} alerts/s ({} alerts in {secs:.2} s, {retries} 503-retries) = {:.0} % of raw",
        requests * 50,
        rate / raw * 100.0
    );

    let dup_alerts = env("DUP_ALERTS", 50_000);
    let sqlite_dup = duplicates_vs_new(
        &settings, &store, &url, &token, &client, dup_alerts, senders,
    )
    .await;
    engine.shutdown().await;
    let mut lines = vec![("sqlite", sqlite_dup)];
    if let Ok(pg) = std::env::var("NIGHTWATCH_TEST_POSTGRES_URL") {
        let base = pg.rsplit_once('/').map_or(pg.as_str(), |(b, _)| b);
        let pg_url = format!("{base}/nw_bench_ingest_{}", std::process::id());
        nightwatch::store::create_database(&pg_url)
            .await
            .expect("create pg database");
        let mut pg_settings = settings.clone();
        pg_settings.database.url = pg_url.clone();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(0);
        pg_settings.engine.listen = format!("127.0.0.1:{port}").parse().expect("addr");
        let pg_store = Store::connect(&pg_url, &ConnectOptions::default())
            .await
            .expect("connect pg");
        pg_store.migrate().await.expect("migrate pg");
        let pg_engine = Engine::start(&pg_settings, pg_store.clone(), CancellationToken::new())
            .await
            .expect("engine pg");
        let (_, auth) = SysConfig::from_settings(pg_store.clone(), &pg_settings)
            .effective("INGEST_AUTH")
            .await
            .expect("auth");
        let pg_token = auth["alertmanager"]["token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let pg_endpoint = format!("http://{}/api/v1/alerts/alertmanager", pg_engine.listen);
        let r = duplicates_vs_new(
            &pg_settings,
            &pg_store,
            &pg_endpoint,
            &pg_token,
            &client,
            dup_alerts,
            senders,
        )
        .await;
        lines.push(("postgres", r));
        pg_engine.shutdown().await;
        pg_store.close().await;
        let _ = nightwatch::store::drop_database(&pg_url).await;
    } else {
        println!(
            "(PostgreSQL: NIGHTWATCH_TEST_POSTGRES_URL not set, duplicates measured on SQLite only)"
        );
    }
    for (backend, (new, dup)) in lines {
        println!(
            "{backend:<8} duplicates vs new ({dup_alerts} alerts, 50/request, {senders} senders): new {new:.0} alerts/s, duplicates {dup:.0} alerts/s = {:.0} % of new",
            dup / new * 100.0
        );
    }

    // Paced (SQLite, a fresh engine): 200 requests/s, each 50 new alerts; latency from send to 2xx (commit included).
    let (settings, store) = fresh(dir.path(), "paced").await;
    let engine = Engine::start(&settings, store.clone(), CancellationToken::new())
        .await
        .expect("engine");
    let (_, auth) = SysConfig::from_settings(store.clone(), &settings)
        .effective("INGEST_AUTH")
        .await
        .expect("auth");
    let token = auth["alertmanager"]["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let url = format!("http://{}/api/v1/alerts/alertmanager", engine.listen);
    let total = 200 * paced_secs;
    let mut latencies = Vec::with_capacity(total);
    let mut handles = Vec::with_capacity(total);
    let start = tokio::time::Instant::now();
    for i in 0..total {
        tokio::time::sleep_until(start + Duration::from_micros(5_000 * i as u64)).await;
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        let b = body(10_000_000 + i * 50, 50);
        handles.push(tokio::spawn(async move {
            let t = Instant::now();
            let r = client
                .post(&url)
                .bearer_auth(&token)
                .body(b)
                .send()
                .await
                .expect("send");
            assert!(
                r.status().is_success(),
                "paced request failed: {}",
                r.status()
            );
            t.elapsed()
        }));
    }
    for h in handles {
        latencies.push(h.await.expect("paced"));
    }
    latencies.sort();
    println!(
        "latency at 200 requests/s x 50 alerts for {paced_secs} s: p50 {:.1?}, p99 {:.1?}, max {:.1?} ({} requests)",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        latencies[latencies.len() - 1],
        latencies.len()
    );
    engine.shutdown().await;
}
