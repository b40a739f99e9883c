//! Schema migrations: one folder per dialect under `assets/migrations/`, same numbering, embedded at
//! build time and applied at start-up (under the migrator's lock, so concurrent engines are safe).

use serde::Serialize;
use sqlx::migrate::Migrator;

use super::{Dialect, Store, StoreError};

static SQLITE: Migrator = sqlx::migrate!("assets/migrations/sqlite");
static MYSQL: Migrator = sqlx::migrate!("assets/migrations/mysql");
static POSTGRES: Migrator = sqlx::migrate!("assets/migrations/postgres");

fn migrator(dialect: Dialect) -> &'static Migrator {
    match dialect {
        Dialect::Sqlite => &SQLITE,
        Dialect::MySql => &MYSQL,
        Dialect::Postgres => &POSTGRES,
    }
}

/// The highest migration version this binary carries for a dialect.
pub(super) fn latest(dialect: Dialect) -> i64 {
    migrator(dialect)
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0)
}

/// What `migrate` did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MigrateReport {
    pub before: Option<i64>,
    pub after: i64,
    /// (version, description) of every migration applied by this call.
    pub applied: Vec<(i64, String)>,
}

impl Store {
    /// Apply every pending migration. Refused on a read-only store.
    pub async fn migrate(&self) -> Result<MigrateReport, StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly {
                url: self.url.clone(),
                what: "cannot migrate".into(),
            });
        }
        let before = self.schema_version().await?;
        // Before any table exists: tables are created in the database's default charset.
        self.default_to_utf8mb4().await?;
        let m = migrator(self.dialect);
        m.run(&self.pool).await.map_err(|e| StoreError::Migrate {
            url: self.url.clone(),
            reason: e.to_string(),
        })?;
        self.check_text_columns().await?;
        let after = self.schema_version().await?.unwrap_or(0);
        let applied = m
            .iter()
            .filter(|mig| before.is_none_or(|b| mig.version > b) && mig.version <= after)
            .map(|mig| (mig.version, mig.description.to_string()))
            .collect();
        Ok(MigrateReport {
            before,
            after,
            applied,
        })
    }

    /// The highest applied migration, or `None` on a database nightwatch never touched.
    pub async fn schema_version(&self) -> Result<Option<i64>, StoreError> {
        let exists = match self.dialect {
            Dialect::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Dialect::MySql => {
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_name = '_sqlx_migrations'"
            }
            Dialect::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'"
            }
        };
        let n: i64 = sqlx::query_scalar(exists).fetch_one(&self.pool).await?;
        if n == 0 {
            return Ok(None);
        }
        let v: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(&self.pool)
            .await?;
        Ok(v)
    }

    /// Fail with a clear message unless the schema is exactly what this binary expects
    /// (used by read-only processes, which cannot migrate).
    pub async fn check_schema(&self) -> Result<(), StoreError> {
        let found = self.schema_version().await?.unwrap_or(0);
        let needed = latest(self.dialect);
        if found == needed {
            return Ok(());
        }
        let hint = if found < needed {
            "run `nightwatch migrate` (or start nightwatch once without --read-only)"
        } else {
            "this binary is older than the database: upgrade nightwatch"
        };
        Err(StoreError::Schema {
            url: self.url.clone(),
            found,
            needed,
            hint: hint.into(),
        })
    }
}
