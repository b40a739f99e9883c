//! Queries against a *monitored* database (the sql probe's target), not nightwatch's own.
//!
//! One connection per call, no pool: inspections are occasional and a target must not keep idle
//! sessions open. Everything runs in ONE explicit transaction. A probe's query, and a plan's sql
//! step when it is a check or part of a dry run ([`Access::ReadOnly`]), run in a read-only
//! transaction — `START TRANSACTION READ ONLY` on MySQL/MariaDB, `BEGIN READ ONLY` on PostgreSQL,
//! `PRAGMA query_only` (and `mode=ro`) on SQLite — which is then rolled back: whatever the text
//! does, including a write hidden in a function, the database refuses it with its read-only error.
//!
//! Values are bound, never formatted in: each statement takes `args` for its `?` placeholders
//! (numbered per dialect by [`Dialect::bind_placeholders`]). A string binds as text, an integer as
//! a BIGINT, a float as a DOUBLE, a boolean as a boolean, null as NULL.
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

/// Whether a session on a target may write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Access {
    /// A plan step that changes things: one transaction, committed when every expectation holds.
    #[default]
    ReadWrite,
    /// A probe, a pre/postcheck, any step of a dry run: a read-only transaction, rolled back.
    ReadOnly,
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// `sql` with `args` bound, for `dialect`. Without args the text goes as written (a PostgreSQL
/// jsonb `?` operator then stays an operator).
fn bound(dialect: Dialect, sql: &str, args: &[Value]) -> AnyQuery<'static> {
    let text = if args.is_empty() {
        sql.to_owned()
    } else {
        dialect.bind_placeholders(sql).into_owned()
    };
    // The text is the operator's own statement (a rule or a plan, refused at `apply` if a
    // template stands in it); every value that came from outside is in `args`, bound below.
    let mut q = sqlx::query(sqlx::AssertSqlSafe(text));
    for a in args {
        q = match a {
            Value::Null => q.bind(None::<String>),
            Value::Bool(b) => q.bind(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => q.bind(i),
                None => q.bind(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => q.bind(s.clone()),
            other => q.bind(other.to_string()),
        };
    }
    q
}

/// Open a connection to `url` for `access`: (connection, dialect). A read-only SQLite session is
/// opened `mode=ro` with `PRAGMA query_only`.
async fn open(url: &str, access: Access) -> Result<(sqlx::AnyConnection, Dialect), String> {
    sqlx::any::install_default_drivers();
    let dialect = Dialect::from_url(url)
        .ok_or("unknown scheme; expected mysql:// (MariaDB/MySQL), postgres:// or sqlite://")?;
    let url = match (dialect, access) {
        (Dialect::Sqlite, Access::ReadOnly) => read_only_sqlite(url),
        _ => url.to_owned(),
    };
    let options = AnyConnectOptions::from_str(&url)
        .map_err(|e| format!("invalid URL: {e}"))?
        .log_statements(tracing::log::LevelFilter::Trace);
    let mut conn = options.connect().await.map_err(|e| explain(&e))?;
    if (dialect, access) == (Dialect::Sqlite, Access::ReadOnly) {
        conn.execute("PRAGMA query_only = ON")
            .await
            .map_err(|e| explain(&e))?;
    }
    Ok((conn, dialect))
}

/// Start the one transaction of a session.
async fn begin(
    conn: &mut sqlx::AnyConnection,
    dialect: Dialect,
    access: Access,
) -> Result<(), String> {
    let stmt = match (dialect, access) {
        (Dialect::MySql, Access::ReadOnly) => "START TRANSACTION READ ONLY",
        (Dialect::MySql, Access::ReadWrite) => "START TRANSACTION",
        (Dialect::Postgres, Access::ReadOnly) => "BEGIN READ ONLY",
        (Dialect::Postgres | Dialect::Sqlite, _) => "BEGIN",
    };
    conn.execute(stmt)
        .await
        .map(|_| ())
        .map_err(|e| explain(&e))
}

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
/// read-only transaction, within `timeout` (connect included). Errors name the URL, password
/// masked.
pub async fn query_target(
    url: &str,
    sql: &str,
    timeout: Duration,
) -> Result<TargetRows, StoreError> {
    query_target_with(url, sql, &[], timeout).await
}

/// [`query_target`] with `args` bound to the query's `?` placeholders.
pub async fn query_target_with(
    url: &str,
    sql: &str,
    args: &[Value],
    timeout: Duration,
) -> Result<TargetRows, StoreError> {
    let masked = mask_url(url);
    match tokio::time::timeout(timeout, query(url, sql, args)).await {
        Ok(result) => result.map_err(|reason| StoreError::Query(format!("{masked}: {reason}"))),
        Err(_) => Err(StoreError::Unavailable(format!(
            "{masked}: no answer within {timeout:?}"
        ))),
    }
}

async fn query(url: &str, sql: &str, args: &[Value]) -> Result<TargetRows, String> {
    let (mut conn, dialect) = open(url, Access::ReadOnly).await?;
    begin(&mut conn, dialect, Access::ReadOnly).await?;
    let mut out = TargetRows::default();
    {
        let mut stream = bound(dialect, sql, args).fetch(&mut conn);
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
    // Nothing to keep from a read-only transaction.
    let _ = conn.execute("ROLLBACK").await;
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

/// One statement of [`execute_target`]: the SQL (with `?` where its values go), the values
/// bound to it, the rows it must affect (or return, for a query), and whether it is a query (its
/// rows are counted instead of the affected ones).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetStatement {
    pub sql: String,
    pub args: Vec<Value>,
    pub expect_rows: Option<u64>,
    pub is_query: bool,
}

/// What [`execute_target`] did: the rows each statement affected (or returned), in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Executed {
    pub affected: Vec<u64>,
}

/// Run `statements` on the database `url` names in ONE read-write transaction, within `timeout`
/// (see [`execute_target_as`]).
pub async fn execute_target(
    url: &str,
    statements: &[TargetStatement],
    timeout: Duration,
) -> Result<Executed, StoreError> {
    execute_target_as(url, statements, timeout, Access::ReadWrite).await
}

/// Run `statements` on the database `url` names in ONE transaction, within `timeout` (connect
/// included), for a plan's sql operation. A statement whose `expect_rows` does not hold rolls
/// the whole transaction back, and the error names the statement (by position) and both counts.
/// [`Access::ReadOnly`] runs them in a read-only transaction that is rolled back at the end.
/// Errors name the URL, password masked.
pub async fn execute_target_as(
    url: &str,
    statements: &[TargetStatement],
    timeout: Duration,
    access: Access,
) -> Result<Executed, StoreError> {
    let masked = mask_url(url);
    match tokio::time::timeout(timeout, execute(url, statements, access)).await {
        Ok(result) => result.map_err(|reason| StoreError::Query(format!("{masked}: {reason}"))),
        // Dropping the future drops the connection: the server rolls the transaction back.
        Err(_) => Err(StoreError::Unavailable(format!(
            "{masked}: not finished within {timeout:?} (rolled back)"
        ))),
    }
}

async fn execute(
    url: &str,
    statements: &[TargetStatement],
    access: Access,
) -> Result<Executed, String> {
    let (mut conn, dialect) = open(url, access).await?;
    begin(&mut conn, dialect, access).await?;
    let result = run_all(&mut conn, dialect, statements).await;
    let end = match (&result, access) {
        (Ok(_), Access::ReadWrite) => "COMMIT",
        _ => "ROLLBACK",
    };
    let ended = conn.execute(end).await.map_err(|e| explain(&e));
    let _ = conn.close().await;
    let out = result?;
    ended?;
    Ok(out)
}

async fn run_all(
    conn: &mut sqlx::AnyConnection,
    dialect: Dialect,
    statements: &[TargetStatement],
) -> Result<Executed, String> {
    let mut out = Executed::default();
    for (i, st) in statements.iter().enumerate() {
        let failed = |e: sqlx::Error| format!("statement {}: {}", i + 1, explain(&e));
        let n = if st.args.is_empty() {
            // The operator's own statement, with no value in it (see `bound`).
            let sql = sqlx::AssertSqlSafe(st.sql.clone());
            if st.is_query {
                let rows = (&mut *conn).fetch_all(sql).await.map_err(failed)?;
                u64::try_from(rows.len()).unwrap_or(u64::MAX)
            } else {
                (&mut *conn)
                    .execute(sql)
                    .await
                    .map_err(failed)?
                    .rows_affected()
            }
        } else if st.is_query {
            let rows = bound(dialect, &st.sql, &st.args)
                .fetch_all(&mut *conn)
                .await
                .map_err(failed)?;
            u64::try_from(rows.len()).unwrap_or(u64::MAX)
        } else {
            bound(dialect, &st.sql, &st.args)
                .execute(&mut *conn)
                .await
                .map_err(failed)?
                .rows_affected()
        };
        if let Some(want) = st.expect_rows
            && n != want
        {
            let what = if st.is_query { "returned" } else { "affected" };
            return Err(format!(
                "statement {} {what} {n} rows, expected {want}: rolled back",
                i + 1
            ));
        }
        out.affected.push(n);
    }
    Ok(out)
}
