//! Only the master engine collects: two `nightwatch serve` on one MariaDB (and one PostgreSQL)
//! database, a DR estate with a real Redis pair, collection every second. A collector sleeps a
//! full interval between its rounds, so one collector's link samples are at least 1 s apart; two
//! collecting engines would interleave their rounds (some samples closer than that). While both
//! run, the samples keep that spacing; the master is then killed (`kill -9`), the other engine
//! takes the lease and its collection rows follow, with the same spacing.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;
#[path = "dr_links/support.rs"]
#[allow(dead_code)]
mod support;

use std::time::{Duration, Instant};

use common::dr_pairs::RedisPair;
use common::{Backend, Sandbox, TestDb};
use nightwatch::domain::time::now_ms;
use nightwatch::store::Store;

/// The shortest gap between consecutive samples of one collector (interval 1 s, less a little
/// for the wall clock the samples are stamped with against the monotonic sleep).
const MIN_GAP_MS: i64 = 950;

/// Link samples of `orders-cache` stamped at or after `since`, oldest first.
async fn samples(store: &Store, since: i64) -> Vec<i64> {
    store
        .dr_samples_of("link", "orders-cache", since, 10_000)
        .await
        .unwrap()
        .iter()
        .filter(|r| !r.coarse)
        .map(|r| r.at)
        .collect()
}

/// Wait until at least `n` samples since `since` exist; return them.
async fn at_least(store: &Store, since: i64, n: usize, what: &str) -> Vec<i64> {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let s = samples(store, since).await;
        if s.len() >= n {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {n} samples ({what}); have {s:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn one_collector(at: &[i64], what: &str) {
    let gaps: Vec<i64> = at.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        gaps.iter().all(|g| *g >= MIN_GAP_MS),
        "{what}: samples closer than one interval, so two engines collected: gaps {gaps:?}"
    );
}

async fn only_the_master_collects(backend: Backend) {
    let Some(pair) = RedisPair::start() else {
        return;
    };
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let store = db.store().await;
    store.migrate().await.unwrap();
    let text = support::content(&[(
        "orders-cache",
        "redis-replication",
        support::redis_ep(pair.master_port),
        support::redis_ep(pair.replica_port),
    )]);
    support::apply(&store, &text).await;
    let sb = Sandbox::new();
    let (ok, out) = sb.run(&[
        "--database-url",
        &db.url,
        "config",
        "set",
        "DR_DASHBOARD_CONFIG",
        r#"{"intervalSecs": 1, "timeoutSecs": 1}"#,
        "--reason",
        "test",
    ]);
    assert!(ok, "config set: {out}");
    let a = common::serve(&sb, &db.url, &[]).0;
    let b = common::serve(&sb, &db.url, &[]).0;
    let start = now_ms();
    let both = at_least(&store, start, 8, "both engines up").await;
    one_collector(&both, "both engines up");
    // The samples span as many seconds as there are samples: one collector's pace, not two.
    let span = both.last().unwrap() - both.first().unwrap();
    assert!(
        span >= (both.len() as i64 - 1) * MIN_GAP_MS,
        "{} samples in {span} ms",
        both.len()
    );
    let lease = store.get_lease("master").await.unwrap().unwrap();
    let (master, standby) = if lease.holder.contains(&format!(":{}:", a.0.id())) {
        (a, b)
    } else {
        (b, a)
    };
    assert!(
        lease.holder.contains(&format!(":{}:", master.0.id())),
        "one of the two holds the lease: {}",
        lease.holder
    );
    let standby_pid = format!(":{}:", standby.0.id());
    // kill -9: the master cannot hand over; the other takes the lease once it expires.
    drop(master);
    let killed = now_ms();
    let after = at_least(&store, killed + 500, 5, "the other engine took over").await;
    one_collector(&after, "after the takeover");
    let lease = store.get_lease("master").await.unwrap().unwrap();
    assert!(
        lease.holder.contains(&standby_pid),
        "the survivor is master: {}",
        lease.holder
    );
    drop(standby);
    store.close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn only_the_master_collects_on_mariadb() {
    only_the_master_collects(Backend::MySql).await;
}

#[tokio::test]
async fn only_the_master_collects_on_postgres() {
    only_the_master_collects(Backend::Postgres).await;
}
