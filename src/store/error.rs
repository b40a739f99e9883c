//! Store errors. Database errors are classified so callers can react (not found, conflict,
//! unavailable) and every message names the database with its password masked.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot connect to database {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("database {url} is read-only here: {what}")]
    ReadOnly { url: String, what: String },
    #[error(
        "database schema of {url} is at version {found}, this nightwatch needs {needed}: {hint}"
    )]
    Schema {
        url: String,
        found: i64,
        needed: i64,
        hint: String,
    },
    #[error("migration of {url} failed: {reason}")]
    Migrate { url: String, reason: String },
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error(
        "{key} was changed meanwhile: your edit is based on version {base}, the current version is \
         {current}, saved by {by} at {}", crate::domain::time::format_utc(*at)
    )]
    VersionConflict {
        key: String,
        base: i64,
        current: i64,
        by: String,
        at: i64,
    },
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Query(String),
    #[error("corrupt row in {table}: {reason}")]
    Corrupt { table: &'static str, reason: String },
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound("row".to_owned()),
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StoreError::Unavailable(e.to_string())
            }
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.message().to_owned())
            }
            _ => StoreError::Query(e.to_string()),
        }
    }
}

impl StoreError {
    /// Whether retrying later may help (the sender of an alert should get a 503, not a 400).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Unavailable(_) | StoreError::Connect { .. }
        )
    }
}
