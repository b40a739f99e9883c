//! The redis probe: `INFO replication` (or another section) over a plain TCP connection, speaking
//! RESP directly (no client crate: two commands and three reply types are all it needs).
//!
//! Values: every `field:value` line of the section under its upper-cased name, numbers as numbers
//! (`CONNECTED_SLAVES = 1`, `MASTER_REPL_OFFSET = 1234`), other fields as text (`ROLE = "master"`,
//! `MASTER_LINK_STATUS = "up"` on a replica). `CONNECTED_REPLICAS` repeats `CONNECTED_SLAVES`.
//! Must not: send anything but `AUTH` and `INFO`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::tcp::port_of;
use super::{ProbeError, ProbeOutput, Target, bounded};
use crate::resp::{Conn, Reply};

/// Options of the redis probe. `host`, `port` and `password` default to the target's endpoints.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RedisSpec {
    /// Host; may use placeholders. Default: endpoint `host`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Port. Default: endpoint `port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// ACL user name (Redis 6+), sent with the password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Password for `AUTH`; may use placeholders. Default: endpoint `password`, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The `INFO` section (default `replication`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
}

pub(super) async fn run(
    spec: &RedisSpec,
    target: &Target,
    timeout: Duration,
) -> Result<ProbeOutput, ProbeError> {
    let host = target.pick(spec.host.as_deref(), "host")?;
    let port = port_of(spec.port, target)?;
    let addr = format!("{host}:{port}");
    let failed = |what: String| ProbeError::Failed(format!("redis at {addr}: {what}"));
    let mut conn = match Conn::connect(&addr, timeout).await {
        Ok(c) => c,
        Err(e) if e.starts_with("no connection within") => {
            return Err(ProbeError::Timeout(timeout));
        }
        Err(e) => return Err(ProbeError::NoConnection(format!("redis at {addr}: {e}"))),
    };
    let password = match &spec.password {
        Some(p) => Some(target.expand(p)?),
        None => target.endpoint("password"),
    };
    if let Some(pw) = password {
        conn.auth(spec.username.as_deref(), &pw)
            .await
            .map_err(failed)?;
    }
    let section = spec.section.as_deref().unwrap_or("replication");
    let info = match conn.command(&["INFO", section]).await {
        Ok(Reply::Text(t)) => t,
        Ok(Reply::Nil) => return Err(failed(format!("INFO {section}: no such section"))),
        Ok(other) => return Err(failed(format!("INFO {section}: {}", other.render()))),
        Err(e) => return Err(failed(format!("INFO {section}: {e}"))),
    };
    let mut out = ProbeOutput::default();
    for line in info.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
        if let Some((k, v)) = line.split_once(':') {
            let value = v
                .parse::<i64>()
                .map(Value::from)
                .or_else(|_| v.parse::<f64>().map(Value::from))
                .unwrap_or_else(|_| Value::from(v));
            out.set(&k.to_uppercase(), value);
        }
    }
    if let Some(n) = out.values.get("CONNECTED_SLAVES").cloned() {
        out.set("CONNECTED_REPLICAS", n);
    }
    let field = |k: &str| out.values.get(k).map(|v| v.to_string()).unwrap_or_default();
    out.message = match out.values.get("ROLE").and_then(Value::as_str) {
        Some("master") => format!(
            "master with {} connected replicas",
            field("CONNECTED_SLAVES")
        ),
        Some(role) => format!("{role}, master link {}", field("MASTER_LINK_STATUS")),
        None => format!("INFO {section}: {} fields", out.values.len()),
    };
    out.output = bounded(&info);
    Ok(out)
}
