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
