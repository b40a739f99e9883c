//! Real replicated pairs started by the tests themselves, for the DR dashboard (and the DR
//! switchover after it): two `mariadbd` with GTID replication, a PostgreSQL primary and a streaming
//! standby (`initdb`, `pg_basebackup -R`), a Redis master and replica. Each server runs on free
//! loopback ports in its own temporary directory and is stopped when its pair is dropped (TERM,
//! then KILL if it lingers), so a failing test leaves nothing running.
//!
//! Every start-up waits for a condition (`ping`, `pg_isready`, the replica's link up), never for a
//! fixed time. Missing programs skip the test with a note, or fail it under `CI=true`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{free_port, require_program, wait_until};

/// A server process stopped on drop: SIGTERM, up to 10 s for a clean exit, then SIGKILL.
pub struct Daemon {
    pub name: String,
    child: Child,
}

impl Daemon {
    pub fn spawn(name: &str, cmd: &mut Command) -> Daemon {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        Daemon {
            name: name.to_owned(),
            child,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Send a signal by name (`STOP`, `CONT`, `TERM`).
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.pid().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill -{sig} {}", self.name);
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // A stopped process cannot act on TERM: continue it first.
        let _ = Command::new("kill")
            .args(["-CONT", &self.child.id().to_string()])
            .status();
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run a command to completion; its stdout, or a panic with its stderr.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A child process fed lines on stdin by a thread, one every `period`, until dropped: the
/// continuous writes on a primary while a link is broken.
pub struct Writer {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    paused: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    pub fn start(
        mut cmd: Command,
        period: Duration,
        line: impl Fn(u64) -> String + Send + 'static,
    ) -> Writer {
        use std::io::Write as _;
        use std::sync::atomic::{AtomicBool, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let paused = std::sync::Arc::new(AtomicBool::new(false));
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start writer");
        let (s, p) = (stop.clone(), paused.clone());
        let thread = std::thread::spawn(move || {
            let mut stdin = child.stdin.take().expect("stdin");
            let mut n = 0;
            while !s.load(Ordering::Relaxed) {
                if !p.load(Ordering::Relaxed) {
                    n += 1;
                    if stdin.write_all(line(n).as_bytes()).is_err() || stdin.flush().is_err() {
                        break;
                    }
                }
                std::thread::sleep(period);
            }
            drop(stdin);
            let _ = child.kill();
            let _ = child.wait();
        });
        Writer {
            stop,
            paused,
            thread: Some(thread),
        }
    }

    /// Stop or resume writing (to compare figures while nothing moves).
    pub fn pause(&self, on: bool) {
        self.paused.store(on, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// MariaDB

/// Two `mariadbd`: a primary (binlog, server id 1) and a GTID replica (server id 2).
pub struct MariaPair {
    pub primary: Daemon,
    pub replica: Daemon,
    pub primary_port: u16,
    pub replica_port: u16,
    dir: tempfile::TempDir,
}

impl MariaPair {
    /// Start the pair and replication, or `None` when MariaDB is not installed (outside CI).
    pub fn start() -> Option<MariaPair> {
        if !require_program("/usr/sbin/mariadbd", "mariadb-server")
            || !require_program("/usr/bin/mariadb-install-db", "mariadb-server")
        {
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let p = dir.path().join("p");
        // One install, copied: the data directory of a fresh server is the same for both.
        run(Command::new("mariadb-install-db").args([
            "--no-defaults",
            &format!("--datadir={}", p.display()),
            "--user=root",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ]));
        let r = dir.path().join("r");
        run(Command::new("cp").arg("-a").arg(&p).arg(&r));
        let (pp, rp) = (free_port(), free_port());
        let start = |name: &str, data: &Path, port: u16, id: u32| {
            let sock = dir.path().join(format!("{name}.sock"));
            Daemon::spawn(
                name,
                Command::new("/usr/sbin/mariadbd").args([
                    "--no-defaults",
                    &format!("--datadir={}", data.display()),
                    &format!("--port={port}"),
                    "--bind-address=127.0.0.1",
                    &format!("--socket={}", sock.display()),
                    &format!("--pid-file={}/{name}.pid", dir.path().display()),
                    &format!("--server-id={id}"),
                    "--log-bin=mysql-bin",
                    "--binlog-format=ROW",
                    "--user=root",
                    "--skip-name-resolve",
                    "--innodb-buffer-pool-size=16M",
                    "--innodb-log-file-size=8M",
                    "--max-connections=50",
                    &format!("--log-error={}/{name}.err", dir.path().display()),
                ]),
            )
        };
        let primary = start("primary", &p, pp, 1);
        let replica = start("replica", &r, rp, 2);
        let pair = MariaPair {
            primary,
            replica,
            primary_port: pp,
            replica_port: rp,
            dir,
        };
        for side in ["primary", "replica"] {
            wait_until(&format!("mariadbd {side} answers"), 60, || {
                Command::new("mariadb-admin")
                    .args(["--socket", &pair.socket(side), "-uroot", "ping"])
                    .output()
                    .ok()
                    .filter(|o| o.status.success())
            });
        }
        pair.sql(
            "primary",
            "CREATE USER 'nw'@'%' IDENTIFIED BY 'nw'; GRANT ALL ON *.* TO 'nw'@'%'; \
             CREATE DATABASE app; CREATE TABLE app.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64));",
        );
        pair.sql(
            "replica",
            &format!(
                "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={pp}, MASTER_USER='nw', \
                 MASTER_PASSWORD='nw', MASTER_USE_GTID=slave_pos; START REPLICA;"
            ),
        );
        wait_until("the MariaDB replica has the primary's schema", 60, || {
            let out = pair.sql(
                "replica",
                "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='app'",
            );
            (out.trim() == "1").then_some(())
        });
        Some(pair)
    }

    fn socket(&self, side: &str) -> String {
        self.dir
            .path()
            .join(format!("{side}.sock"))
            .display()
            .to_string()
    }

    /// Run SQL as root on `primary` or `replica`; tab-separated rows without headers.
    pub fn sql(&self, side: &str, sql: &str) -> String {
        run(Command::new("mariadb").args([
            "--socket",
            &self.socket(side),
            "-uroot",
            "-N",
            "-B",
            "-e",
            sql,
        ]))
    }

    /// A field of `SHOW REPLICA STATUS` on the replica.
    pub fn replica_status(&self, field: &str) -> String {
        let out = run(Command::new("mariadb").args([
            "--socket",
            &self.socket("replica"),
            "-uroot",
            "-e",
            "SHOW REPLICA STATUS\\G",
        ]));
        out.lines()
            .filter_map(|l| l.trim().split_once(": "))
            .find(|(k, _)| *k == field)
            .map(|(_, v)| v.to_owned())
            .unwrap_or_default()
    }

    pub fn dsn(&self, side: &str) -> String {
        let port = if side == "primary" {
            self.primary_port
        } else {
            self.replica_port
        };
        format!("mysql://nw:nw@127.0.0.1:{port}/mysql")
    }

    /// Inserts on the primary every `period` until dropped.
    pub fn writer(&self, period: Duration) -> Writer {
        let mut cmd = Command::new("mariadb");
        cmd.args(["--socket", &self.socket("primary"), "-uroot", "app"]);
        Writer::start(cmd, period, |n| {
            format!("INSERT INTO t (v) VALUES ('row {n}');\n")
        })
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

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

// ---------------------------------------------------------------------------------------------
// Redis

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
