//! Host water levels and zone traffic from a real `prometheus` scraping a real
//! `prometheus-node-exporter` (labelled `zone = "zone-a"`) every second: a component with
//! `prometheus` and `instance` endpoints gets disk (`/`) and memory levels equal to what
//! node_exporter reports, and the configured `trafficQuery` yields one figure per zone, equal to the
//! query's own answer. The link itself is a real Redis pair.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;
#[path = "dr_links/support.rs"]
#[allow(dead_code)]
mod support;

use std::time::Duration;

use common::dr_pairs::RedisPair;
use common::{Backend, TestDb};
use nightwatch::domain::dr::{DashboardConfig, LevelKind};
use nightwatch::domain::time::now_ms;
use nightwatch::engine::dr::Collector;

const PROMETHEUS: &str = "/usr/bin/prometheus";
const NODE_EXPORTER: &str = "/usr/bin/prometheus-node-exporter";

fn spawn(program: &str, args: &[String]) -> common::Proc {
    common::Proc(
        std::process::Command::new(program)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// The first value of an instant query, asked of Prometheus directly.
async fn ask(base: &str, q: &str) -> Option<f64> {
    let mut url = url::Url::parse(&format!("{base}/api/v1/query")).unwrap();
    url.query_pairs_mut().append_pair("query", q);
    let v: serde_json::Value = reqwest::get(url).await.ok()?.json().await.ok()?;
    v["data"]["result"][0]["value"][1].as_str()?.parse().ok()
}

#[tokio::test]
async fn host_levels_and_zone_traffic_come_from_prometheus() {
    if !common::require_program(PROMETHEUS, "prometheus")
        || !common::require_program(NODE_EXPORTER, "prometheus-node-exporter")
    {
        return;
    }
    let Some(pair) = RedisPair::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (node_port, prom_port) = (common::free_port(), common::free_port());
    let _exporter = spawn(
        NODE_EXPORTER,
        &[format!("--web.listen-address=127.0.0.1:{node_port}")],
    );
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: node\n    static_configs:\n      \
             - targets: ['127.0.0.1:{node_port}']\n        labels: {{ zone: zone-a }}\n"
        ),
    )
    .unwrap();
    let _prometheus = spawn(
        PROMETHEUS,
        &[
            format!("--config.file={}", config.display()),
            format!("--storage.tsdb.path={}", dir.path().join("tsdb").display()),
            format!("--web.listen-address=127.0.0.1:{prom_port}"),
        ],
    );
    let base = format!("http://127.0.0.1:{prom_port}");
    let instance = format!("127.0.0.1:{node_port}");
    let total_q = format!("node_memory_MemTotal_bytes{{instance=\"{instance}\"}}");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while ask(&base, &total_q).await.is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "node_exporter never scraped"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let db = TestDb::create(Backend::Sqlite).await.unwrap();
    let store = db.store().await;
    store.migrate().await.unwrap();
    let master = format!(
        "{{ host = \"127.0.0.1\", port = {}, prometheus = \"{base}\", instance = \"{instance}\" }}",
        pair.master_port
    );
    let text = support::content(&[(
        "orders-cache",
        "redis-replication",
        master,
        support::redis_ep(pair.replica_port),
    )]);
    support::apply(&store, &text).await;
    let traffic_q = "count by (zone) (node_cpu_seconds_total)";
    let cfg = DashboardConfig {
        prometheus_url: base.clone(),
        traffic_query: traffic_q.into(),
        timeout_secs: 3,
        ..DashboardConfig::default()
    };
    let mut c = Collector::new(store.clone());
    let r = c
        .round(&cfg, &serde_json::json!({}), &[], now_ms())
        .await
        .unwrap();
    let level = |kind| {
        r.water
            .iter()
            .find(|w| w.component == "orders-cache-a" && w.kind == kind && w.max > 1_000_000)
            .cloned()
            .unwrap_or_else(|| panic!("a {kind} level: {:?}", r.water))
    };
    let mem = level(LevelKind::Memory);
    let total = ask(&base, &total_q).await.unwrap() as i64;
    assert_eq!(mem.max, total, "MemTotal as node_exporter reports it");
    let avail = ask(
        &base,
        &format!("node_memory_MemAvailable_bytes{{instance=\"{instance}\"}}"),
    )
    .await
    .unwrap() as i64;
    assert!(
        ((total - avail) - mem.used).abs() < total / 20,
        "used {} vs {}",
        mem.used,
        total - avail
    );
    let disk = level(LevelKind::Disk);
    let size = ask(
        &base,
        &format!("node_filesystem_size_bytes{{instance=\"{instance}\",mountpoint=\"/\"}}"),
    )
    .await
    .unwrap() as i64;
    assert_eq!(disk.max, size, "the size of / as node_exporter reports it");
    // Zone traffic: one figure per zone label, the query's own answer.
    let traffic = store.latest_dr_samples("traffic").await.unwrap();
    assert_eq!(traffic.len(), 1, "{traffic:?}");
    assert_eq!(traffic[0].subject, "zone-a");
    let expect = ask(&base, traffic_q).await.unwrap();
    assert_eq!(traffic[0].amount, (expect * 1000.0) as i64);
    db.cleanup().await;
}

/// Zone traffic decides whether a target can take the source's load: a real Redis pair (the
/// master in dc-a, zone `zone-a`; the replica in dc-b, zone `zone-b`) and zone figures served by
/// node_exporter's textfile collector through a real Prometheus. With dc-b serving a million and
/// dc-a ten, dc-a's connections projected to carry both pass `maxclients`: dc-b→dc-a is not ready
/// and says why with Prometheus's figures, dc-a→dc-b is ready; swapped figures swap the verdicts.
#[tokio::test]
async fn zone_traffic_decides_whether_the_target_can_take_the_load() {
    use common::dr_pairs::{TRAFFIC_QUERY, ZoneTraffic};
    let Some(pair) = RedisPair::start() else {
        return;
    };
    let Some(zones) = ZoneTraffic::start(&[("zone-a", 10.0), ("zone-b", 1_000_000.0)]) else {
        return;
    };
    let db = TestDb::create(Backend::Sqlite).await.unwrap();
    let store = db.store().await;
    store.migrate().await.unwrap();
    let text = support::content(&[(
        "orders-cache",
        "redis-replication",
        support::redis_ep(pair.master_port),
        support::redis_ep(pair.replica_port),
    )])
    .replace(
        "name = \"dc-a\"\nrole",
        "name = \"dc-a\"\nzone = \"zone-a\"\nrole",
    )
    .replace(
        "name = \"dc-b\"\nrole",
        "name = \"dc-b\"\nzone = \"zone-b\"\nrole",
    );
    support::apply(&store, &text).await;
    let cfg = DashboardConfig {
        prometheus_url: zones.url(),
        traffic_query: TRAFFIC_QUERY.into(),
        timeout_secs: 3,
        ..DashboardConfig::default()
    };
    let mut c = Collector::new(store.clone());
    support::until("the link healthy, dc-a→dc-b ready", 60, &mut c, |r| {
        support::verdict(r, "dc-a", "dc-b").ready.then_some(())
    })
    .await;
    let judge = |r: &nightwatch::engine::dr::RoundReport, from: &str, to: &str| {
        let v = support::verdict(r, from, to).clone();
        let conn = |comp: &str| {
            r.water
                .iter()
                .find(|w| w.component == comp && w.kind == LevelKind::Connections)
                .cloned()
                .unwrap_or_else(|| panic!("{comp} connections: {:?}", r.water))
        };
        let dst = conn(if to == "dc-a" {
            "orders-cache-a"
        } else {
            "orders-cache-b"
        });
        (v, dst)
    };
    for (a, b, blocked) in [
        (10.0, 1_000_000.0, ("dc-b", "dc-a")),
        (1_000_000.0, 10.0, ("dc-a", "dc-b")),
    ] {
        zones.set(&[("zone-a", a), ("zone-b", b)]);
        let want = zones.traffic();
        assert_eq!(
            want,
            [("zone-a".to_owned(), a), ("zone-b".to_owned(), b)],
            "Prometheus's own answer"
        );
        let r = c
            .round(&cfg, &serde_json::json!({}), &[], now_ms())
            .await
            .unwrap();
        let stored = store.latest_dr_samples("traffic").await.unwrap();
        let mut stored: Vec<(String, f64)> = stored
            .iter()
            .map(|s| (s.subject.clone(), s.amount as f64 / 1000.0))
            .collect();
        stored.sort_by(|x, y| x.0.cmp(&y.0));
        assert_eq!(stored, want, "stored as Prometheus answered");
        let ok = if blocked.0 == "dc-a" {
            ("dc-b", "dc-a")
        } else {
            ("dc-a", "dc-b")
        };
        // The blocked direction: the target's connections scaled by both sides' traffic.
        let (v, dst) = judge(&r, blocked.0, blocked.1);
        let (ts, tt) = if blocked.0 == "dc-a" { (a, b) } else { (b, a) };
        assert_eq!(v.traffic, Some((ts, tt)), "{v:?}");
        let p = v.load.clone().expect("a projection");
        assert_eq!(p.dst_used, dst.used);
        assert_eq!(p.dst_max, dst.max, "maxclients as the server reports it");
        assert_eq!(p.projected, dst.used as f64 * (ts + tt) / tt);
        assert!(!v.ready);
        let expect = format!(
            "{} cannot take {}'s load: connections would be {:.0}% of {} ({} in use × traffic ({} + {}) / {})",
            blocked.1,
            blocked.0,
            p.projected * 100.0 / dst.max as f64,
            dst.max,
            dst.used,
            nightwatch::domain::dr::traffic_text(ts),
            nightwatch::domain::dr::traffic_text(tt),
            nightwatch::domain::dr::traffic_text(tt),
        );
        assert!(v.reasons.contains(&expect), "{expect:?} in {:?}", v.reasons);
        // The other direction has room: its target serves the most already.
        let (v, _) = judge(&r, ok.0, ok.1);
        assert!(v.ready, "{}→{}: {:?}", ok.0, ok.1, v.reasons);
        assert!(v.load.is_some_and(|p| p.scaled()));
    }
    db.cleanup().await;
}
