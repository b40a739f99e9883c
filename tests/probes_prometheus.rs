//! The prometheus probe against a real `prometheus` scraping a real `prometheus-node-exporter`
//! every second.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use nightwatch::probes::{self, ProbeError, ProbeOutput, ProbeSpec, PrometheusSpec, Target};
use serde_json::json;

const PROMETHEUS: &str = "/usr/bin/prometheus";
const NODE_EXPORTER: &str = "/usr/bin/prometheus-node-exporter";
const T: Duration = Duration::from_secs(5);

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

fn query(q: &str) -> ProbeSpec {
    ProbeSpec::Prometheus(PrometheusSpec {
        url: None,
        query: q.into(),
        insecure: false,
    })
}

#[tokio::test]
async fn promql_over_node_exporter_metrics() {
    if !common::require_program(PROMETHEUS, "prometheus")
        || !common::require_program(NODE_EXPORTER, "prometheus-node-exporter")
    {
        return;
    }
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
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  \
             - job_name: node\n    static_configs:\n      - targets: ['127.0.0.1:{node_port}']\n"
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
    let t = Target {
        name: "node".into(),
        endpoints: json!({"prometheus": format!("http://127.0.0.1:{prom_port}"), "host": "127.0.0.1", "port": node_port}),
        labels: json!({}),
    };

    // Until the first scrape the query fails (no answer, or no series): both are errors, and the
    // probe is retried until `up == 1` with a deadline.
    let deadline = Instant::now() + Duration::from_secs(60);
    let up = query(r#"up{job="node"}"#);
    let out: ProbeOutput = loop {
        match probes::run(&up, &t, T).await {
            Ok(out) if out.values["VALUE"] == 1.0 => break out,
            other => assert!(Instant::now() < deadline, "node target never up: {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(out.values["SERIES"], 1);
    assert_eq!(
        out.values["LABELS"]["instance"],
        format!("127.0.0.1:{node_port}")
    );

    // A PromQL expression over node metrics, with a placeholder inside a label matcher.
    let q = r#"100 * (1 - node_memory_MemAvailable_bytes{instance="{host}:{port}"} / node_memory_MemTotal_bytes)"#;
    let out = probes::run(&query(q), &t, T).await.unwrap();
    let memory = out.values["VALUE"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&memory), "{memory}");
    let out = probes::run(
        &query("count(node_cpu_seconds_total{mode=\"idle\"})"),
        &t,
        T,
    )
    .await
    .unwrap();
    assert!(
        out.values["VALUE"].as_f64().unwrap() >= 1.0,
        "{:?}",
        out.values
    );
    let out = probes::run(&query("scalar(up{job=\"node\"})"), &t, T)
        .await
        .unwrap();
    assert_eq!(out.values["VALUE"], 1.0, "scalar results work too");

    // An empty result and a bad expression are clear errors, not panics.
    let err = probes::run(&query("up{job=\"nope\"}"), &t, T)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProbeError::Failed(ref m) if m.contains("no series")),
        "{err}"
    );
    let err = probes::run(&query("sum(("), &t, T).await.unwrap_err();
    assert!(
        matches!(err, ProbeError::Failed(ref m) if m.contains("bad_data")),
        "{err}"
    );
}
