//! Run leases by the database's clock (issue 11 (6)): plan-run and inspection-run leases are set,
//! renewed and judged expired by the database server's clock inside the conditional UPDATE. An
//! engine whose own clock runs a minute ahead (`faketime +60s`) sweeps expired leases every second:
//! it interrupts a run whose holder is really gone (the proof that its sweep ran), and never one
//! whose holder keeps renewing a 3 s lease, although by its own clock that lease ended a minute ago.
//! On MariaDB and PostgreSQL; on SQLite the store-level rule is checked without faketime.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use std::time::{Duration, Instant};

use common::{Backend, Sandbox, TestDb, require_program, serve};
use nightwatch::store::{LeaseClock, NewPlanRun, NewStep, Store};

const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
const LEASE_MS: i64 = 3_000;

fn plan_run(plan: &str) -> NewPlanRun {
    NewPlanRun {
        plan: plan.into(),
        version: 1,
        params: "{}".into(),
        danger: "G2".into(),
        requested_by: "alice".into(),
        reason: "lease clock test".into(),
        steps: vec![NewStep {
            phase: "step".into(),
            step_id: "wait".into(),
            title: "wait".into(),
            kind: "command".into(),
            danger: "G2".into(),
            group: String::new(),
            rendered: "sleep 600".into(),
        }],
        ..NewPlanRun::default()
    }
}

struct Runs {
    live_plan: i64,
    dead_plan: i64,
    live_inspection: i64,
    dead_inspection: i64,
}

/// Two plan runs and two inspection runs, each claimed with a lease by the database's clock: the
/// "live" ones by a holder that keeps renewing (this test), the "dead" ones with a lease that has
/// already run out and is never renewed.
async fn claimed_runs(store: &Store) -> Runs {
    let now = nightwatch::domain::time::now_ms();
    let mut plan = Vec::new();
    for (worker, lease) in [("healthy-engine", LEASE_MS), ("dead-engine", 1)] {
        store.queue_plan_run(&plan_run("lease"), now).await.unwrap();
        let run = store
            .claim_plan_run(worker, LeaseClock::Database, lease)
            .await
            .unwrap()
            .unwrap();
        plan.push(run.id);
    }
    let mut inspection = Vec::new();
    for (worker, lease) in [("healthy-engine", LEASE_MS), ("dead-engine", 1)] {
        store
            .queue_run("lease-task", "manual", "alice", now)
            .await
            .unwrap();
        let run = store
            .claim_run(worker, LeaseClock::Database, lease)
            .await
            .unwrap()
            .unwrap();
        inspection.push(run.id);
    }
    Runs {
        live_plan: plan[0],
        dead_plan: plan[1],
        live_inspection: inspection[0],
        dead_inspection: inspection[1],
    }
}

/// Renew the live runs' leases (every 500 ms, 3 s each), as their holder does.
async fn renew(store: &Store, runs: &Runs) {
    assert!(
        store
            .renew_plan_run(
                runs.live_plan,
                "healthy-engine",
                LeaseClock::Database,
                LEASE_MS
            )
            .await
            .unwrap()
            .is_some(),
        "the healthy holder still holds its plan run"
    );
    assert!(
        store
            .renew_run(
                runs.live_inspection,
                "healthy-engine",
                LeaseClock::Database,
                LEASE_MS
            )
            .await
            .unwrap(),
        "the healthy holder still holds its inspection run"
    );
}

async fn inspection_status(store: &Store, id: i64) -> String {
    store.get_run(id).await.unwrap().status
}

async fn skewed_engine_keeps_off_live_leases(backend: Backend) {
    if !require_program(LIBFAKETIME, "faketime") {
        return;
    }
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let store = db.store().await;
    store.migrate().await.unwrap();
    let runs = claimed_runs(&store).await;
    let sb = Sandbox::new();
    let skewed = [
        ("LD_PRELOAD", LIBFAKETIME),
        ("FAKETIME", "+60s"),
        ("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
    ];
    let (engine, _port) = serve(&sb, &db.url, &skewed);
    // faketime took: the engine's heartbeat (its own clock) is a minute ahead of the database's.
    let db_now = store.db_now_ms().await.unwrap();
    let beat = store
        .list_instances()
        .await
        .unwrap()
        .iter()
        .find(|i| i.id.contains(&format!(":{}:", engine.0.id())))
        .map(|i| i.heartbeat_at)
        .unwrap();
    assert!(
        beat - db_now > 50_000,
        "the engine runs a minute ahead: heartbeat {beat}, database {db_now}"
    );

    // Its sweep runs: the runs whose holder is gone are interrupted...
    let started = Instant::now();
    loop {
        renew(&store, &runs).await;
        let plan = store.get_plan_run(runs.dead_plan).await.unwrap().status;
        let inspection = inspection_status(&store, runs.dead_inspection).await;
        if plan == "interrupted" && inspection == "interrupted" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the skewed engine never swept the dead runs: plan {plan}, inspection {inspection}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // ... and for three more lease periods (the sweep runs every second) the live ones stay with
    // their holder.
    let watch = Instant::now();
    while watch.elapsed() < Duration::from_millis(3 * LEASE_MS.unsigned_abs()) {
        renew(&store, &runs).await;
        let plan = store.get_plan_run(runs.live_plan).await.unwrap();
        assert_eq!(
            (plan.status.as_str(), plan.claimed_by.as_str()),
            ("running", "healthy-engine"),
            "the skewed engine left the live plan run alone"
        );
        assert_eq!(
            inspection_status(&store, runs.live_inspection).await,
            "running",
            "the skewed engine left the live inspection run alone"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    drop(engine);
    store.close().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_a_minute_ahead_never_interrupts_a_live_run() {
    skewed_engine_keeps_off_live_leases(Backend::MySql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_minute_ahead_never_interrupts_a_live_run() {
    skewed_engine_keeps_off_live_leases(Backend::Postgres).await;
}

/// The store-level rule on every backend: a lease set by the database's clock is judged by it,
/// whatever instant a caller with a wrong clock would have given; a renewal moves it on; a claim
/// lost to an interruption cannot be renewed (the holder's fence).
async fn lease_by_db_clock(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let store = db.store().await;
    store.migrate().await.unwrap();
    let runs = claimed_runs(&store).await;
    let db_now = store.db_now_ms().await.unwrap();
    let live = store.get_plan_run(runs.live_plan).await.unwrap();
    assert!(
        (live.lease_until - (db_now + LEASE_MS)).abs() < 2_000,
        "the lease ends {LEASE_MS} ms after the database's now: {} vs {db_now}",
        live.lease_until
    );
    // The database's clock: only the dead runs have expired.
    assert_eq!(
        store
            .interrupt_expired_plan_runs(LeaseClock::Database)
            .await
            .unwrap(),
        vec![runs.dead_plan]
    );
    assert_eq!(
        store
            .interrupt_expired_runs(LeaseClock::Database)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        inspection_status(&store, runs.live_inspection).await,
        "running"
    );
    // A clock a minute ahead would have interrupted the live one: that is what the engines no
    // longer pass.
    assert_eq!(
        store
            .interrupt_expired_plan_runs(db_now + 60_000)
            .await
            .unwrap(),
        vec![runs.live_plan]
    );
    assert_eq!(
        store
            .renew_plan_run(
                runs.live_plan,
                "healthy-engine",
                LeaseClock::Database,
                LEASE_MS
            )
            .await
            .unwrap(),
        None,
        "an interrupted run's claim cannot be renewed"
    );
    store.close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn sqlite_leases_by_the_database_clock() {
    lease_by_db_clock(Backend::Sqlite).await;
}

#[tokio::test]
async fn mariadb_leases_by_the_database_clock() {
    lease_by_db_clock(Backend::MySql).await;
}

#[tokio::test]
async fn postgres_leases_by_the_database_clock() {
    lease_by_db_clock(Backend::Postgres).await;
}
