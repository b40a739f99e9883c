//! Text encodings: every backend must hold any Unicode text an alert carries (`磁盘已满`, emoji).
//!
//! MySQL-family: the database default is set to `utf8mb4` before migrating (so every table a
//! migration creates is utf8mb4 even on a server whose default is `latin1`), migration 0009 converts
//! the tables of older databases, and start-up checks the connection charset and every text column,
//! naming what is wrong and the statement that fixes it. PostgreSQL: the database encoding must be
//! UTF8. SQLite stores UTF-8 as it comes.

use sqlx::Row;

use super::{Dialect, Store, StoreError};

/// The collation nightwatch's MySQL tables use (case-insensitive search; identities that must
/// compare exactly, such as fingerprints, use `utf8mb4_bin` on their column).
pub const MYSQL_COLLATION: &str = "utf8mb4_unicode_ci";

impl Store {
    /// MySQL-family: make the database's default charset utf8mb4 (only when it is not, so a user
    /// without ALTER rights on an already-right database is never bothered).
    pub(super) async fn default_to_utf8mb4(&self) -> Result<(), StoreError> {
        if self.dialect != Dialect::MySql {
            return Ok(());
        }
        let current: String = sqlx::query_scalar(
            "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA \
             WHERE SCHEMA_NAME = DATABASE()",
        )
        .fetch_one(&self.pool)
        .await?;
        if current == "utf8mb4" {
            return Ok(());
        }
        // No database name: the statement applies to the connection's database.
        let alter = format!("ALTER DATABASE CHARACTER SET utf8mb4 COLLATE {MYSQL_COLLATION}");
        // Only constants in it: the charset and collation are nightwatch's own.
        sqlx::query(sqlx::AssertSqlSafe(alter.clone()))
            .execute(&self.pool)
            .await
            .map_err(|e| StoreError::Migrate {
                url: self.url.clone(),
                reason: format!(
                    "the database's default character set is {current}, which cannot hold every \
                     alert's text, and changing it failed ({e}); run `{alter}` as its owner, or \
                     create it with `CREATE DATABASE … CHARACTER SET utf8mb4`"
                ),
            })?;
        tracing::info!(from = %current, "database default character set changed to utf8mb4");
        Ok(())
    }

    /// Fail with a clear message when this connection cannot carry any Unicode text: MySQL-family,
    /// the session charset; PostgreSQL, the database encoding. Run at connect.
    pub async fn check_charset(&self) -> Result<(), StoreError> {
        match self.dialect {
            Dialect::Sqlite => Ok(()),
            Dialect::Postgres => {
                let enc: String = sqlx::query_scalar("SELECT CAST(pg_encoding_to_char(encoding) AS TEXT) FROM pg_database WHERE datname = current_database()")
                    .fetch_one(&self.pool)
                    .await?;
                if enc == "UTF8" {
                    return Ok(());
                }
                Err(StoreError::Charset {
                    url: self.url.clone(),
                    reason: format!(
                        "the database encoding is {enc}, which cannot hold every alert's text; \
                         create the database with `CREATE DATABASE … ENCODING 'UTF8' TEMPLATE \
                         template0` and point nightwatch at it"
                    ),
                })
            }
            Dialect::MySql => self.check_mysql_session().await,
        }
    }

    async fn check_mysql_session(&self) -> Result<(), StoreError> {
        let row = sqlx::query(
            "SELECT CAST(@@character_set_client AS CHAR) AS client, \
             CAST(@@character_set_connection AS CHAR) AS conn, \
             CAST(@@character_set_results AS CHAR) AS results",
        )
        .fetch_one(&self.pool)
        .await?;
        let session: Vec<String> = ["client", "conn", "results"]
            .iter()
            .map(|c| row.try_get::<String, _>(*c).unwrap_or_default())
            .collect();
        if session.iter().any(|c| c != "utf8mb4") {
            return Err(StoreError::Charset {
                url: self.url.clone(),
                reason: format!(
                    "the connection's character set is client={} connection={} results={}, not \
                     utf8mb4: text such as 磁盘已满 would be refused or mangled. Check a proxy in \
                     between, or the server's `character-set-client-handshake`/`init_connect`",
                    session[0], session[1], session[2]
                ),
            });
        }
        Ok(())
    }

    /// MySQL-family, after migrating: every nightwatch text column is utf8mb4, else an error that
    /// names the columns and the statements that fix them.
    pub async fn check_text_columns(&self) -> Result<(), StoreError> {
        if self.dialect != Dialect::MySql {
            return Ok(());
        }
        let rows = sqlx::query(
            "SELECT CAST(TABLE_NAME AS CHAR) AS t, CAST(COLUMN_NAME AS CHAR) AS c, \
             CAST(CHARACTER_SET_NAME AS CHAR) AS cs FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND CHARACTER_SET_NAME IS NOT NULL \
             AND CHARACTER_SET_NAME <> 'utf8mb4' AND TABLE_NAME <> '_sqlx_migrations' \
             ORDER BY TABLE_NAME, ORDINAL_POSITION",
        )
        .fetch_all(&self.pool)
        .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut tables: Vec<String> = Vec::new();
        let mut columns = Vec::new();
        for r in &rows {
            let t: String = r.try_get("t").unwrap_or_default();
            let c: String = r.try_get("c").unwrap_or_default();
            let cs: String = r.try_get("cs").unwrap_or_default();
            columns.push(format!("{t}.{c} ({cs})"));
            if !tables.contains(&t) {
                tables.push(t);
            }
        }
        let fix: Vec<String> = tables
            .iter()
            .map(|t| {
                format!(
                    "ALTER TABLE {t} CONVERT TO CHARACTER SET utf8mb4 COLLATE {MYSQL_COLLATION};"
                )
            })
            .collect();
        Err(StoreError::Charset {
            url: self.url.clone(),
            reason: format!(
                "text columns not in utf8mb4 cannot hold every alert's text: {}; fix with: {}",
                columns.join(", "),
                fix.join(" ")
            ),
        })
    }
}
