//! The `NIGHTWATCH_*` environment layer: one variable per setting, parsed with the same rules as the
//! file so a bad value gets the same kind of message.

use super::{Settings, SettingsError};

/// Every supported variable and the config key it sets (documented in `config.example.toml`).
pub const VARS: &[(&str, &str)] = &[
    ("NIGHTWATCH_DATABASE_URL", "database.url"),
    (
        "NIGHTWATCH_DATABASE_MAX_CONNECTIONS",
        "database.max_connections",
    ),
    (
        "NIGHTWATCH_DATABASE_CONNECT_TIMEOUT_SECS",
        "database.connect_timeout_secs",
    ),
    ("NIGHTWATCH_ENGINE_MODE", "engine.mode"),
    ("NIGHTWATCH_ENGINE_LISTEN", "engine.listen"),
    ("NIGHTWATCH_ENGINE_HEARTBEAT_SECS", "engine.heartbeat_secs"),
    ("NIGHTWATCH_ENGINE_LEASE_SECS", "engine.lease_secs"),
    (
        "NIGHTWATCH_ENGINE_CONFIG_POLL_SECS",
        "engine.config_poll_secs",
    ),
    ("NIGHTWATCH_ENGINE_RETENTION_DAYS", "engine.retention_days"),
    (
        "NIGHTWATCH_ENGINE_INSECURE_LISTEN",
        "engine.insecure_listen",
    ),
    (
        "NIGHTWATCH_ENGINE_MAX_CONNECTIONS",
        "engine.max_connections",
    ),
    (
        "NIGHTWATCH_ENGINE_HEADER_TIMEOUT_SECS",
        "engine.header_timeout_secs",
    ),
    ("NIGHTWATCH_ENGINE_TLS_CERT_FILE", "engine.tls_cert_file"),
    ("NIGHTWATCH_ENGINE_TLS_KEY_FILE", "engine.tls_key_file"),
    ("NIGHTWATCH_CONSOLE_REFRESH_MS", "console.refresh_ms"),
    ("NIGHTWATCH_CONSOLE_THEME", "console.theme"),
    ("NIGHTWATCH_CONSOLE_READ_ONLY", "console.read_only"),
    ("NIGHTWATCH_CONSOLE_ASCII", "console.ascii"),
    ("NIGHTWATCH_INGEST_MAX_BODY_BYTES", "ingest.max_body_bytes"),
    ("NIGHTWATCH_INGEST_QUEUE", "ingest.queue"),
    ("NIGHTWATCH_INGEST_BATCH_MAX", "ingest.batch_max"),
    (
        "NIGHTWATCH_INGEST_REQUEST_TIMEOUT_SECS",
        "ingest.request_timeout_secs",
    ),
    ("NIGHTWATCH_SECRETS_KEY_FILE", "secrets.key_file"),
    ("NIGHTWATCH_LOG_LEVEL", "log.level"),
];

/// Apply every set variable from `lookup` (the process environment in production, a map in tests).
pub fn apply(
    settings: &mut Settings,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(), SettingsError> {
    for (var, key) in VARS {
        let Some(value) = lookup(var) else { continue };
        set_key(settings, key, &value).map_err(|message| SettingsError::Env {
            var: (*var).to_owned(),
            value: value.clone(),
            message,
        })?;
    }
    Ok(())
}

/// Set one dotted key from its text form. The text is read as a TOML value when it is one (numbers,
/// booleans), otherwise as a string, then checked by the same serde types as the file.
pub fn set_key(settings: &mut Settings, key: &str, text: &str) -> Result<(), String> {
    let mut table = toml::Table::try_from(&*settings).map_err(|e| e.to_string())?;
    let (section, field) = key
        .split_once('.')
        .ok_or_else(|| format!("unknown key {key}"))?;
    // Read the text as a TOML value when it is one (numbers, booleans), else as a plain string.
    let value = format!("v = {text}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(text.to_owned()));
    let section_table = table
        .get_mut(section)
        .and_then(|s| s.as_table_mut())
        .ok_or_else(|| format!("unknown section {section}"))?;
    section_table.insert(field.to_owned(), value);
    let paths = settings.paths.clone();
    let source = settings.source.clone();
    let parsed: Settings = serde_path_to_error::deserialize(toml::Value::Table(table))
        .map_err(|e| expectation(e.inner().message()))?;
    *settings = Settings {
        paths,
        source,
        ..parsed
    };
    Ok(())
}

/// serde's wording, minus the noise a user doesn't need.
pub fn expectation(message: &str) -> String {
    message.trim().trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn env_sets_typed_values() {
        let mut s = Settings::default();
        apply(
            &mut s,
            &env(&[
                ("NIGHTWATCH_CONSOLE_REFRESH_MS", "250"),
                ("NIGHTWATCH_ENGINE_MODE", "off"),
                ("NIGHTWATCH_ENGINE_LISTEN", "127.0.0.1:9000"),
                ("NIGHTWATCH_CONSOLE_READ_ONLY", "true"),
                ("NIGHTWATCH_DATABASE_URL", "postgres://u:p@127.0.0.1/db"),
            ]),
        )
        .unwrap();
        assert_eq!(s.console.refresh_ms, 250);
        assert_eq!(s.engine.mode, crate::settings::EngineMode::Off);
        assert_eq!(s.engine.listen.port(), 9000);
        assert!(s.console.read_only);
        assert_eq!(s.database.url, "postgres://u:p@127.0.0.1/db");
    }

    #[test]
    fn env_bad_value_names_the_variable_and_the_expectation() {
        let mut s = Settings::default();
        let err = apply(&mut s, &env(&[("NIGHTWATCH_CONSOLE_REFRESH_MS", "soon")])).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("NIGHTWATCH_CONSOLE_REFRESH_MS"), "{text}");
        assert!(text.contains("u64"), "{text}");
        let err = apply(&mut s, &env(&[("NIGHTWATCH_ENGINE_MODE", "sometimes")])).unwrap_err();
        assert!(err.to_string().contains("auto"), "{err}");
    }
}
