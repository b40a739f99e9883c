//! A Redis master and a replica.

use std::process::Command;
use std::time::Duration;

use super::super::{free_port, require_program, wait_until};
use super::{Daemon, Writer, run};

/// A Redis master and a replica (`--replicaof`), no persistence.
pub struct RedisPair {
    pub replica: Daemon,
    pub master: Daemon,
    pub master_port: u16,
    pub replica_port: u16,
}

impl RedisPair {
    pub fn start() -> Option<RedisPair> {
        RedisPair::start_with(&[])
    }

    /// With extra master arguments (`--maxmemory 2mb`).
    pub fn start_with(master_args: &[&str]) -> Option<RedisPair> {
        if !require_program("/usr/bin/redis-server", "redis-server") {
            return None;
        }
        let (mp, rp) = (free_port(), free_port());
        let base = |port: u16| -> Command {
            let mut c = Command::new("/usr/bin/redis-server");
            c.args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                "/tmp",
                "--dbfilename",
                &format!("nw-test-{port}.rdb"),
            ]);
            c
        };
        let mut m = base(mp);
        m.args(master_args);
        let master = Daemon::spawn("redis-master", &mut m);
        let mut r = base(rp);
        r.args(["--replicaof", "127.0.0.1", &mp.to_string()]);
        let replica = Daemon::spawn("redis-replica", &mut r);
        let pair = RedisPair {
            replica,
            master,
            master_port: mp,
            replica_port: rp,
        };
        wait_until("the Redis replica's link is up", 60, || {
            Command::new("redis-cli")
                .args(["-p", &rp.to_string(), "INFO", "replication"])
                .output()
                .ok()
                .filter(|o| String::from_utf8_lossy(&o.stdout).contains("master_link_status:up"))
        });
        Some(pair)
    }

    /// Run one `redis-cli` command on `master` or `replica`.
    pub fn cli(&self, side: &str, args: &[&str]) -> String {
        let port = if side == "master" {
            self.master_port
        } else {
            self.replica_port
        };
        run(Command::new("redis-cli")
            .args(["-p", &port.to_string()])
            .args(args))
    }

    /// A field of `INFO replication` on `side`.
    pub fn info(&self, side: &str, field: &str) -> String {
        self.cli(side, &["INFO", "replication"])
            .lines()
            .filter_map(|l| l.trim().split_once(':'))
            .find(|(k, _)| *k == field)
            .map(|(_, v)| v.to_owned())
            .unwrap_or_default()
    }

    pub fn writer(&self, period: Duration) -> Writer {
        let mut cmd = Command::new("redis-cli");
        cmd.args(["-p", &self.master_port.to_string()]);
        Writer::start(cmd, period, |n| {
            format!("SET key:{n} {}\n", "v".repeat(100))
        })
    }
}
