//! Shared test support: a fresh database per test on each backend.
//!
//! SQLite always; MariaDB/MySQL when `NIGHTWATCH_TEST_MYSQL_URL` is set and PostgreSQL when
//! `NIGHTWATCH_TEST_POSTGRES_URL` is set (URLs of a server where the test user may create
//! databases; the path part is replaced). Under `CI=true` a missing URL fails the test instead of
//! skipping it, so CI can never pass by testing less.

#![allow(dead_code)]

pub mod accounts;
pub mod dr_pairs;
pub mod private_db;
pub mod redis_pair;
pub mod ssh_exec;
pub mod ssh_hosts;
pub mod tmux;

use nightwatch::store::{ConnectOptions, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    MySql,
    Postgres,
}

impl Backend {
    fn env_var(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => None,
            Backend::MySql => Some("NIGHTWATCH_TEST_MYSQL_URL"),
            Backend::Postgres => Some("NIGHTWATCH_TEST_POSTGRES_URL"),
        }
    }
}

/// A database that exists for one test. Call [`TestDb::cleanup`] at the end (dropping a MySQL or
/// PostgreSQL database needs async, so it cannot live in `Drop`).
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A fresh, empty database on `backend`, or `None` (with a note) when the backend is not
    /// configured outside CI.
    pub async fn create(backend: Backend) -> Option<TestDb> {
        let name = format!("nw_t_{}", unique());
        match backend.env_var() {
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/{name}.db?mode=rwc", dir.path().display());
                Some(TestDb {
                    url,
                    backend,
                    _dir: Some(dir),
                })
            }
            Some(var) => {
                let Ok(base) = std::env::var(var) else {
                    if std::env::var("CI").is_ok_and(|v| v == "true") {
                        panic!(
                            "{var} is not set: under CI=true the {backend:?} tests must run, not skip"
                        );
                    }
                    eprintln!("skipping {backend:?}: set {var} to run this test against it");
                    return None;
                };
                let mut url = url::Url::parse(&base).expect("test database URL");
                url.set_path(&format!("/{name}"));
                let url = url.to_string();
                nightwatch::store::create_database(&url)
                    .await
                    .expect("create test database");
                Some(TestDb {
                    url,
                    backend,
                    _dir: None,
                })
            }
        }
    }

    pub async fn store(&self) -> Store {
        Store::connect(&self.url, &ConnectOptions::default())
            .await
            .expect("connect")
    }

    pub async fn read_only_store(&self) -> Store {
        let o = ConnectOptions {
            read_only: true,
            ..ConnectOptions::default()
        };
        Store::connect(&self.url, &o)
            .await
            .expect("connect read-only")
    }

    pub async fn cleanup(self) {
        if self.backend == Backend::Sqlite {
            return;
        }
        if let Err(e) = nightwatch::store::drop_database(&self.url).await {
            eprintln!("warning: {e}");
        }
    }
}

/// A name unique across parallel test processes.
pub fn unique() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos % 100_000
    )
}

/// Generate one `#[tokio::test]` per backend for each listed `async fn(Store, &TestDb)`.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test] async fn $name() { $crate::common::run_on($crate::common::Backend::Sqlite, super::$name).await } )* }
        mod mysql { $( #[tokio::test] async fn $name() { $crate::common::run_on($crate::common::Backend::MySql, super::$name).await } )* }
        mod postgres { $( #[tokio::test] async fn $name() { $crate::common::run_on($crate::common::Backend::Postgres, super::$name).await } )* }
    };
}

/// Run one test body against a fresh migrated database on `backend`, then drop it.
pub async fn run_on<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(Store, TestDb) -> Fut,
    Fut: std::future::Future<Output = TestDb>,
{
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let store = db.store().await;
    store.migrate().await.expect("migrate");
    let db = body(store.clone(), db).await;
    store.close().await;
    db.cleanup().await;
}

/// A `nightwatch` command with its own XDG dirs (so it never touches the user's files).
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// Run the binary; (success, stdout + stderr).
    pub fn run(&self, args: &[&str]) -> (bool, String) {
        let o = self.command().args(args).output().expect("run nightwatch");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        (o.status.success(), text)
    }

    pub fn command(&self) -> std::process::Command {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_nightwatch"));
        let d = self.dir.path();
        c.env("XDG_CONFIG_HOME", d.join("config"))
            .env("XDG_DATA_HOME", d.join("data"))
            .env("XDG_STATE_HOME", d.join("state"))
            .env("HOME", d)
            // Files a command keeps for the user (a rejected `config edit`) stay in the sandbox.
            .env("TMPDIR", d)
            .env_remove("NIGHTWATCH_DATABASE_URL")
            .env_remove("NIGHTWATCH_CONFIG")
            .stdin(std::process::Stdio::null());
        c
    }
}

/// A free loopback port (bound then released; good enough for tests on one machine).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A Debian program the tests drive for real. Missing: skip with a note, or fail under `CI=true`.
pub fn require_program(path: &str, package: &str) -> bool {
    if std::path::Path::new(path).exists() {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{path} is missing: install the Debian package {package} (.ci/run does)");
    }
    eprintln!("skipping: {path} not installed (apt-get install {package})");
    false
}

/// Poll `check` until it returns `Some`, for at most `secs` seconds.
pub fn wait_until<T>(what: &str, secs: u64, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after {secs}s waiting for: {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// A child process killed when dropped (so a failing test leaves nothing running).
pub struct Proc(pub std::process::Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `nightwatch serve` on `db_url` and a free port; returns the process and its port once it
/// listens.
pub fn serve(sb: &Sandbox, db_url: &str, extra_env: &[(&str, &str)]) -> (Proc, u16) {
    use std::io::BufRead as _;
    let port = free_port();
    let mut cmd = sb.command();
    cmd.args([
        "--database-url",
        db_url,
        "--listen",
        &format!("127.0.0.1:{port}"),
        "serve",
    ])
    .env("NIGHTWATCH_ENGINE_HEARTBEAT_SECS", "1")
    .env("NIGHTWATCH_ENGINE_LEASE_SECS", "3")
    .env("NIGHTWATCH_ENGINE_CONFIG_POLL_SECS", "1")
    .stderr(std::process::Stdio::piped());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains("engine listening on") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(std::time::Duration::from_secs(60))
        .expect("serve did not become ready");
    (Proc(child), port)
}

/// Run the binary with `args`, return stdout parsed as JSON.
pub fn json_of(sb: &Sandbox, args: &[&str]) -> serde_json::Value {
    let out = sb.command().args(args).output().expect("run nightwatch");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}
