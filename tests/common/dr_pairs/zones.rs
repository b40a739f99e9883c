//! Zone traffic for real: `prometheus-node-exporter` serving a metrics file through its textfile
//! collector (`nw_zone_requests{zone="…"}`), scraped every second by a real `prometheus`. Tests
//! rewrite the file to change the figures and ask Prometheus itself for the answer they compare
//! with (a plain HTTP/1.0 GET: usable from synchronous tests as well).

use std::io::{Read as _, Write as _};
use std::path::PathBuf;
use std::process::Command;

use super::super::{free_port, require_program, wait_until};
use super::Daemon;

const PROMETHEUS: &str = "/usr/bin/prometheus";
const NODE_EXPORTER: &str = "/usr/bin/prometheus-node-exporter";

/// The PromQL a test configures as `trafficQuery`.
pub const TRAFFIC_QUERY: &str = "sum by (zone) (nw_zone_requests)";

/// node_exporter (textfile collector only) and Prometheus scraping it every second.
pub struct ZoneTraffic {
    _prometheus: Daemon,
    _exporter: Daemon,
    dir: tempfile::TempDir,
    pub prom_port: u16,
}

impl ZoneTraffic {
    /// Start both with `zones` (zone → value) in the file, once Prometheus answers with them.
    pub fn start(zones: &[(&str, f64)]) -> Option<ZoneTraffic> {
        if !require_program(PROMETHEUS, "prometheus")
            || !require_program(NODE_EXPORTER, "prometheus-node-exporter")
        {
            return None;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("textfile")).expect("textfile dir");
        let (node_port, prom_port) = (free_port(), free_port());
        let exporter = Daemon::spawn(
            "node-exporter",
            Command::new(NODE_EXPORTER).args([
                format!("--web.listen-address=127.0.0.1:{node_port}"),
                "--collector.disable-defaults".into(),
                "--collector.textfile".into(),
                format!(
                    "--collector.textfile.directory={}",
                    dir.path().join("textfile").display()
                ),
            ]),
        );
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: zones\n    \
                 static_configs:\n      - targets: ['127.0.0.1:{node_port}']\n"
            ),
        )
        .expect("prometheus.yml");
        let prometheus = Daemon::spawn(
            "prometheus",
            Command::new(PROMETHEUS).args([
                format!("--config.file={}", config.display()),
                format!("--storage.tsdb.path={}", dir.path().join("tsdb").display()),
                format!("--web.listen-address=127.0.0.1:{prom_port}"),
            ]),
        );
        let z = ZoneTraffic {
            _prometheus: prometheus,
            _exporter: exporter,
            dir,
            prom_port,
        };
        z.set(zones);
        Some(z)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.prom_port)
    }

    fn file(&self) -> PathBuf {
        self.dir.path().join("textfile").join("zones.prom")
    }

    /// Rewrite the file (atomically, as node_exporter asks) and wait until Prometheus answers
    /// `TRAFFIC_QUERY` with exactly these figures.
    pub fn set(&self, zones: &[(&str, f64)]) {
        let mut text = String::from("# TYPE nw_zone_requests gauge\n");
        for (z, v) in zones {
            text.push_str(&format!("nw_zone_requests{{zone=\"{z}\"}} {v}\n"));
        }
        let tmp = self.file().with_extension("tmp");
        std::fs::write(&tmp, text).expect("write zones");
        std::fs::rename(&tmp, self.file()).expect("rename zones");
        let mut want: Vec<(String, f64)> = zones.iter().map(|(z, v)| ((*z).into(), *v)).collect();
        want.sort_by(|a, b| a.0.cmp(&b.0));
        wait_until("Prometheus answers the new zone figures", 60, || {
            (self.traffic() == want).then_some(())
        });
    }

    /// `TRAFFIC_QUERY` asked of Prometheus: (zone, value), by zone.
    pub fn traffic(&self) -> Vec<(String, f64)> {
        let Some(doc) = self.query(TRAFFIC_QUERY) else {
            return Vec::new();
        };
        let mut out: Vec<(String, f64)> = doc["data"]["result"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| {
                        Some((
                            s["metric"]["zone"].as_str()?.to_owned(),
                            s["value"][1].as_str()?.parse().ok()?,
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// An instant query's JSON answer (`None` while Prometheus is not up).
    pub fn query(&self, q: &str) -> Option<serde_json::Value> {
        let mut url = url::Url::parse("http://x/api/v1/query").ok()?;
        url.query_pairs_mut().append_pair("query", q);
        let path = format!("{}?{}", url.path(), url.query().unwrap_or_default());
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.prom_port)).ok()?;
        s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .ok()?;
        write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
        let mut body = String::new();
        s.read_to_string(&mut body).ok()?;
        let (_, json) = body.split_once("\r\n\r\n")?;
        serde_json::from_str(json).ok()
    }
}
