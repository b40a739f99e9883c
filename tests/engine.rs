//! The engine from outside: `nightwatch serve` as a real process on the embedded SQLite.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use std::process::Child;
use std::time::{Duration, Instant};

use common::{Sandbox, free_port};
use nightwatch::store::{ConnectOptions, Store};

/// A `serve` process (killed if the test fails before stopping it) and its port.
struct Serve {
    proc: common::Proc,
    port: u16,
}

/// Start `serve` and wait until it listens.
fn serve(sb: &Sandbox, db_url: &str) -> Serve {
    let (proc, port) = common::serve(sb, db_url, &[]);
    Serve { proc, port }
}

fn signal(child: &Child, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "engine did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
}

async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn db(sb: &Sandbox) -> String {
    format!("sqlite://{}/nw.db?mode=rwc", sb.dir.path().display())
}

#[tokio::test]
async fn serve_answers_health_and_metrics_registers_and_is_master() {
    let sb = Sandbox::new();
    let mut s = serve(&sb, &db(&sb));
    let base = format!("http://127.0.0.1:{}", s.port);
    let health: serde_json::Value = reqwest::get(format!("{base}/healthz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["service"], "nightwatch");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["pid"], s.proc.0.id());

    let store = Store::connect(&db(&sb), &ConnectOptions::default())
        .await
        .unwrap();
    let instances = store.list_instances().await.unwrap();
    assert_eq!(instances.len(), 1);
    assert_eq!(instances[0].pid, i64::from(s.proc.0.id()));
    assert_eq!(instances[0].listen, format!("127.0.0.1:{}", s.port));
    assert_eq!(
        store.count_leases().await.unwrap(),
        1,
        "nw_master_vote holds exactly one row"
    );
    let lease = store.get_lease("master").await.unwrap().unwrap();
    assert_eq!(lease.holder, instances[0].id);
    assert_eq!(lease.hostname, instances[0].hostname);

    let first = instances[0].heartbeat_at;
    until("a second heartbeat", || {
        let store = store.clone();
        async move { store.list_instances().await.unwrap()[0].heartbeat_at > first }
    })
    .await;

    let metrics = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = metrics.text().await.unwrap();
    assert!(text.contains("nightwatch_is_master 1"), "{text}");
    assert!(text.contains("nightwatch_database_up 1"), "{text}");
    let beats: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("nightwatch_heartbeats_total "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(beats >= 2, "{text}");

    signal(&s.proc.0, "-TERM");
    assert!(
        wait_exit(&mut s.proc.0).success(),
        "SIGTERM is a clean stop"
    );
    assert!(
        store.list_instances().await.unwrap().is_empty(),
        "deregistered on shutdown"
    );
    assert!(
        store.get_lease("master").await.unwrap().unwrap().expires_at == 0,
        "lease released"
    );
}

#[tokio::test]
async fn two_engines_one_master_and_failover_on_sighup() {
    let sb = Sandbox::new();
    let mut a = serve(&sb, &db(&sb));
    let mut b = serve(&sb, &db(&sb));
    let store = Store::connect(&db(&sb), &ConnectOptions::default())
        .await
        .unwrap();
    until("both registered", || {
        let store = store.clone();
        async move { store.list_instances().await.unwrap().len() == 2 }
    })
    .await;
    let lease = store.get_lease("master").await.unwrap().unwrap();
    assert_eq!(store.count_leases().await.unwrap(), 1);
    let (master, standby) = if lease.holder.contains(&format!(":{}:", a.proc.0.id())) {
        (&mut a, &mut b)
    } else {
        (&mut b, &mut a)
    };
    let first_term = lease.term;
    // SIGHUP (an SSH session ending) stops the master cleanly; the standby takes over.
    signal(&master.proc.0, "-HUP");
    assert!(wait_exit(&mut master.proc.0).success());
    let standby_pid = format!(":{}:", standby.proc.0.id());
    until("the standby becomes master", || {
        let store = store.clone();
        let pid = standby_pid.clone();
        async move {
            store
                .get_lease("master")
                .await
                .unwrap()
                .is_some_and(|l| l.holder.contains(&pid) && l.expires_at > 0)
        }
    })
    .await;
    assert!(
        store.get_lease("master").await.unwrap().unwrap().term > first_term,
        "fencing token grew"
    );
    signal(&standby.proc.0, "-INT");
    assert!(wait_exit(&mut standby.proc.0).success());
}

#[tokio::test]
async fn a_taken_port_is_reported_with_its_owner() {
    let sb = Sandbox::new();
    let mut first = serve(&sb, &db(&sb));
    let out = sb
        .command()
        .args([
            "--database-url",
            &db(&sb),
            "--listen",
            &format!("127.0.0.1:{}", first.port),
            "serve",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("already in use by a nightwatch engine"),
        "{err}"
    );
    signal(&first.proc.0, "-TERM");
    wait_exit(&mut first.proc.0);
}

#[test]
fn non_loopback_listen_is_refused_without_auth() {
    let sb = Sandbox::new();
    let out = sb
        .command()
        .args(["--database-url", &db(&sb), "--listen", "0.0.0.0:0", "serve"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("refusing to listen on 0.0.0.0"));
}

#[tokio::test]
async fn a_second_console_finds_the_engine_instead_of_failing() {
    use nightwatch::domain::EngineState;
    let sb = Sandbox::new();
    let mut settings = nightwatch::settings::Settings::default();
    settings.paths.data_dir = sb.dir.path().join("data");
    settings.database.url = db(&sb);
    settings.engine.listen = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    settings.engine.heartbeat_secs = 1;
    settings.engine.lease_secs = 3;
    let store = Store::connect(&db(&sb), &ConnectOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let cancel = tokio_util::sync::CancellationToken::new();

    let first = nightwatch::engine::attach(&settings, &store, &cancel).await;
    assert!(first.engine.is_some());
    assert!(matches!(
        *first.state.borrow(),
        EngineState::InProcess { .. }
    ));

    let mut second = nightwatch::engine::attach(&settings, &store, &cancel).await;
    assert!(second.engine.is_none(), "the second console runs no engine");
    until("the second console sees the external engine", || {
        let state = second.state.borrow_and_update().clone();
        async move { matches!(state, EngineState::External { .. }) }
    })
    .await;
    let label = second.state.borrow().label();
    assert!(
        label.contains(&settings.engine.listen.to_string()),
        "{label}"
    );
    let kinds: Vec<String> = store
        .list_instances()
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.role)
        .collect();
    assert!(
        kinds.contains(&"engine".to_owned()) && kinds.contains(&"console".to_owned()),
        "{kinds:?}"
    );

    cancel.cancel();
    first.wait().await;
    second.wait().await;
    assert!(
        store.list_instances().await.unwrap().is_empty(),
        "both deregistered"
    );
}
