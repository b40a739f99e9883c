//! Opening the pool: per-backend session settings, read-only sessions, clear connection errors.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{ConnectOptions as _, Executor};

use super::{Dialect, Store, StoreError};

/// How to open the pool.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub max_connections: u32,
    pub connect_timeout: Duration,
    /// Open every session read-only (the wallboard / `--read-only` pool).
    pub read_only: bool,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            max_connections: 8,
            connect_timeout: Duration::from_secs(5),
            read_only: false,
        }
    }
}

/// Replace the password of a URL with `***` (the URL is returned unchanged when it has none).
pub fn mask_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            // set_password only fails for URLs that cannot have one, which we just ruled out.
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(_) => raw.to_owned(),
        // Not a URL we can parse: hide everything between "//" and "@", if anything.
        Err(_) => match (raw.find("://"), raw.rfind('@')) {
            (Some(s), Some(at)) if at > s => format!("{}://***@{}", &raw[..s], &raw[at + 1..]),
            _ => raw.to_owned(),
        },
    }
}

pub(super) async fn connect(raw_url: &str, o: &ConnectOptions) -> Result<Store, StoreError> {
    sqlx::any::install_default_drivers();
    let masked = mask_url(raw_url);
    let fail = |reason: String| StoreError::Connect {
        url: masked.clone(),
        reason,
    };
    let dialect = Dialect::from_url(raw_url).ok_or_else(|| {
        fail(
            "unknown scheme; expected sqlite://, mysql:// (MariaDB/MySQL/OceanBase) or postgres://"
                .into(),
        )
    })?;
    let url = if dialect == Dialect::Sqlite {
        sqlite_url(raw_url, o.read_only)?
    } else {
        raw_url.to_owned()
    };
    let options = AnyConnectOptions::from_str(&url)
        .map_err(|e| fail(format!("invalid URL: {e}")))?
        .log_statements(tracing::log::LevelFilter::Trace)
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(1));
    // One direct attempt first: the pool retries until its timeout and then reports only that it
    // timed out, while a single connection tells the real reason (refused, access denied, no such
    // database, TLS).
    match tokio::time::timeout(o.connect_timeout, options.connect()).await {
        Ok(Ok(conn)) => {
            let _ = sqlx::Connection::close(conn).await;
        }
        Ok(Err(e)) => return Err(fail(explain(&e))),
        Err(_) => {
            return Err(fail(format!(
                "no answer within {:?} (is the host reachable?)",
                o.connect_timeout
            )));
        }
    }
    let read_only = o.read_only;
    let pool = AnyPoolOptions::new()
        .max_connections(if dialect == Dialect::Sqlite {
            o.max_connections.min(4)
        } else {
            o.max_connections
        })
        .acquire_timeout(o.connect_timeout)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                for stmt in session_setup(dialect, read_only) {
                    conn.execute(*stmt).await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .map_err(|e| fail(explain(&e)))?;
    let store = Store {
        pool,
        dialect,
        url: masked,
        read_only,
    };
    store.check_charset().await?;
    Ok(store)
}

/// Statements run on every new connection.
fn session_setup(dialect: Dialect, read_only: bool) -> &'static [&'static str] {
    match (dialect, read_only) {
        // WAL lets the console read while the engine writes; NORMAL is durable across process crashes
        // in WAL mode; the busy timeout turns short lock waits into waits instead of errors.
        (Dialect::Sqlite, false) => &[
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = NORMAL",
            "PRAGMA busy_timeout = 5000",
            "PRAGMA foreign_keys = ON",
        ],
        (Dialect::Sqlite, true) => &["PRAGMA busy_timeout = 5000", "PRAGMA query_only = ON"],
        (Dialect::MySql, false) => &["SET SESSION time_zone = '+00:00'"],
        (Dialect::MySql, true) => &[
            "SET SESSION time_zone = '+00:00'",
            "SET SESSION TRANSACTION READ ONLY",
        ],
        (Dialect::Postgres, false) => &["SET TIME ZONE 'UTC'"],
        (Dialect::Postgres, true) => &[
            "SET TIME ZONE 'UTC'",
            "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
        ],
    }
}

/// Normalise a SQLite URL: create the parent directory (read-write), and open read-only with
/// `mode=ro` so not even a stray statement can write.
fn sqlite_url(raw: &str, read_only: bool) -> Result<String, StoreError> {
    let rest = raw.trim_start_matches("sqlite:").trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let params: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("mode="))
        .collect();
    let masked = mask_url(raw);
    if path.is_empty() || path == ":memory:" {
        return Ok(raw.to_owned());
    }
    let file = std::path::Path::new(path);
    if read_only {
        if !file.exists() {
            return Err(StoreError::Connect {
                url: masked,
                reason: "the database file does not exist and --read-only cannot create it; \
                         run `nightwatch migrate` once, or start without --read-only"
                    .into(),
            });
        }
    } else if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Connect {
            url: masked.clone(),
            reason: format!("cannot create directory {}: {e}", dir.display()),
        })?;
    }
    let mode = if read_only { "mode=ro" } else { "mode=rwc" };
    let mut q = vec![mode];
    q.extend(params);
    Ok(format!("sqlite://{path}?{}", q.join("&")))
}

/// One line a person can act on, from a connection error.
fn explain(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::PoolTimedOut => {
            "timed out waiting for a connection (is the server up and reachable?)".to_owned()
        }
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused (is the server running on that host and port?)".to_owned()
        }
        sqlx::Error::Database(db) => db.message().to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_passwords() {
        assert_eq!(
            mask_url("postgres://nw:s3cret@127.0.0.1:5432/nw"),
            "postgres://nw:***@127.0.0.1:5432/nw"
        );
        assert_eq!(
            mask_url("mysql://root@127.0.0.1/nw"),
            "mysql://root@127.0.0.1/nw"
        );
        assert_eq!(
            mask_url("sqlite:///tmp/a.db?mode=rwc"),
            "sqlite:///tmp/a.db?mode=rwc"
        );
        assert!(!mask_url("weird://u:p@w@h").contains(":p@"));
    }

    #[test]
    fn sqlite_urls_get_the_mode() {
        let dir = tempfile::tempdir().unwrap();
        let raw = format!("sqlite://{}/sub/x.db?mode=rwc", dir.path().display());
        let url = sqlite_url(&raw, false).unwrap();
        assert!(url.ends_with("/sub/x.db?mode=rwc"), "{url}");
        assert!(dir.path().join("sub").is_dir(), "parent directory created");
        let err = sqlite_url(&raw, true).unwrap_err().to_string();
        assert!(err.contains("does not exist"), "{err}");
    }
}
