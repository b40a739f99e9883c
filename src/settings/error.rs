//! Settings errors: each names where the bad value came from, the key, and what is expected.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("config file {path}: cannot read it: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("config file {}: {location}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        location: String,
        message: String,
    },
    #[error("config file {}: key `{key}`{location}: {message}", path.display())]
    Value {
        path: PathBuf,
        key: String,
        location: String,
        message: String,
    },
    #[error("environment variable {var}={value:?}: {message}")]
    Env {
        var: String,
        value: String,
        message: String,
    },
    #[error("{origin}: `{key}` = {value:?}: {message}")]
    Invalid {
        origin: String,
        key: String,
        value: String,
        message: String,
    },
}
