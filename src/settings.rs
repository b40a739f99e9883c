//! Application settings, layered: embedded defaults < config file < `NIGHTWATCH_*` env < CLI flags.
//!
//! Responsible for finding the XDG paths, reading and validating the config file, and producing one
//! [`Settings`] value. A bad file yields a [`SettingsError`] that names the file, the key and what is
//! expected; it never panics and never guesses.

mod env;
mod error;
mod load;
mod paths;

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use error::SettingsError;
pub use load::{Overrides, load};
pub use paths::Paths;

/// Whether this process runs the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum EngineMode {
    /// In-process when the database is the embedded SQLite, otherwise off (run `nightwatch serve`).
    #[default]
    Auto,
    /// Always run the engine in-process.
    On,
    /// Never run the engine in this process.
    Off,
}

/// All settings. Every field has a default, so an empty or missing config file is valid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub engine: EngineSettings,
    pub console: ConsoleSettings,
    pub ingest: IngestSettings,
    pub secrets: SecretsSettings,
    pub log: LogSettings,
    /// Resolved paths; not read from the file.
    #[serde(skip)]
    pub paths: Paths,
    /// Where the settings came from (file path, or none), for `info`.
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

/// Where the estate's secret key is read from (after `NIGHTWATCH_SECRET_KEY`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecretsSettings {
    /// A file holding the key (base64 or hex, mode 0600). Empty: `<data dir>/secret.key`.
    pub key_file: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://PATH`, `mysql://…` or `postgres://…`. Empty: the embedded SQLite in the data dir.
    pub url: String,
    /// Upper bound of pooled connections.
    pub max_connections: u32,
    /// Seconds to wait for a connection before giving up with a clear error.
    pub connect_timeout_secs: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        DatabaseSettings {
            url: String::new(),
            max_connections: 8,
            connect_timeout_secs: 5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineSettings {
    pub mode: EngineMode,
    /// Address of the engine's HTTP server (`/healthz`, `/metrics`, ingest).
    pub listen: SocketAddr,
    /// Seconds between heartbeats in `nw_component`.
    pub heartbeat_secs: u64,
    /// Seconds a master lease lasts without renewal.
    pub lease_secs: u64,
    /// Seconds between checks for configuration changes (1..30: a change applies within 30 s).
    pub config_poll_secs: u64,
    /// Days a closed event is kept after it was last seen before the master archives it
    /// (`nightwatch events archived` exports the archive); 0 keeps everything.
    pub retention_days: u32,
    /// Accept plain HTTP on a non-loopback `listen` address (credentials still required). Off: such
    /// an address is refused at start (exit code 3), since nightwatch has no TLS of its own yet.
    pub insecure_listen: bool,
    /// Open connections at most; one more is answered 503 + Retry-After and closed.
    pub max_connections: usize,
    /// Seconds a client has to send a request's whole header (and to finish a TLS handshake);
    /// then the connection is closed, however slowly bytes keep trickling in.
    pub header_timeout_secs: u64,
    /// PEM certificate chain for TLS on the HTTP server (with `tls_key_file`). Set: the server
    /// speaks only HTTPS, and a non-loopback `listen` needs no `insecure_listen`.
    pub tls_cert_file: Option<PathBuf>,
    /// PEM private key of `tls_cert_file`.
    pub tls_key_file: Option<PathBuf>,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            mode: EngineMode::Auto,
            listen: SocketAddr::from(([127, 0, 0, 1], 9797)),
            heartbeat_secs: 5,
            lease_secs: 15,
            config_poll_secs: 5,
            retention_days: 400,
            insecure_listen: false,
            max_connections: 512,
            header_timeout_secs: 30,
            tls_cert_file: None,
            tls_key_file: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleSettings {
    /// Milliseconds between data polls.
    pub refresh_ms: u64,
    /// Theme name: a file `themes/NAME.toml` (user dir first, then built-in).
    pub theme: String,
    /// Refuse every mutation (also `--read-only`).
    pub read_only: bool,
    /// Draw ASCII borders: `auto` follows the locale, or `true`/`false`.
    pub ascii: AsciiMode,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        ConsoleSettings {
            refresh_ms: 1000,
            theme: "default".to_owned(),
            read_only: false,
            ascii: AsciiMode::Auto,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AsciiMode {
    #[default]
    Auto,
    #[serde(alias = "true")]
    On,
    #[serde(alias = "false")]
    Off,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestSettings {
    /// Largest request body accepted; larger ones get 413 (logged and counted: no sender retries
    /// a 413, so it must be rare). Alertmanager sends a whole group per request.
    pub max_body_bytes: usize,
    /// Requests waiting for the writer before new ones get 503 + Retry-After.
    pub queue: usize,
    /// Alerts the writer stores per transaction at most.
    pub batch_max: usize,
    /// No ingest request is held longer than this (seconds): past it the answer is 503 +
    /// Retry-After, and a write that takes longer counts as the database being away.
    pub request_timeout_secs: u64,
    /// `severity` label value → level, for alerts without a `level` label. Unlisted values: P2.
    pub severity: std::collections::BTreeMap<String, String>,
}

impl Default for IngestSettings {
    fn default() -> Self {
        let severity = [
            ("critical", "P0"),
            ("error", "P1"),
            ("major", "P1"),
            ("high", "P1"),
            ("warning", "P2"),
            ("warn", "P2"),
            ("medium", "P2"),
            ("minor", "P3"),
            ("low", "P3"),
            ("info", "P3"),
            ("none", "P3"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        IngestSettings {
            max_body_bytes: 16 * 1024 * 1024,
            queue: 1024,
            batch_max: 2000,
            request_timeout_secs: 10,
            severity,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// A `tracing` filter: `info`, `debug`, `nightwatch=debug,sqlx=warn`, …
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            level: "info".to_owned(),
        }
    }
}

impl Settings {
    /// The database URL to use: the configured one, or the embedded SQLite in the data dir.
    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!(
                "sqlite://{}?mode=rwc",
                self.paths.data_dir.join("nightwatch.db").display()
            )
        } else {
            self.database.url.clone()
        }
    }

    /// Whether the database is the embedded SQLite (which makes `engine = "auto"` start the engine).
    pub fn is_embedded_sqlite(&self) -> bool {
        self.database.url.is_empty() || self.database.url.starts_with("sqlite:")
    }
}

/// Who is operating, for the audit log and the two-person rule: the real OS account of this
/// process (its real uid's name in `/etc/passwd`) at this host, as `account@host`. Never an
/// environment variable: `USER`, `LOGNAME` and `SUDO_USER` are whatever the caller sets, and
/// would let one person act as two.
pub fn operator() -> String {
    format!(
        "{}@{}",
        account_of_uid(rustix::process::getuid().as_raw()),
        gethostname::gethostname().to_string_lossy()
    )
}

/// The SSH client address of this session (the first field of `SSH_CONNECTION`), recorded with
/// each audit entry; empty outside SSH. Only a well-formed IP address is taken (the variable is
/// informative, set by sshd, but a caller could set anything).
pub fn ssh_client() -> String {
    std::env::var("SSH_CONNECTION")
        .ok()
        .and_then(|v| {
            v.split_whitespace()
                .next()?
                .parse::<std::net::IpAddr>()
                .ok()
        })
        .map(|ip| ip.to_string())
        .unwrap_or_default()
}

/// The account name of `uid` from /etc/passwd, else `uid<N>`.
fn account_of_uid(uid: u32) -> String {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .find_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let id = f.nth(1)?.parse::<u32>().ok()?;
            (id == uid && !name.is_empty()).then(|| name.to_owned())
        })
        .unwrap_or_else(|| format!("uid{uid}"))
}

#[cfg(test)]
mod operator_tests {
    use super::*;

    #[test]
    fn the_operator_is_the_uid_account_whatever_the_environment_says() {
        let me = account_of_uid(rustix::process::getuid().as_raw());
        assert!(operator().starts_with(&format!("{me}@")));
        assert_eq!(account_of_uid(0), "root");
        assert_eq!(account_of_uid(4_000_000_000), "uid4000000000");
    }
}
