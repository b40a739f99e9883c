//! The sql probe: one query against a MySQL/MariaDB, PostgreSQL or SQLite target, in a read-only
//! transaction, with its values bound (`args`), never pasted into the text.
//!
//! Values: `VALUE` (first column of the first row; absent when there are no rows), `ROWS` (row
//! count, at most `store::MAX_TARGET_ROWS`), `ROW` (the first row as an object by column name, so
//! `[ROW].node_type` works). Values are integers, floats, text or booleans: cast DECIMAL, dates
//! and other types in the query (see `store::target`). Must not: name `sqlx` (only `store` does).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ProbeError, ProbeOutput, Target, bounded};
use crate::store::{StoreError, query_target_with};

/// Options of the sql probe.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SqlSpec {
    /// Database URL (`mysql://user:pw@host:3306/db`, `postgres://…`, `sqlite://…`); may use
    /// placeholders. Default: endpoint `dsn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dsn: Option<String>,
    /// The query, with `?` where a value goes. Never a template: values are `args`.
    pub query: String,
    /// Values bound to the query's `?` placeholders, in order; strings may use placeholders
    /// (`{name}`, `{labels.zone}`), and in a plan's gate templates (`{{params.pod_id}}`). Bound,
    /// so the database never reads them as SQL.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<Value>,
}

pub(super) async fn run(
    spec: &SqlSpec,
    target: &Target,
    timeout: Duration,
) -> Result<ProbeOutput, ProbeError> {
    let dsn = target.pick(spec.dsn.as_deref(), "dsn")?;
    let args = spec
        .args
        .iter()
        .map(|a| match a {
            Value::String(s) => target.expand(s).map(Value::String),
            other => Ok(other.clone()),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let rows = query_target_with(&dsn, &spec.query, &args, timeout)
        .await
        .map_err(|e| match e {
            StoreError::Unavailable(_) => ProbeError::Timeout(timeout),
            e @ StoreError::Connect { .. } => ProbeError::NoConnection(e.to_string()),
            other => ProbeError::Failed(other.to_string()),
        })?;
    let mut out = ProbeOutput::default().with("ROWS", rows.rows.len());
    let more = if rows.truncated { "+" } else { "" };
    match rows.rows.first() {
        Some(first) => {
            let value = first.first().cloned().unwrap_or(Value::Null);
            out.message = format!("{} ({} rows{more})", text(&value), rows.rows.len());
            out.set("VALUE", value);
            let row = rows
                .columns
                .iter()
                .cloned()
                .zip(first.iter().cloned())
                .collect();
            out.set("ROW", Value::Object(row));
        }
        None => out.message = "no rows".to_owned(),
    }
    let mut table = vec![rows.columns.join("\t")];
    table.extend(
        rows.rows
            .iter()
            .map(|r| r.iter().map(text).collect::<Vec<_>>().join("\t")),
    );
    out.output = bounded(&table.join("\n"));
    Ok(out)
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
