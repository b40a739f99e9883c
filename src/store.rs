//! The store: the ONLY module that names `sqlx`.
//!
//! One implementation for SQLite (embedded default), MySQL-compatible databases and PostgreSQL, over
//! `sqlx::Any`. Query texts are written once with `?` placeholders; [`dialect::Dialect`] rewrites
//! them for PostgreSQL and renders the few statements whose syntax differs (upserts). Timestamps are
//! epoch milliseconds in `BIGINT`, JSON documents are `TEXT`, flags are `BIGINT` 0/1: the only types
//! that decode identically through `Any` on all three backends.

mod audit;
mod charset;
mod components;
mod connect;
mod content;
mod diagnosis;
mod diagnosis_metrics;
pub mod dialect;
mod dr;
mod error;
mod events;
mod inspection;
mod inspection_view;
mod instances;
mod keys;
mod known_hosts;
mod lease;
mod migrate;
mod outbox;
mod overview;
mod plan_progress;
mod plans;
mod restart;
mod selfheal;
mod sysconfig;
mod target;

pub use audit::NewAudit;
pub use connect::{ConnectOptions, mask_url};
pub use content::ApplyPlan;
pub use diagnosis::{DiagnosisEnd, DiagnosisRow, NewDiagnosis, TreeRow};
pub use diagnosis_metrics::ScenarioMetrics;
pub use dialect::Dialect;
pub use dr::{HISTORY_BUCKETS, LinkHistory, SampleRow};
pub use error::StoreError;
pub use events::{
    ArchivedEvent, COUNT_CAP, EventAction, EventRead, EventStats, IngestItem, IngestOutcome,
    RETENTION_DAYS,
};
pub use inspection::{ResultRow, RunRow};
pub use inspection_view::{InspectionStamp, TaskSummary};
pub use known_hosts::trust_audit;
pub use lease::LeaseClock;
pub use migrate::MigrateReport;
pub use outbox::{NO_EVENT, OutboxItem};
pub use plans::{
    NewPlanRun, NewStep, PlanRow, PlanRunRow, ScenarioRow, StepProcess, StepRow, StepUpdate,
    TERMINAL_RUN,
};
pub use selfheal::{HealCounts, NewSelfHeal, SelfHealRow};
pub use sysconfig::{ConfigSave, StoredConfig};
pub use target::{
    Access, Executed, MAX_TARGET_ROWS, TargetRows, TargetStatement, execute_target,
    execute_target_as, query_target, query_target_with,
};

use sqlx::AnyPool;

use crate::domain::DbInfo;

/// A handle on the database: a pool plus its dialect. Cheap to clone; share it freely.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    dialect: Dialect,
    /// The URL with the password masked, for messages and `info`.
    url: String,
    read_only: bool,
}

impl Store {
    /// Connect (and, for SQLite, create the file and its directory). Does not migrate.
    pub async fn connect(url: &str, options: &ConnectOptions) -> Result<Store, StoreError> {
        connect::connect(url, options).await
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The database URL with any password replaced by `***`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// What `info` and the Overview say about the database. `schema_version` is filled by
    /// [`Store::schema_version`]; this sync variant reports only what is known without a query.
    pub fn db_info(&self) -> DbInfo {
        DbInfo {
            backend: self.dialect.name().to_owned(),
            url: self.url.clone(),
            schema_version: None,
            schema_latest: migrate::latest(self.dialect),
            read_only: self.read_only,
        }
    }

    /// Close every pooled connection (waits for checked-out ones to come back).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Begin a transaction that will write. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`): a deferred transaction that reads first and writes later fails with
    /// SQLITE_BUSY (not covered by the busy timeout) when another writer committed in between;
    /// taking the lock up front makes it wait its turn instead.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        Ok(match self.dialect {
            Dialect::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Dialect::MySql | Dialect::Postgres => self.pool.begin().await?,
        })
    }

    /// Rewrite a `?`-placeholder query for this backend.
    ///
    /// Every text given here is assembled inside `store/` from constant fragments (table and column
    /// names, dialect keywords); values are always bound, never formatted in. That is what makes the
    /// `AssertSqlSafe` true.
    fn sql(&self, query: &str) -> sqlx::AssertSqlSafe<String> {
        sqlx::AssertSqlSafe(self.dialect.placeholders(query).into_owned())
    }
}

/// Create the database a URL names (MySQL/PostgreSQL `CREATE DATABASE`; SQLite creates the file).
/// Used by the test suites to give every test its own database.
pub async fn create_database(url: &str) -> Result<(), StoreError> {
    use sqlx::migrate::MigrateDatabase;
    sqlx::any::install_default_drivers();
    sqlx::Any::create_database(url)
        .await
        .map_err(|e| StoreError::Connect {
            url: mask_url(url),
            reason: e.to_string(),
        })
}

/// Drop the database a URL names. PostgreSQL closes other sessions first (`force`); MySQL has
/// no such thing and takes a plain drop.
pub async fn drop_database(url: &str) -> Result<(), StoreError> {
    use sqlx::migrate::MigrateDatabase;
    sqlx::any::install_default_drivers();
    let result = match Dialect::from_url(url) {
        Some(Dialect::Postgres) => sqlx::Any::force_drop_database(url).await,
        _ => sqlx::Any::drop_database(url).await,
    };
    result.map_err(|e| StoreError::Query(format!("drop {}: {e}", mask_url(url))))
}
