//! The DR dashboard's collectors against real replicated pairs the tests start themselves
//! (`common::dr_pairs`): healthy links are `running` with small lag and the direction is `ready`;
//! each link broken for real while writes continue on the primary shows its lag growing, raises a
//! risk event once past the RPO, flips readiness to `not ready` naming the link; resumed, the lag
//! returns, the event resolves itself and readiness is `ready` again. Figures are compared with
//! what the servers themselves report. The collector's store side runs on SQLite here; the DR
//! tables are exercised on every backend in `dr_store.rs`.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;
#[path = "dr_links/support.rs"]
mod support;

use std::time::{Duration, Instant};

use common::dr_pairs::{MariaPair, PgPair, RedisPair};
use common::{Backend, TestDb};
use nightwatch::domain::dr::LinkState;
use nightwatch::domain::event::Status;
use nightwatch::engine::dr::Collector;
use support::*;

async fn store() -> (TestDb, nightwatch::store::Store) {
    let db = TestDb::create(Backend::Sqlite).await.unwrap();
    let store = db.store().await;
    store.migrate().await.unwrap();
    (db, store)
}

/// Rounds until the link runs with small lag and dc-a→dc-b is ready.
async fn healthy(c: &mut Collector, name: &str) {
    until("healthy: running with small lag, ready", 60, c, |r| {
        let s = link(r, name)?;
        (s.state == LinkState::Running
            && s.lag_ms.is_some_and(|l| l < 2_000)
            && verdict(r, "dc-a", "dc-b").ready)
            .then_some(())
    })
    .await;
}

/// Rounds (the link broken, writes going on) until its lag passes the RPO: the lag grew round
/// after round, the message says why, readiness names the link and a risk event is open.
async fn broken(
    c: &mut Collector,
    store: &nightwatch::store::Store,
    name: &str,
    why: &str,
) -> nightwatch::engine::dr::RoundReport {
    let mut lags = Vec::new();
    let r = until("lag past the RPO, not ready", 60, c, |r| {
        let s = link(r, name)?;
        lags.push(s.lag_ms.unwrap_or(-1));
        (s.lag_ms.is_some_and(|l| l > RPO_MS) && !verdict(r, "dc-a", "dc-b").ready)
            .then(|| r.clone())
    })
    .await;
    let s = link(&r, name).unwrap();
    assert!(
        s.message.contains(why),
        "{name}: {:?} should say {why:?}",
        s.message
    );
    assert!(
        lags.windows(2).all(|w| w[1] >= w[0]),
        "{name}: the lag grows while broken: {lags:?}"
    );
    let v = verdict(&r, "dc-a", "dc-b");
    assert!(
        v.reasons
            .iter()
            .any(|x| x.starts_with(&format!("link {name} dc-a→dc-b ")) && x.contains("> RPO 3 s")),
        "readiness names the link: {:?}",
        v.reasons
    );
    let e = dr_event(store, &format!("dr:link:{name}"))
        .await
        .expect("a risk event");
    assert_eq!(e.status, Status::Open);
    assert_eq!(e.component, format!("{name}-b"));
    assert!(e.title.contains(name), "{}", e.title);
    r
}

/// Rounds until the link is back within its RPO and the direction ready; the event resolved.
async fn recovered(c: &mut Collector, store: &nightwatch::store::Store, name: &str) {
    until("resumed: running, caught up, ready", 90, c, |r| {
        let s = link(r, name)?;
        (s.state == LinkState::Running
            && s.lag_ms.is_some_and(|l| l < RPO_MS)
            && verdict(r, "dc-a", "dc-b").ready)
            .then_some(())
    })
    .await;
    let e = dr_event(store, &format!("dr:link:{name}")).await.unwrap();
    assert_eq!(e.status, Status::Resolved, "the event resolves itself");
}

fn int(s: &str) -> i64 {
    s.trim()
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

/// The last sequence number of a GTID position (one domain here).
fn seq(gtid: &str) -> i64 {
    int(gtid.trim().rsplit('-').next().unwrap())
}

#[tokio::test]
async fn mariadb_io_and_sql_threads_stopped_then_restarted() {
    let Some(pair) = MariaPair::start() else {
        return;
    };
    let (db, store) = store().await;
    let text = content(&[(
        "orders-db",
        "mysql-replication",
        dsn(&pair.dsn("primary")),
        dsn(&pair.dsn("replica")),
    )]);
    apply(&store, &text).await;
    let mut c = Collector::new(store.clone());
    let writer = pair.writer(Duration::from_millis(50));
    for (thread, why) in [
        ("IO_THREAD", "IO thread stopped"),
        ("SQL_THREAD", "SQL thread stopped"),
    ] {
        healthy(&mut c, "orders-db").await;
        pair.sql("replica", &format!("STOP REPLICA {thread}"));
        let stopped = Instant::now();
        let r = broken(&mut c, &store, "orders-db", why).await;
        // The lag is the time since the first transaction the replica has not applied: at most
        // the time since the stop, and no less than that minus the write period and a round.
        let lag = link(&r, "orders-db").unwrap().lag_ms.unwrap();
        let since = i64::try_from(stopped.elapsed().as_millis()).unwrap();
        assert!(
            lag <= since + 200 && lag >= since - 2_500,
            "lag {lag} ms, stopped {since} ms ago"
        );
        // With the writes paused, the figures equal what the servers report.
        writer.pause(true);
        let r = round(&mut c).await;
        let s = link(&r, "orders-db").unwrap();
        let primary = seq(&pair.sql("primary", "SELECT @@gtid_binlog_pos"));
        let applied = seq(&pair.sql("replica", "SELECT @@gtid_slave_pos"));
        assert!(primary > applied, "writes went on while broken");
        assert_eq!(s.detail["transactions_behind"], primary - applied);
        assert_eq!(
            s.detail["io_running"].as_str().unwrap(),
            pair.replica_status("Slave_IO_Running")
        );
        let status = pair.sql("primary", "SHOW MASTER STATUS");
        let pos = int(status.split('\t').nth(1).unwrap());
        let exec = int(&pair.replica_status("Exec_Master_Log_Pos"));
        assert_eq!(
            s.bytes,
            Some(pos - exec),
            "bytes behind = binlog position - executed"
        );
        writer.pause(false);
        pair.sql("replica", &format!("START REPLICA {thread}"));
        recovered(&mut c, &store, "orders-db").await;
    }
    drop(writer);
    db.cleanup().await;
}

#[tokio::test]
async fn postgres_replay_paused_then_resumed() {
    let Some(pair) = PgPair::start() else {
        return;
    };
    let (db, store) = store().await;
    let text = content(&[(
        "orders-pg",
        "postgres-streaming",
        dsn(&pair.dsn("primary")),
        dsn(&pair.dsn("standby")),
    )]);
    apply(&store, &text).await;
    let mut c = Collector::new(store.clone());
    let writer = pair.writer(Duration::from_millis(50));
    healthy(&mut c, "orders-pg").await;
    pair.sql("standby", "SELECT pg_wal_replay_pause()");
    let r = broken(&mut c, &store, "orders-pg", "WAL replay paused").await;
    // The standby's own figure, read right after the round: ours is at most a little older.
    let ours = link(&r, "orders-pg").unwrap().lag_ms.unwrap();
    let server = (pair
        .sql(
            "standby",
            "SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000",
        )
        .trim()
        .parse::<f64>()
        .unwrap()) as i64;
    assert!(
        ours <= server && server - ours < 3_000,
        "lag {ours} ms vs the standby's {server} ms"
    );
    writer.pause(true);
    let r = round(&mut c).await;
    let bytes = link(&r, "orders-pg").unwrap().bytes.unwrap();
    let server = int(&pair.sql(
        "primary",
        "SELECT (pg_current_wal_lsn() - replay_lsn)::bigint FROM pg_stat_replication",
    ));
    assert!(bytes > 0, "WAL piled up while paused");
    assert!(
        (server - bytes).abs() <= 16_384,
        "bytes {bytes} vs the primary's {server}"
    );
    writer.pause(false);
    pair.sql("standby", "SELECT pg_wal_replay_resume()");
    recovered(&mut c, &store, "orders-pg").await;
    drop(writer);
    db.cleanup().await;
}

#[tokio::test]
async fn redis_replica_stopped_then_continued() {
    let Some(pair) = RedisPair::start() else {
        return;
    };
    let (db, store) = store().await;
    let text = content(&[(
        "orders-cache",
        "redis-replication",
        redis_ep(pair.master_port),
        redis_ep(pair.replica_port),
    )]);
    apply(&store, &text).await;
    let mut c = Collector::new(store.clone());
    let writer = pair.writer(Duration::from_millis(20));
    healthy(&mut c, "orders-cache").await;
    pair.replica.signal("STOP");
    broken(&mut c, &store, "orders-cache", "replica does not answer").await;
    writer.pause(true);
    let r = round(&mut c).await;
    let s = link(&r, "orders-cache").unwrap();
    let master = int(&pair.info("master", "master_repl_offset"));
    let slave0 = pair.info("master", "slave0");
    let acked = int(slave0
        .split(',')
        .find_map(|kv| kv.strip_prefix("offset="))
        .unwrap());
    let bytes = s.bytes.unwrap();
    assert!(bytes > 10_000, "writes piled up: {bytes}");
    assert!(
        (master - acked - bytes).abs() <= 200,
        "bytes {bytes} vs the master's offset {master} - acked {acked}"
    );
    let rate = s.detail["offset_rate_per_sec"].as_f64().unwrap();
    let expect = (bytes as f64 / rate * 1000.0) as i64;
    assert_eq!(
        s.lag_ms,
        Some(expect),
        "seconds = bytes / the master's offset rate"
    );
    writer.pause(false);
    pair.replica.signal("CONT");
    recovered(&mut c, &store, "orders-cache").await;
    drop(writer);
    db.cleanup().await;
}

#[tokio::test]
async fn a_full_redis_is_critical_and_blocks_readiness() {
    let Some(pair) =
        RedisPair::start_with(&["--maxmemory", "4mb", "--maxmemory-policy", "noeviction"])
    else {
        return;
    };
    let (db, store) = store().await;
    let text = content(&[(
        "orders-cache",
        "redis-replication",
        redis_ep(pair.master_port),
        redis_ep(pair.replica_port),
    )]);
    apply(&store, &text).await;
    let mut c = Collector::new(store.clone());
    until(
        "dc-b→dc-a ready while the master has room",
        60,
        &mut c,
        |r| verdict(r, "dc-b", "dc-a").ready.then_some(()),
    )
    .await;
    // Fill the master until Redis itself refuses writes (noeviction at maxmemory).
    let value = "x".repeat(10_000);
    let mut n = 0;
    loop {
        n += 1;
        let out = std::process::Command::new("redis-cli")
            .args([
                "-p",
                &pair.master_port.to_string(),
                "SET",
                &format!("fill:{n}"),
                &value,
            ])
            .output()
            .unwrap();
        if String::from_utf8_lossy(&out.stdout).contains("OOM") {
            break;
        }
        assert!(n < 10_000, "Redis never reached its maxmemory");
    }
    let r = until("the master's memory is critical", 30, &mut c, |r| {
        r.water
            .iter()
            .find(|w| w.component == "orders-cache-a" && w.kind.to_string() == "memory")
            .filter(|w| w.percent().is_some_and(|p| p >= 95.0))
            .cloned()
            .map(|w| (w, r.clone()))
    })
    .await;
    let (w, r) = r;
    let info = pair.cli("master", &["INFO", "memory"]);
    let used = int(info
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .unwrap());
    assert_eq!(w.max, 4 * 1024 * 1024, "maxmemory as the server reports it");
    assert!(
        (used - w.used).abs() < 200_000,
        "used {} vs the server's {used}",
        w.used
    );
    let v = verdict(&r, "dc-b", "dc-a");
    assert!(!v.ready);
    assert!(
        v.reasons
            .iter()
            .any(|x| x.starts_with("water level orders-cache-a memory")
                && x.ends_with("is critical")),
        "{:?}",
        v.reasons
    );
    let e = dr_event(&store, "dr:level:orders-cache-a/memory")
        .await
        .expect("an event");
    assert_eq!(e.status, Status::Open);
    // Freed, the level clears, the event resolves and the direction is ready again.
    pair.cli("master", &["FLUSHALL"]);
    until("dc-b→dc-a ready again", 30, &mut c, |r| {
        verdict(r, "dc-b", "dc-a").ready.then_some(())
    })
    .await;
    let e = dr_event(&store, "dr:level:orders-cache-a/memory")
        .await
        .unwrap();
    assert_eq!(e.status, Status::Resolved);
    db.cleanup().await;
}

#[tokio::test]
async fn three_healthy_links_make_the_direction_ready() {
    let (Some(m), Some(p), Some(r)) = (MariaPair::start(), PgPair::start(), RedisPair::start())
    else {
        return;
    };
    let (db, store) = store().await;
    let text = content(&[
        (
            "orders-db",
            "mysql-replication",
            dsn(&m.dsn("primary")),
            dsn(&m.dsn("replica")),
        ),
        (
            "orders-pg",
            "postgres-streaming",
            dsn(&p.dsn("primary")),
            dsn(&p.dsn("standby")),
        ),
        (
            "orders-cache",
            "redis-replication",
            redis_ep(r.master_port),
            redis_ep(r.replica_port),
        ),
    ]);
    apply(&store, &text).await;
    let _writers = (
        m.writer(Duration::from_millis(50)),
        p.writer(Duration::from_millis(50)),
        r.writer(Duration::from_millis(50)),
    );
    let mut c = Collector::new(store.clone());
    let r = until(
        "every link running with small lag, ready",
        60,
        &mut c,
        |r| {
            let all = ["orders-db", "orders-pg", "orders-cache"].iter().all(|n| {
                link(r, n).is_some_and(|s| {
                    s.state == LinkState::Running && s.lag_ms.is_some_and(|l| l < 2_000)
                })
            });
            (all && verdict(r, "dc-a", "dc-b").ready).then(|| r.clone())
        },
    )
    .await;
    let v = verdict(&r, "dc-a", "dc-b");
    assert_eq!(v.verdict(), "ready");
    assert_eq!(v.est_rto_ms, Some(60_000), "the plan's one step timeout");
    // Connections on all three servers are measured against their own limits.
    for (comp, max) in [("orders-db-b", 50), ("orders-pg-b", 40)] {
        let w = r
            .water
            .iter()
            .find(|w| w.component == comp && w.kind.to_string() == "connections")
            .unwrap_or_else(|| panic!("{comp}: {:?}", r.water));
        assert_eq!(w.max, max, "{comp}: max_connections as started");
        assert!(w.used >= 1, "{comp}: at least the collector's own session");
    }
    for name in ["orders-db", "orders-pg", "orders-cache"] {
        let e = dr_event(&store, &format!("dr:link:{name}")).await;
        assert!(
            e.as_ref().is_none_or(|e| e.status == Status::Resolved),
            "no open event while healthy: {e:?}"
        );
    }
    db.cleanup().await;
}

/// A custom-probe link (`kind = "probe"`): a SQL probe on a real PostgreSQL standby yields the
/// replay lag in seconds (`VALUE`). Replay paused while writes go on: the lag the probe yields
/// passes the RPO, a risk event is raised and readiness names the link; resumed, the event
/// resolves itself. The figure is the standby's own.
#[tokio::test]
async fn a_custom_probe_link_raises_and_resolves_on_its_lag() {
    let Some(pair) = PgPair::start() else {
        return;
    };
    let (db, store) = store().await;
    let query = "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
                 ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END::float8";
    let text = content(&[(
        "orders-lag",
        "postgres-streaming",
        dsn(&pair.dsn("primary")),
        dsn(&pair.dsn("standby")),
    )])
    .replace(
        "kind = \"postgres-streaming\"\nsystem",
        &format!("kind = \"probe\"\nprobe = {{ kind = \"sql\", query = '{query}' }}\nvalue = \"VALUE\"\nsystem"),
    );
    assert!(text.contains("kind = \"probe\""), "{text}");
    apply(&store, &text).await;
    let mut c = Collector::new(store.clone());
    let writer = pair.writer(Duration::from_millis(50));
    healthy(&mut c, "orders-lag").await;
    pair.sql("standby", "SELECT pg_wal_replay_pause()");
    // The probe's message is its VALUE and row count.
    broken(&mut c, &store, "orders-lag", "(1 rows)").await;
    writer.pause(true);
    let r = round(&mut c).await;
    let ours = link(&r, "orders-lag").unwrap().lag_ms.unwrap();
    let server = (pair
        .sql(
            "standby",
            "SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000",
        )
        .trim()
        .parse::<f64>()
        .unwrap()) as i64;
    assert!(
        ours > RPO_MS && ours <= server && server - ours < 3_000,
        "the probe's lag {ours} ms vs the standby's {server} ms"
    );
    writer.pause(false);
    pair.sql("standby", "SELECT pg_wal_replay_resume()");
    recovered(&mut c, &store, "orders-lag").await;
    drop(writer);
    db.cleanup().await;
}
