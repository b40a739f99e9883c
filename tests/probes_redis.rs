//! The redis probe against real `redis-server` processes: a primary with a replica that is stopped
//! and restarted, and a server with a password.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use nightwatch::probes::{self, ProbeError, ProbeOutput, ProbeSpec, RedisSpec, Target};
use serde_json::json;

const REDIS: &str = "/usr/bin/redis-server";
const T: Duration = Duration::from_secs(5);

fn start(dir: &std::path::Path, port: u16, extra: &[&str]) -> common::Proc {
    let child = std::process::Command::new(REDIS)
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .args(["--daemonize", "no"])
        .arg("--dir")
        .arg(dir)
        .args(extra)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    common::wait_until("redis-server listening", 20, || {
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    });
    common::Proc(child)
}

fn target(port: u16) -> Target {
    Target {
        name: format!("redis-{port}"),
        endpoints: json!({"host": "127.0.0.1", "port": port}),
        labels: json!({}),
    }
}

async fn info(port: u16) -> ProbeOutput {
    probes::run(&ProbeSpec::Redis(RedisSpec::default()), &target(port), T)
        .await
        .unwrap()
}

/// Probe until `ok` holds (replication settles within seconds), or fail naming what was seen.
async fn until(port: u16, what: &str, ok: impl Fn(&ProbeOutput) -> bool) -> ProbeOutput {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = info(port).await;
        if ok(&out) {
            return out;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; last: {:?}",
            out.values
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn primary_and_replica_replication_health() {
    if !common::require_program(REDIS, "redis-server") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (p1, p2) = (common::free_port(), common::free_port());
    let _primary = start(&dir.path().join("p").tap_mkdir(), p1, &[]);
    let replica_dir = dir.path().join("r").tap_mkdir();
    let replicaof = ["--replicaof", "127.0.0.1", &p1.to_string()].map(str::to_owned);
    let replica_args: Vec<&str> = replicaof.iter().map(String::as_str).collect();
    let replica = start(&replica_dir, p2, &replica_args);

    let out = until(p1, "one connected replica", |o| {
        o.values["CONNECTED_SLAVES"] == 1
    })
    .await;
    assert_eq!(out.values["ROLE"], "master");
    assert_eq!(out.values["CONNECTED_REPLICAS"], 1);
    assert!(
        out.values["MASTER_REPL_OFFSET"].is_i64(),
        "numeric fields are numbers"
    );
    assert!(out.message.contains("1 connected"), "{}", out.message);
    let r = until(p2, "the replica's link up", |o| {
        o.values.get("MASTER_LINK_STATUS") == Some(&json!("up"))
    })
    .await;
    assert_eq!(r.values["ROLE"], "slave");
    assert_eq!(r.values["MASTER_PORT"], p1);

    drop(replica);
    let out = until(p1, "no connected replica", |o| {
        o.values["CONNECTED_SLAVES"] == 0
    })
    .await;
    assert_eq!(out.values["ROLE"], "master");

    let _replica = start(&replica_dir, p2, &replica_args);
    until(p1, "the replica back", |o| {
        o.values["CONNECTED_SLAVES"] == 1
    })
    .await;
    until(p2, "the link up again", |o| {
        o.values.get("MASTER_LINK_STATUS") == Some(&json!("up"))
    })
    .await;
}

#[tokio::test]
async fn password_and_unreachable_server() {
    if !common::require_program(REDIS, "redis-server") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    let _server = start(dir.path(), port, &["--requirepass", "s3cret"]);
    let err = probes::run(&ProbeSpec::Redis(RedisSpec::default()), &target(port), T)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProbeError::Failed(ref m) if m.contains("NOAUTH")),
        "{err}"
    );
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );

    let spec = RedisSpec {
        password: Some("s3cret".into()),
        ..RedisSpec::default()
    };
    let out = probes::run(&ProbeSpec::Redis(spec), &target(port), T)
        .await
        .unwrap();
    assert_eq!(out.values["ROLE"], "master");
    // The password may come from the target's endpoints too; a wrong one is refused.
    let mut t = target(port);
    t.endpoints["password"] = json!("wrong");
    let err = probes::run(&ProbeSpec::Redis(RedisSpec::default()), &t, T)
        .await
        .unwrap_err();
    assert!(
        !err.to_string().contains("wrong"),
        "the password is not echoed: {err}"
    );

    let closed = target(common::free_port());
    let err = probes::run(&ProbeSpec::Redis(RedisSpec::default()), &closed, T)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProbeError::NoConnection(ref m) if m.contains("refused")),
        "{err}"
    );
}

trait TapMkdir {
    fn tap_mkdir(self) -> Self;
}

impl TapMkdir for std::path::PathBuf {
    fn tap_mkdir(self) -> Self {
        std::fs::create_dir_all(&self).unwrap();
        self
    }
}
