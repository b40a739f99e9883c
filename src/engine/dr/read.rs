//! Reading the monitored servers: one SQL row from MariaDB/PostgreSQL (read-only session, through
//! `store::query_target`) or `INFO` sections from Redis (RESP), each within a timeout. Values come
//! back as the servers print them; [`num`] reads a number whether it came as one or as text.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::domain::Component;
use crate::resp::{Conn, Reply};

/// The first row of `sql` on the component's `dsn` endpoint, as an object by column name.
pub async fn sql_row(
    c: &Component,
    sql: &str,
    timeout: Duration,
) -> Result<Map<String, Value>, String> {
    let dsn = endpoint(c, "dsn")?;
    let rows = crate::store::query_target(&dsn, sql, timeout)
        .await
        .map_err(|e| e.to_string())?;
    let first = rows
        .rows
        .first()
        .ok_or_else(|| format!("{}: no rows", c.name))?;
    Ok(rows
        .columns
        .iter()
        .cloned()
        .zip(first.iter().cloned())
        .collect())
}

/// Every row of `sql`, as objects.
pub async fn sql_rows(
    c: &Component,
    sql: &str,
    timeout: Duration,
) -> Result<Vec<Map<String, Value>>, String> {
    let dsn = endpoint(c, "dsn")?;
    let rows = crate::store::query_target(&dsn, sql, timeout)
        .await
        .map_err(|e| e.to_string())?;
    Ok(rows
        .rows
        .iter()
        .map(|r| {
            rows.columns
                .iter()
                .cloned()
                .zip(r.iter().cloned())
                .collect()
        })
        .collect())
}

/// `INFO` of each section merged into one map (`field → value`), from the component's `host`,
/// `port` and optional `password` endpoints. The whole exchange is bounded by `timeout`: a
/// stopped server accepts the connection (the kernel does) but never answers.
pub async fn redis_info(
    c: &Component,
    sections: &[&str],
    timeout: Duration,
) -> Result<BTreeMap<String, String>, String> {
    let addr = format!("{}:{}", endpoint(c, "host")?, endpoint(c, "port")?);
    let password = endpoint(c, "password").ok();
    let work = async {
        let mut conn = Conn::connect(&addr, timeout).await?;
        if let Some(pw) = password {
            conn.auth(None, &pw).await?;
        }
        let mut out = BTreeMap::new();
        for s in sections {
            match conn.command(&["INFO", s]).await? {
                Reply::Text(t) => {
                    for line in t.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
                        if let Some((k, v)) = line.split_once(':') {
                            out.insert(k.to_owned(), v.to_owned());
                        }
                    }
                }
                other => return Err(format!("INFO {s}: {}", other.render())),
            }
        }
        Ok(out)
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(r) => r.map_err(|e| format!("redis {} at {addr}: {e}", c.name)),
        Err(_) => Err(format!(
            "redis {} at {addr}: no answer within {timeout:?}",
            c.name
        )),
    }
}

/// An endpoint as text (`port = 6379` is a number in TOML).
pub fn endpoint(c: &Component, key: &str) -> Result<String, String> {
    match c.endpoints.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Null) | None => Err(format!("component {} has no `{key}` endpoint", c.name)),
        Some(other) => Ok(other.to_string()),
    }
}

/// A number the server printed, as a number or as text (`SHOW` columns are often text).
pub fn num(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s
            .trim()
            .parse::<i64>()
            .ok()
            .or_else(|| s.trim().parse::<f64>().ok().map(|f| f as i64)),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

/// Text of a value (`Yes`, `streaming`).
pub fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// The sum of the sequence numbers of a GTID position (`0-1-42,1-2-7` → 49): one number that
/// grows by one per transaction, whatever the domains.
pub fn gtid_seq(pos: &str) -> Option<i64> {
    let mut total = 0i64;
    let mut any = false;
    for part in pos.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        total += part.rsplit('-').next()?.parse::<i64>().ok()?;
        any = true;
    }
    any.then_some(total).or(Some(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_from_numbers_and_text_and_gtids_sum_their_domains() {
        assert_eq!(num(Some(&Value::from(5))), Some(5));
        assert_eq!(num(Some(&Value::from(" 12 "))), Some(12));
        assert_eq!(num(Some(&Value::Null)), None);
        assert_eq!(gtid_seq("0-1-42"), Some(42));
        assert_eq!(gtid_seq("0-1-42,1-2-7"), Some(49));
        assert_eq!(gtid_seq(""), Some(0));
        assert_eq!(gtid_seq("x"), None);
    }
}
