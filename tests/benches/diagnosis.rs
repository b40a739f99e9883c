//! Diagnosis throughput, in release mode, on the embedded SQLite. A 5-node tree (five `tcp` probe
//! nodes in a row, each on the event's component, a loopback listener) concludes for every
//! event. Prints, from one run on one machine:
//! 1. queue: RUNS (default 500) runs queued at once and worked off by the engine's own worker
//!    loop (`diagnose::work_loop`: claim with a lease, walk, record trace and timeline entry; at
//!    most `diagnose::CONCURRENCY` at once), wall time from the first queue to the last finish;
//! 2. walk: the same walks without the queue (`diagnose::walk` at the same concurrency), the
//!    probes' own cost; the ratio says what the queue and the records add.
//!
//! Run: `cargo bench --bench diagnosis`. Env: RUNS.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use nightwatch::domain::content::{Targets, load_bundle};
use nightwatch::domain::event::{Incoming, Level};
use nightwatch::domain::time::now_ms;
use nightwatch::engine::diagnose::{self, Diagnoser};
use nightwatch::store::{ConnectOptions, IngestItem, NewDiagnosis, Store};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn content(port: u16) -> String {
    let mut s = format!(
        "[[component]]\nname = \"svc-1\"\nkind = \"svc\"\nlayer = \"business\"\n\
         endpoints = {{ host = \"127.0.0.1\", port = {port} }}\n\n\
         [[tree]]\nname = \"five\"\ntitle = \"five checks in a row\"\nroot = \"n1\"\n"
    );
    for i in 1..=5 {
        let next = if i == 5 {
            "up".to_owned()
        } else {
            format!("n{}", i + 1)
        };
        s.push_str(&format!(
            "[[tree.node]]\nid = \"n{i}\"\nprobe = {{ kind = \"tcp\" }}\n\
             condition = \"[CONNECTED] == true\"\ntimeout = \"2s\"\npass = \"{next}\"\nfail = \"down\"\n"
        ));
    }
    s.push_str(
        "[[tree.conclusion]]\nid = \"up\"\nlevel = \"P3\"\ncause = \"{{node.n5.target}} answers\"\n\
         [[tree.conclusion]]\nid = \"down\"\nlevel = \"P1\"\ncause = \"{{event.target}} does not answer\"\n\n\
         [[scenario]]\nname = \"bench\"\nmatch = { labels = { alertname = \"Bench\" } }\ntree = \"five\"\n",
    );
    s
}

fn item(i: usize) -> IngestItem {
    IngestItem {
        incoming: Incoming {
            fingerprint: format!("bench-{i}"),
            source: "alertmanager".into(),
            ds_type: "PROM".into(),
            level: Level::P1,
            title: format!("bench {i}"),
            summary: String::new(),
            labels: [("alertname".to_owned(), "Bench".to_owned())].into(),
            annotations: Default::default(),
            component: "svc-1".into(),
            firing: true,
            starts_at: 1,
            source_url: String::new(),
        },
        keep: true,
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let runs = env("RUNS", 500);
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/nw.db?mode=rwc", dir.path().display());
    let store = Store::connect(&url, &ConnectOptions::default())
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    // The target: a loopback listener that accepts and closes.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            drop(s);
        }
    });
    let bundle = load_bundle(
        &[("bench.toml".into(), content(port))],
        &[],
        &[],
        Targets::MustExist,
        &nightwatch::commands::check_probe,
    )
    .expect("bench content validates");
    store
        .apply_bundle(&bundle, false, "bench", now_ms())
        .await
        .expect("apply");
    let items: Vec<IngestItem> = (0..runs).map(item).collect();
    store
        .ingest_batch(&items, &[], now_ms())
        .await
        .expect("events");
    let events: Vec<i64> = store
        .alerting_logs_after(0, i64::try_from(runs).unwrap_or(i64::MAX))
        .await
        .expect("logs")
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    assert_eq!(events.len(), runs);
    let probe = nightwatch::engine::probe_fn();

    // 1. Through the queue, worked off by the engine's worker loop.
    let d = Diagnoser {
        store: store.clone(),
        probe: Arc::clone(&probe),
        config: None,
        worker: "bench".into(),
        lease_ms: diagnose::LEASE_MS,
    };
    let cancel = tokio_util::sync::CancellationToken::new();
    let wake = Arc::new(tokio::sync::Notify::new());
    let started = Instant::now();
    for (i, e) in events.iter().enumerate() {
        store
            .queue_diagnosis(
                &NewDiagnosis {
                    event_id: *e,
                    tree: "five".into(),
                    scenario: "bench".into(),
                    dedup: format!("manual:{i}"),
                    source_log: 0,
                    requested_by: "bench".into(),
                },
                now_ms(),
            )
            .await
            .expect("queue");
    }
    let queued = started.elapsed();
    let worker = tokio::spawn(diagnose::work_loop(d, Arc::clone(&wake), cancel.clone()));
    wake.notify_one();
    loop {
        let rows = store
            .list_diagnoses(None, i64::try_from(runs).unwrap_or(i64::MAX))
            .await
            .expect("list");
        let done = rows.iter().filter(|r| r.status == "done").count();
        if done == runs {
            assert!(
                rows.iter().all(|r| r.conclusion == "up"),
                "every walk concluded up"
            );
            break;
        }
        assert!(
            rows.iter()
                .all(|r| matches!(r.status.as_str(), "queued" | "running" | "done")),
            "no run failed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let through_queue = started.elapsed();
    cancel.cancel();
    worker.await.expect("worker");

    // 2. The walks alone, at the same concurrency.
    let trees = store.tree_definitions().await.expect("trees");
    let tree = trees.iter().find(|t| t.name == "five").expect("tree");
    let components = store.list_components().await.expect("components");
    let event = store.get_event(events[0]).await.expect("event");
    let started = Instant::now();
    let concluded = futures::stream::iter(0..runs)
        .map(|_| diagnose::walk(tree, &event, &components, &probe, None))
        .buffer_unordered(diagnose::CONCURRENCY)
        .filter(|t| std::future::ready(t.conclusion.as_ref().is_some_and(|c| c.id == "up")))
        .count()
        .await;
    let walks = started.elapsed();
    assert_eq!(concluded, runs);

    let rate = |d: Duration| runs as f64 / d.as_secs_f64();
    println!(
        "diagnosis: {runs} runs of a 5-node tree (5 tcp probes each, loopback), concurrency {}",
        diagnose::CONCURRENCY
    );
    println!(
        "  through the queue (engine worker loop, SQLite): {:.1} runs/s ({} ms; queuing {} ms)",
        rate(through_queue),
        through_queue.as_millis(),
        queued.as_millis()
    );
    println!(
        "  walks alone (no queue, no records):             {:.1} runs/s ({} ms)",
        rate(walks),
        walks.as_millis()
    );
    println!(
        "  queue and records cost: {:.2}x the walks' time",
        through_queue.as_secs_f64() / walks.as_secs_f64()
    );
}
