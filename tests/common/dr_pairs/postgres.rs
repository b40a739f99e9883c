//! A PostgreSQL primary and a streaming standby.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::super::{free_port, require_program, wait_until};
use super::{Daemon, Writer, run};

fn pg_bin(name: &str) -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin").join(name)))
        .filter(|p| p.exists())
        .collect();
    versions.sort();
    versions.pop()
}

/// The uid/gid of `postgres` when running as root (initdb and postgres refuse root).
fn pg_ids() -> Option<(u32, u32)> {
    if rustix::process::geteuid().as_raw() != 0 {
        return None;
    }
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, "postgres"]).output().ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

fn as_pg(cmd: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt as _;
    if let Some((u, g)) = pg_ids() {
        cmd.uid(u).gid(g);
    }
    cmd
}

/// A PostgreSQL primary and a streaming standby made with `pg_basebackup -R`.
pub struct PgPair {
    pub standby: Daemon,
    pub primary: Daemon,
    pub primary_port: u16,
    pub standby_port: u16,
    dir: tempfile::TempDir,
}

impl PgPair {
    pub fn start() -> Option<PgPair> {
        let (Some(initdb), Some(postgres), Some(basebackup)) = (
            pg_bin("initdb"),
            pg_bin("postgres"),
            pg_bin("pg_basebackup"),
        ) else {
            require_program("/usr/lib/postgresql/15/bin/initdb", "postgresql");
            return None;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        if let Some((u, g)) = pg_ids() {
            std::os::unix::fs::chown(dir.path(), Some(u), Some(g)).expect("chown temp dir");
        }
        let p = dir.path().join("p");
        let s = dir.path().join("s");
        run(as_pg(&mut Command::new(&initdb)).args([
            "-D",
            &p.display().to_string(),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        ]));
        let (pp, sp) = (free_port(), free_port());
        let start = |name: &str, data: &Path, port: u16| {
            Daemon::spawn(
                name,
                as_pg(&mut Command::new(&postgres)).args([
                    "-D",
                    &data.display().to_string(),
                    "-p",
                    &port.to_string(),
                    "-k",
                    &dir.path().display().to_string(),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "fsync=off",
                    "-c",
                    "max_connections=40",
                    "-c",
                    "wal_level=replica",
                    "-c",
                    "max_wal_senders=4",
                    "-c",
                    "shared_buffers=16MB",
                ]),
            )
        };
        let primary = start("pg-primary", &p, pp);
        let ready = |port: u16| {
            wait_until(
                &format!("postgres on {port} accepts connections"),
                60,
                || {
                    Command::new(pg_bin("pg_isready").unwrap_or_else(|| "pg_isready".into()))
                        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
                        .output()
                        .ok()
                        .filter(|o| o.status.success())
                },
            )
        };
        ready(pp);
        run(as_pg(&mut Command::new(&basebackup)).args([
            "-h",
            "127.0.0.1",
            "-p",
            &pp.to_string(),
            "-U",
            "postgres",
            "-D",
            &s.display().to_string(),
            "-R",
            "-X",
            "stream",
            "--no-sync",
        ]));
        let standby = start("pg-standby", &s, sp);
        ready(sp);
        let pair = PgPair {
            standby,
            primary,
            primary_port: pp,
            standby_port: sp,
            dir,
        };
        pair.sql("primary", "CREATE TABLE t (id serial PRIMARY KEY, v text)");
        wait_until("the standby streams from the primary", 60, || {
            let n = pair.sql(
                "primary",
                "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'",
            );
            (n.trim() == "1").then_some(())
        });
        Some(pair)
    }

    fn port(&self, side: &str) -> u16 {
        if side == "primary" {
            self.primary_port
        } else {
            self.standby_port
        }
    }

    /// Run SQL with `psql` on `primary` or `standby`; unaligned rows without headers.
    pub fn sql(&self, side: &str, sql: &str) -> String {
        run(Command::new("psql").args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port(side).to_string(),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-qtAX",
            "-c",
            sql,
        ]))
    }

    pub fn dsn(&self, side: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port(side))
    }

    pub fn writer(&self, period: Duration) -> Writer {
        let mut cmd = Command::new("psql");
        cmd.args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.primary_port.to_string(),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-q",
        ]);
        Writer::start(cmd, period, |n| {
            format!("INSERT INTO t (v) VALUES ('row {n}');\n")
        })
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}
