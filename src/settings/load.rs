//! Loading: defaults, then the file, then the environment, then flags; validation at the end.

use std::path::{Path, PathBuf};

use super::{EngineMode, Paths, Settings, SettingsError, env};

/// What the command line overrides (the highest layer). `None` leaves the lower layers alone.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--config FILE`: read this file instead of the default; it must exist.
    pub config: Option<PathBuf>,
    pub database_url: Option<String>,
    pub read_only: bool,
    pub refresh_ms: Option<u64>,
    pub listen: Option<std::net::SocketAddr>,
    pub engine: Option<EngineMode>,
    /// `--insecure-listen`: plain HTTP on a non-loopback address, reported as such.
    pub insecure_listen: bool,
}

/// Build the settings from every layer, reading the real environment.
pub fn load(overrides: &Overrides) -> Result<Settings, SettingsError> {
    load_with(overrides, Paths::discover(), &|k| std::env::var(k).ok())
}

/// [`load`] with the paths and the environment given (for tests).
pub fn load_with(
    overrides: &Overrides,
    paths: Paths,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, SettingsError> {
    let env_file = lookup("NIGHTWATCH_CONFIG").map(PathBuf::from);
    let (file, must_exist) = match (&overrides.config, env_file) {
        (Some(p), _) => (p.clone(), true),
        (None, Some(p)) => (p, true),
        (None, None) => (paths.config_file(), false),
    };
    let mut settings = if must_exist || file.exists() {
        let mut s = from_file(&file)?;
        s.source = Some(file);
        s
    } else {
        Settings::default()
    };
    settings.paths = paths;
    env::apply(&mut settings, lookup)?;
    apply_flags(&mut settings, overrides);
    validate(&settings, settings.source.as_deref())?;
    Ok(settings)
}

/// Parse one config file. Errors carry the file, the dotted key, the line and column.
pub fn from_file(path: &Path) -> Result<Settings, SettingsError> {
    let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    from_text(path, &text)
}

/// Parse config text as if read from `path`.
pub fn from_text(path: &Path, text: &str) -> Result<Settings, SettingsError> {
    let de = toml::Deserializer::parse(text).map_err(|e| SettingsError::Syntax {
        path: path.to_path_buf(),
        location: location(text, e.span()),
        message: env::expectation(e.message()),
    })?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        let inner = e.into_inner();
        let loc = location(text, inner.span());
        SettingsError::Value {
            path: path.to_path_buf(),
            key,
            location: if loc.is_empty() {
                loc
            } else {
                format!(" ({loc})")
            },
            message: env::expectation(inner.message()),
        }
    })
}

fn location(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    let Some(span) = span else {
        return String::new();
    };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("line {line}, column {column}")
}

fn apply_flags(settings: &mut Settings, o: &Overrides) {
    if let Some(url) = &o.database_url {
        settings.database.url.clone_from(url);
    }
    if o.read_only {
        settings.console.read_only = true;
    }
    if let Some(ms) = o.refresh_ms {
        settings.console.refresh_ms = ms;
    }
    if let Some(listen) = o.listen {
        settings.engine.listen = listen;
    }
    if o.insecure_listen {
        settings.engine.insecure_listen = true;
    }
    if let Some(mode) = o.engine {
        settings.engine.mode = mode;
    }
}

/// Checks that serde's types cannot express: ranges and URL schemes.
fn validate(s: &Settings, file: Option<&Path>) -> Result<(), SettingsError> {
    let origin = file.map_or_else(
        || "settings".to_owned(),
        |p| format!("config file {}", p.display()),
    );
    let invalid = |key: &str, value: String, message: &str| SettingsError::Invalid {
        origin: origin.clone(),
        key: key.to_owned(),
        value,
        message: message.to_owned(),
    };
    let url = &s.database.url;
    if !url.is_empty()
        && ![
            "sqlite:",
            "mysql://",
            "mariadb://",
            "postgres://",
            "postgresql://",
        ]
        .iter()
        .any(|p| url.starts_with(p))
    {
        return Err(invalid(
            "database.url",
            crate::store::mask_url(url),
            "expected sqlite://PATH, mysql://USER:PASS@HOST:PORT/DB or postgres://USER:PASS@HOST:PORT/DB \
             (leave empty for the embedded SQLite)",
        ));
    }
    if !(50..=3_600_000).contains(&s.console.refresh_ms) {
        return Err(invalid(
            "console.refresh_ms",
            s.console.refresh_ms.to_string(),
            "expected milliseconds between 50 and 3600000 (default 1000)",
        ));
    }
    if s.database.max_connections == 0 {
        return Err(invalid(
            "database.max_connections",
            "0".into(),
            "expected at least 1 (default 8)",
        ));
    }
    if s.engine.heartbeat_secs == 0 || s.engine.lease_secs <= s.engine.heartbeat_secs {
        return Err(invalid(
            "engine.lease_secs",
            s.engine.lease_secs.to_string(),
            "expected more seconds than engine.heartbeat_secs (defaults 15 and 5), which must be at least 1",
        ));
    }
    for (sev, level) in &s.ingest.severity {
        if crate::domain::event::Level::parse(level).is_none() {
            return Err(invalid(
                &format!("ingest.severity.{sev}"),
                level.clone(),
                "expected P0, P1, P2 or P3",
            ));
        }
    }
    if s.ingest.queue == 0 || s.ingest.batch_max == 0 || s.ingest.max_body_bytes < 1024 {
        return Err(invalid(
            "ingest",
            format!(
                "queue={} batch_max={} max_body_bytes={}",
                s.ingest.queue, s.ingest.batch_max, s.ingest.max_body_bytes
            ),
            "expected queue and batch_max of at least 1 and max_body_bytes of at least 1024",
        ));
    }
    if !(1..=600).contains(&s.ingest.request_timeout_secs) {
        return Err(invalid(
            "ingest.request_timeout_secs",
            s.ingest.request_timeout_secs.to_string(),
            "expected 1 to 600 seconds (default 10): no sender should wait longer for an answer",
        ));
    }
    if !(1..=300).contains(&s.engine.header_timeout_secs) {
        return Err(invalid(
            "engine.header_timeout_secs",
            s.engine.header_timeout_secs.to_string(),
            "expected 1 to 300 seconds (default 30) for a client to send a request's headers",
        ));
    }
    match (&s.engine.tls_cert_file, &s.engine.tls_key_file) {
        (Some(_), None) => {
            return Err(invalid(
                "engine.tls_key_file",
                String::new(),
                "missing: engine.tls_cert_file is set, so give its PEM private key too \
                 (NIGHTWATCH_ENGINE_TLS_KEY_FILE), or unset both for plain HTTP",
            ));
        }
        (None, Some(_)) => {
            return Err(invalid(
                "engine.tls_cert_file",
                String::new(),
                "missing: engine.tls_key_file is set, so give its PEM certificate chain too \
                 (NIGHTWATCH_ENGINE_TLS_CERT_FILE), or unset both for plain HTTP",
            ));
        }
        _ => {}
    }
    if !(1..=30).contains(&s.engine.config_poll_secs) {
        return Err(invalid(
            "engine.config_poll_secs",
            s.engine.config_poll_secs.to_string(),
            "expected 1 to 30 seconds (default 5): configuration changes must apply within 30 s",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
