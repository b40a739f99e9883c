//! Leases by the database's clock: three `nightwatch serve` engines on MariaDB and on PostgreSQL,
//! one of them with its clock skewed by `faketime` (+60 s on MariaDB, -60 s on PostgreSQL). Never
//! two masters; the skewed engine never preempts a healthy master; after `kill -9` of the master
//! another engine takes over within 15 s. A start that fails gives back its row and the lease.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use std::time::{Duration, Instant};

use common::{Backend, Proc, Sandbox, TestDb, require_program, serve};
use nightwatch::store::Store;

const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

struct Engine {
    proc: Proc,
    port: u16,
    skewed: bool,
}

impl Engine {
    fn pid_tag(&self) -> String {
        format!(":{}:", self.proc.0.id())
    }
}

async fn says_master(client: &reqwest::Client, port: u16) -> Option<bool> {
    let r = client
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .ok()?;
    let v: serde_json::Value = r.json().await.ok()?;
    v["master"].as_bool()
}

/// Watch for `span`: at every sample at most one live engine says it is master, and the lease row
/// names `holder` with term `term` throughout.
async fn steady(
    store: &Store,
    client: &reqwest::Client,
    engines: &[&Engine],
    holder: &str,
    term: i64,
    span: Duration,
) {
    let until = Instant::now() + span;
    while Instant::now() < until {
        let lease = store.get_lease("master").await.unwrap().unwrap();
        assert!(
            lease.holder.contains(holder) && lease.term == term,
            "the lease stays with {holder} (term {term}): {lease:?}"
        );
        let mut masters = 0;
        for e in engines {
            masters += usize::from(says_master(client, e.port).await == Some(true));
        }
        assert!(masters <= 1, "{masters} engines say they are master");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn three_engines(backend: Backend, skew: &str) {
    if !require_program(LIBFAKETIME, "faketime") {
        return;
    }
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let store = db.store().await;
    store.migrate().await.unwrap();
    // One data directory: the engines share the estate's key (see the shared-estate recipe).
    let sb = Sandbox::new();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let (proc, port) = serve(&sb, &db.url, &[]);
    let a = Engine {
        proc,
        port,
        skewed: false,
    };
    let waiting = Instant::now();
    while !store
        .get_lease("master")
        .await
        .unwrap()
        .is_some_and(|l| l.holder.contains(&a.pid_tag()))
    {
        assert!(waiting.elapsed() < Duration::from_secs(30), "no master");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let first = store.get_lease("master").await.unwrap().unwrap();
    let (proc, port) = serve(&sb, &db.url, &[]);
    let b = Engine {
        proc,
        port,
        skewed: false,
    };
    let skewed_env = [
        ("LD_PRELOAD", LIBFAKETIME),
        ("FAKETIME", skew),
        ("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
    ];
    let (proc, port) = serve(&sb, &db.url, &skewed_env);
    let c = Engine {
        proc,
        port,
        skewed: true,
    };
    // faketime took: the skewed engine's heartbeat (its own clock) is a minute off.
    let instances = store.list_instances().await.unwrap();
    let beat = |e: &Engine| {
        instances
            .iter()
            .find(|i| i.id.contains(&e.pid_tag()))
            .map(|i| i.heartbeat_at)
            .unwrap()
    };
    assert!(
        (beat(&c) - beat(&b)).abs() > 50_000,
        "the third engine runs {skew}: {} vs {}",
        beat(&c),
        beat(&b)
    );
    // Three lease periods (3 s each in tests): nobody preempts the healthy master.
    steady(
        &store,
        &client,
        &[&a, &b, &c],
        &a.pid_tag(),
        first.term,
        Duration::from_secs(9),
    )
    .await;

    // kill -9 the master: another engine takes over within 15 s, with a higher term.
    let mut a = a;
    let killed = Instant::now();
    a.proc.0.kill().unwrap();
    a.proc.0.wait().unwrap();
    let new = loop {
        let lease = store.get_lease("master").await.unwrap().unwrap();
        if lease.term > first.term {
            break lease;
        }
        assert!(
            killed.elapsed() < Duration::from_secs(15),
            "no takeover within 15 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let took = killed.elapsed();
    let winner = if new.holder.contains(&b.pid_tag()) {
        &b
    } else {
        &c
    };
    assert!(new.holder.contains(&winner.pid_tag()), "{new:?}");
    eprintln!(
        "{backend:?}, skew {skew}: takeover {took:?} after kill -9 (heartbeat 1 s, lease 3 s), \
         won by the {} engine",
        if winner.skewed { "skewed" } else { "healthy" }
    );
    steady(
        &store,
        &client,
        &[&b, &c],
        &winner.pid_tag(),
        new.term,
        Duration::from_secs(9),
    )
    .await;
    drop((b, c));
    store.close().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_three_engines_one_a_minute_ahead() {
    three_engines(Backend::MySql, "+60s").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_three_engines_one_a_minute_behind() {
    three_engines(Backend::Postgres, "-60s").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_three_engines_one_a_minute_ahead() {
    three_engines(Backend::Postgres, "+60s").await;
}

/// A start that fails after the engine registered (here: the configuration holds a secret sealed
/// with another data directory's key) leaves no row and no lease.
#[tokio::test]
async fn a_failed_start_gives_back_its_row_and_the_lease() {
    let db = TestDb::create(Backend::Sqlite).await.unwrap();
    let store = db.store().await;
    store.migrate().await.unwrap();
    // A value nobody can decrypt: loading the configuration fails after the first beat.
    let sb = Sandbox::new();
    let (ok, out) = sb.run(&["--database-url", &db.url, "config", "set", "--reason", "test", "RMS_CONFIG",
        r#"{"hostEffective": true, "hostName": "rms", "rmsKernelOutsideTenantId": "paas_outsidetenant_id", "token": "t0k3n", "version": "v3"}"#]);
    assert!(ok, "{out}");
    let other = Sandbox::new(); // another data directory: another key
    let out = other
        .command()
        .args([
            "--database-url",
            &db.url,
            "--listen",
            "127.0.0.1:0",
            "serve",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success(), "the start fails");
    assert!(
        store.list_instances().await.unwrap().is_empty(),
        "no nw_component row left: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lease = store.get_lease("master").await.unwrap();
    assert!(
        lease
            .as_ref()
            .is_none_or(|l| l.expires_at == 0 || l.holder.is_empty()),
        "the lease is free: {lease:?}"
    );
    store.close().await;
}
