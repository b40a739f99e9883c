//! A real Redis primary/replica pair and what Alertmanager posts when its primary dies: the estate
//! of the incident and diagnosis tests.

use std::process::{Command, Stdio};

pub const REDIS: &str = "/usr/bin/redis-server";

/// A redis-server on `port` (a replica of `master` when given), killed on drop.
pub fn redis(dir: &std::path::Path, port: u16, master: Option<u16>) -> super::Proc {
    let mut cmd = Command::new(REDIS);
    cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
        .arg("--dir")
        .arg(dir)
        .stdout(Stdio::null());
    if let Some(m) = master {
        cmd.args(["--replicaof", "127.0.0.1", &m.to_string()]);
    }
    let child = cmd.spawn().expect("redis-server");
    super::wait_until("redis-server listening", 20, || {
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    });
    super::Proc(child)
}

/// POST an Alertmanager webhook (v4) body to nightwatch; returns the HTTP status.
pub fn post_alertmanager(port: u16, token: &str, body: &serde_json::Value) -> String {
    post_json(port, token, "/api/v1/alerts/alertmanager", body)
}

/// POST `body` as JSON to `path` of nightwatch on `port` with curl (bearer `token`); returns the
/// HTTP status.
pub fn post_json(port: u16, token: &str, path: &str, body: &serde_json::Value) -> String {
    let mut child = Command::new("curl")
        .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST"])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .args(["-H", "Content-Type: application/json"])
        .args(["--data-binary", "@-"])
        .arg(format!("http://127.0.0.1:{port}{path}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("curl");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(body.to_string().as_bytes())
        .expect("write body");
    let out = child.wait_with_output().expect("curl output");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What Alertmanager posts for a firing `RedisDown` on `instance` (one alert in its group).
pub fn redis_down(instance: &str) -> serde_json::Value {
    let labels = serde_json::json!({
        "alertname": "RedisDown", "instance": instance, "job": "redis", "severity": "critical"
    });
    serde_json::json!({
        "version": "4",
        "groupKey": "{}:{alertname=\"RedisDown\"}",
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "nightwatch",
        "groupLabels": {"alertname": "RedisDown"},
        "commonLabels": labels,
        "commonAnnotations": {"summary": format!("Redis instance {instance} is down")},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": [{
            "status": "firing",
            "labels": labels,
            "annotations": {"summary": format!("Redis instance {instance} is down")},
            "startsAt": "2026-12-03T12:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.example:9090/graph?g0.expr=redis_up",
            "fingerprint": "e2e12redisdown"
        }]
    })
}
