//! Private database servers a test starts, stops and restarts on its own port and data directory:
//! a MariaDB (`mariadb-install-db` + `mariadbd`, any server options, e.g. a `latin1` default) and a
//! PostgreSQL (`initdb` + `pg_ctl`). For what a shared server cannot be put through: another
//! charset default, an outage.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::{Proc, free_port, require_program, wait_until};

/// Which server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    MariaDb,
    Postgres,
}

/// A private server. Dropping it stops the server and removes its directory.
pub struct PrivateDb {
    pub kind: Kind,
    pub port: u16,
    dir: tempfile::TempDir,
    args: Vec<String>,
    proc: Option<Proc>,
}

const MARIADBD: &str = "/usr/sbin/mariadbd";
const INSTALL_DB: &str = "/usr/bin/mariadb-install-db";

fn pg_bin(name: &str) -> PathBuf {
    // Debian keeps the server binaries out of PATH; the wrappers in /usr/bin pick a cluster.
    let versioned = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .and_then(|d| d.filter_map(Result::ok).map(|e| e.path()).max())
        .map(|v| v.join("bin").join(name));
    versioned
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from(name))
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// PostgreSQL refuses to run as root: as root, run its programs as the `postgres` user (setpriv
/// execs, so the child's pid is the server's and signals reach it).
fn pg_command(name: &str) -> Command {
    let bin = pg_bin(name);
    if running_as_root() {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=postgres",
            "--regid=postgres",
            "--clear-groups",
            "--",
        ])
        .arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

impl PrivateDb {
    /// A MariaDB with `args` added to its command line (e.g. `--character-set-server=latin1`).
    /// `None` (skipped with a note) when MariaDB is not installed outside CI.
    pub fn mariadb(args: &[&str]) -> Option<PrivateDb> {
        if !require_program(MARIADBD, "mariadb-server") {
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let ok = Command::new(INSTALL_DB)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args(["--user=root", "--auth-root-authentication-method=normal"])
            .args(["--skip-test-db", "--skip-name-resolve"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run mariadb-install-db");
        assert!(ok.success(), "mariadb-install-db failed");
        let mut db = PrivateDb {
            kind: Kind::MariaDb,
            port: free_port(),
            dir,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            proc: None,
        };
        db.start();
        Some(db)
    }

    /// A PostgreSQL (UTF8, trust auth). `None` when not installed outside CI.
    pub fn postgres() -> Option<PrivateDb> {
        if !require_program(pg_bin("initdb").to_str().unwrap_or("initdb"), "postgresql") {
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        if running_as_root() {
            let _ = Command::new("chown")
                .args(["-R", "postgres"])
                .arg(dir.path())
                .status();
        }
        let ok = pg_command("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run initdb");
        assert!(ok.success(), "initdb failed");
        let mut db = PrivateDb {
            kind: Kind::Postgres,
            port: free_port(),
            dir,
            args: Vec::new(),
            proc: None,
        };
        db.start();
        Some(db)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The server URL for database `name` (MariaDB: root without password; PostgreSQL: postgres).
    pub fn url(&self, name: &str) -> String {
        match self.kind {
            Kind::MariaDb => format!("mysql://root@127.0.0.1:{}/{name}", self.port),
            Kind::Postgres => format!("postgres://postgres@127.0.0.1:{}/{name}", self.port),
        }
    }

    /// Start (or restart) the server on its port and data directory; returns once it answers.
    pub fn start(&mut self) {
        assert!(self.proc.is_none(), "already running");
        let child = match self.kind {
            Kind::MariaDb => Command::new(MARIADBD)
                .arg("--no-defaults")
                .arg(format!("--datadir={}", self.data().display()))
                .arg(format!("--port={}", self.port))
                .arg(format!(
                    "--socket={}",
                    self.dir.path().join("sock").display()
                ))
                .arg(format!(
                    "--pid-file={}",
                    self.dir.path().join("pid").display()
                ))
                .args([
                    "--user=root",
                    "--bind-address=127.0.0.1",
                    "--skip-name-resolve",
                ])
                .args(["--innodb-buffer-pool-size=32M", "--skip-log-bin"])
                .args([
                    "--innodb-flush-log-at-trx-commit=2",
                    "--max-connections=200",
                ])
                .args(&self.args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn mariadbd"),
            Kind::Postgres => pg_command("postgres")
                .arg("-D")
                .arg(self.data())
                .args(["-p", &self.port.to_string(), "-h", "127.0.0.1"])
                .args(["-k", &self.dir.path().display().to_string()])
                .args(["-c", "fsync=off", "-c", "max_connections=200"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn postgres"),
        };
        self.proc = Some(Proc(child));
        let port = self.port;
        wait_until("private database server to accept connections", 60, || {
            std::net::TcpStream::connect_timeout(
                &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
                Duration::from_millis(200),
            )
            .ok()
        });
        if self.kind == Kind::Postgres {
            // It accepts connections before it accepts sessions ("the database system is
            // starting up"): wait until it says it is ready.
            wait_until("private PostgreSQL to be ready", 60, || {
                Command::new(pg_bin("pg_isready"))
                    .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
                    .status()
                    .ok()
                    .filter(std::process::ExitStatus::success)
            });
        }
    }

    /// Stop the server cleanly (MariaDB: SIGTERM; PostgreSQL: SIGINT, its fast shutdown that
    /// disconnects clients), SIGKILL after 30 s.
    pub fn stop(&mut self) {
        let Some(mut p) = self.proc.take() else {
            return;
        };
        let pid = p.0.id().to_string();
        let signal = match self.kind {
            Kind::MariaDb => "-TERM",
            Kind::Postgres => "-INT",
        };
        let _ = Command::new("kill").args([signal, &pid]).status();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = p.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        drop(p); // SIGKILL
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for PrivateDb {
    fn drop(&mut self) {
        self.stop();
    }
}
