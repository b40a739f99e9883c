//! Queries against a *monitored* database (the sql probe's target), not nightwatch's own.
//!
//! One connection per call, no pool: inspections are occasional and a target must not keep idle
//! sessions open. The session is read-only (MySQL/MariaDB `SET SESSION TRANSACTION READ ONLY`,
//! PostgreSQL `default_transaction_read_only`, SQLite `mode=ro`), so a probe query cannot write.
//!
//! Through `sqlx::Any` a value decodes only as an integer, a float, text, a boolean or bytes;
//! cast other types in SQL (`CAST(x AS SIGNED)`, `CAST(x AS CHAR)` on MySQL, `x::bigint`,
//! `x::text` on PostgreSQL). DECIMAL/NUMERIC, dates and times are such types.
//! Must not: touch nightwatch's own store, or keep a connection.

use std::str::FromStr as _;
use std::time::Duration;

use futures::TryStreamExt as _;
use serde_json::Value;
use sqlx::any::{AnyConnectOptions, AnyTypeInfoKind};
use sqlx::{Column as _, ConnectOptions as _, Connection as _, Executor as _, Row as _};
use sqlx::{TypeInfo as _, ValueRef as _};

use super::{Dialect, StoreError, mask_url};

/// The most rows a target query returns (the rest are not fetched).
pub const MAX_TARGET_ROWS: usize = 1000;

/// The rows of a target query: column names and values as JSON (null, integer, float, text,
/// boolean; bytes as lossy text).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetRows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    /// More than [`MAX_TARGET_ROWS`] rows were available.
    pub truncated: bool,
}

/// Run one query on the database `url` names (`mysql://`, `postgres://`, `sqlite://`) in a
/// read-only session, within `timeout` (connect included). Errors name the URL, password masked.
pub async fn query_target(
    url: &str,
    sql: &str,
    timeout: Duration,
) -> Result<TargetRows, StoreError> {
    let masked = mask_url(url);
    match tokio::time::timeout(timeout, query(url, sql)).await {
        Ok(result) => result.map_err(|reason| StoreError::Query(format!("{masked}: {reason}"))),
        Err(_) => Err(StoreError::Unavailable(format!(
            "{masked}: no answer within {timeout:?}"
        ))),
    }
}

async fn query(url: &str, sql: &str) -> Result<TargetRows, String> {
    sqlx::any::install_default_drivers();
    let dialect = Dialect::from_url(url)
        .ok_or("unknown scheme; expected mysql:// (MariaDB/MySQL), postgres:// or sqlite://")?;
    let url = match dialect {
        Dialect::Sqlite => read_only_sqlite(url),
        _ => url.to_owned(),
    };
    let options = AnyConnectOptions::from_str(&url)
        .map_err(|e| format!("invalid URL: {e}"))?
        .log_statements(tracing::log::LevelFilter::Trace);
    let mut conn = options.connect().await.map_err(|e| explain(&e))?;
    let setup = match dialect {
        Dialect::MySql => Some("SET SESSION TRANSACTION READ ONLY"),
        Dialect::Postgres => Some("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"),
        Dialect::Sqlite => None,
    };
    if let Some(stmt) = setup {
        conn.execute(stmt).await.map_err(|e| explain(&e))?;
    }
    let mut out = TargetRows::default();
    {
        // The text comes from the operator's own inspection rule, run read-only on their target:
        // that is what the rule is for, so it is sent as written.
        let mut stream = conn.fetch(sqlx::AssertSqlSafe(sql.to_owned()));
        while let Some(row) = stream.try_next().await.map_err(|e| explain(&e))? {
            if out.rows.len() == MAX_TARGET_ROWS {
                out.truncated = true;
                break;
            }
            if out.columns.is_empty() {
                out.columns = row.columns().iter().map(|c| c.name().to_owned()).collect();
            }
            let mut values = Vec::with_capacity(row.len());
            for i in 0..row.len() {
                values.push(decode(&row, i)?);
            }
            out.rows.push(values);
        }
    }
    let _ = conn.close().await;
    Ok(out)
}

fn decode(row: &sqlx::any::AnyRow, i: usize) -> Result<Value, String> {
    let raw = row.try_get_raw(i).map_err(|e| e.to_string())?;
    if raw.is_null() {
        return Ok(Value::Null);
    }
    let kind = raw.type_info().kind();
    let err = |e: sqlx::Error| format!("column {i}: {e}");
    Ok(match kind {
        AnyTypeInfoKind::Bool => Value::from(row.try_get::<bool, _>(i).map_err(err)?),
        AnyTypeInfoKind::SmallInt | AnyTypeInfoKind::Integer | AnyTypeInfoKind::BigInt => {
            Value::from(row.try_get::<i64, _>(i).map_err(err)?)
        }
        // Through its shortest text, so a REAL 0.1 stays 0.1 rather than 0.10000000149.
        AnyTypeInfoKind::Real => {
            let f = row.try_get::<f32, _>(i).map_err(err)?;
            Value::from(f.to_string().parse::<f64>().unwrap_or(f64::from(f)))
        }
        AnyTypeInfoKind::Double => Value::from(row.try_get::<f64, _>(i).map_err(err)?),
        AnyTypeInfoKind::Text => Value::from(row.try_get::<String, _>(i).map_err(err)?),
        AnyTypeInfoKind::Blob => Value::from(String::from_utf8_lossy(
            &row.try_get::<Vec<u8>, _>(i).map_err(err)?,
        )),
        AnyTypeInfoKind::Null => Value::Null,
        #[allow(unreachable_patterns)]
        _ => {
            return Err(format!(
                "column {i} has type {}; cast it in SQL",
                raw.type_info().name()
            ));
        }
    })
}

/// A SQLite URL opened read-only (`mode=ro` replaces any other mode).
fn read_only_sqlite(url: &str) -> String {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let mut params: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("mode="))
        .collect();
    params.insert(0, "mode=ro");
    format!("{path}?{}", params.join("&"))
}

fn explain(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => db.message().to_owned(),
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused (is the server running on that host and port?)".to_owned()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_is_opened_read_only() {
        assert_eq!(read_only_sqlite("sqlite:///a.db"), "sqlite:///a.db?mode=ro");
        assert_eq!(
            read_only_sqlite("sqlite:///a.db?mode=rwc&x=1"),
            "sqlite:///a.db?mode=ro&x=1"
        );
    }
}

/// One statement of [`execute_target`]: the SQL, the rows it must affect (or return, for a
/// query), and whether it is a query (its rows are counted instead of the affected ones).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetStatement {
    pub sql: String,
    pub expect_rows: Option<u64>,
    pub is_query: bool,
}

/// What [`execute_target`] did: the rows each statement affected (or returned), in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Executed {
    pub affected: Vec<u64>,
}

/// Run `statements` on the database `url` names in ONE transaction, within `timeout` (connect
/// included), for a plan's sql operation. A statement whose `expect_rows` does not hold rolls
/// the whole transaction back, and the error names the statement (by position) and both counts.
/// Errors name the URL, password masked.
pub async fn execute_target(
    url: &str,
    statements: &[TargetStatement],
    timeout: Duration,
) -> Result<Executed, StoreError> {
    let masked = mask_url(url);
    match tokio::time::timeout(timeout, execute(url, statements)).await {
        Ok(result) => result.map_err(|reason| StoreError::Query(format!("{masked}: {reason}"))),
        // Dropping the future drops the connection: the server rolls the transaction back.
        Err(_) => Err(StoreError::Unavailable(format!(
            "{masked}: not finished within {timeout:?} (rolled back)"
        ))),
    }
}

async fn execute(url: &str, statements: &[TargetStatement]) -> Result<Executed, String> {
    sqlx::any::install_default_drivers();
    Dialect::from_url(url)
        .ok_or("unknown scheme; expected mysql:// (MariaDB/MySQL), postgres:// or sqlite://")?;
    let options = AnyConnectOptions::from_str(url)
        .map_err(|e| format!("invalid URL: {e}"))?
        .log_statements(tracing::log::LevelFilter::Trace);
    let mut conn = options.connect().await.map_err(|e| explain(&e))?;
    let mut tx = conn.begin().await.map_err(|e| explain(&e))?;
    let mut out = Executed::default();
    for (i, st) in statements.iter().enumerate() {
        // The text comes from the operator's own plan, confirmed by its danger level before it
        // runs: that is what the operation is for, so it is sent as written.
        let sql = sqlx::AssertSqlSafe(st.sql.clone());
        let n = if st.is_query {
            let rows = (&mut *tx)
                .fetch_all(sql)
                .await
                .map_err(|e| format!("statement {}: {}", i + 1, explain(&e)))?;
            u64::try_from(rows.len()).unwrap_or(u64::MAX)
        } else {
            (&mut *tx)
                .execute(sql)
                .await
                .map_err(|e| format!("statement {}: {}", i + 1, explain(&e)))?
                .rows_affected()
        };
        if let Some(want) = st.expect_rows
            && n != want
        {
            let _ = tx.rollback().await;
            let what = if st.is_query { "returned" } else { "affected" };
            return Err(format!(
                "statement {} {what} {n} rows, expected {want}: rolled back",
                i + 1
            ));
        }
        out.affected.push(n);
    }
    tx.commit().await.map_err(|e| explain(&e))?;
    let _ = conn.close().await;
    Ok(out)
}
