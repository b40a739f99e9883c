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
    #[error("database {url} cannot hold every alert's text: {reason}")]
    Charset { url: String, reason: String },
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
    /// The database refused the data itself (a value too long, a character the column cannot
    /// hold, a packet too big): retrying the same data can never succeed.
    #[error("the database refused the data: {0}")]
    Rejected(String),
    /// The database chose this transaction as a deadlock victim (MySQL 1213, SQLSTATE 40001;
    /// PostgreSQL 40P01) or refused it for serialization (40001) and rolled it back: running it
    /// again works.
    #[error("database deadlock, rolled back: {0}")]
    Deadlock(String),
    #[error("database error: {0}")]
    Query(String),
    #[error("corrupt row in {table}: {reason}")]
    Corrupt { table: &'static str, reason: String },
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound("row".to_owned()),
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
            sqlx::Error::Database(db) if server_going_away(db.as_ref()) => {
                StoreError::Unavailable(e.to_string())
            }
            sqlx::Error::Database(db)
                if matches!(db.code().as_deref(), Some("40001" | "40P01")) =>
            {
                StoreError::Deadlock(e.to_string())
            }
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.message().to_owned())
            }
            sqlx::Error::Database(db) if refuses_data(db.as_ref()) => {
                StoreError::Rejected(e.to_string())
            }
            _ => StoreError::Query(e.to_string()),
        }
    }
}

/// Whether the server said it is shutting down or dropped the session: PostgreSQL classes 08
/// (connection exception) and 57 (operator intervention: `57P01` admin shutdown); MySQL 1053
/// (shutdown in progress), 1927 (connection killed).
fn server_going_away(db: &dyn sqlx::error::DatabaseError) -> bool {
    if let Some(my) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        return matches!(my.number(), 1053 | 1927);
    }
    if db
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .is_some()
    {
        return db
            .code()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("57"));
    }
    false
}

/// Whether a database error is about the data sent (as opposed to the database being away, a lock,
/// or a missing table). MySQL says most of these with SQLSTATE `HY000`, so its error number
/// decides there.
fn refuses_data(db: &dyn sqlx::error::DatabaseError) -> bool {
    if let Some(my) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        // 1153/1301 packet or result too big, 1264 out of range, 1265 truncated, 1292 incorrect
        // value, 1300 invalid character string, 1366 incorrect string value, 1406 too long.
        return matches!(
            my.number(),
            1153 | 1264 | 1265 | 1292 | 1300 | 1301 | 1366 | 1406
        );
    }
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        // SQLITE_TOOBIG (18), SQLITE_MISMATCH (20), and their extended codes.
        let code = db.code().and_then(|c| c.parse::<i64>().ok()).unwrap_or(0);
        return matches!(code & 0xff, 18 | 20);
    }
    // PostgreSQL: class 22 is "data exception" (22021 bad character, 22P05 untranslatable, 22001
    // too long), 54000 a program limit such as an index row too big.
    db.code()
        .is_some_and(|c| c.starts_with("22") || c.starts_with("54"))
}

impl StoreError {
    /// Whether retrying later may help (the sender of an alert should get a 503, not a 400).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Unavailable(_) | StoreError::Connect { .. } | StoreError::Deadlock(_)
        )
    }

    /// Whether the database refused the data itself: the same data will never be stored, so the
    /// sender must not be told to retry it.
    pub fn is_rejected_data(&self) -> bool {
        matches!(self, StoreError::Rejected(_))
    }
}
