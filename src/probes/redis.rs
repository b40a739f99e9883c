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
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

use super::tcp::port_of;
use super::{ProbeError, ProbeOutput, Target, bounded};

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

/// The longest reply accepted (an INFO section is a few KiB).
const MAX_REPLY: usize = 1024 * 1024;

pub(super) async fn run(
    spec: &RedisSpec,
    target: &Target,
    timeout: Duration,
) -> Result<ProbeOutput, ProbeError> {
    let host = target.pick(spec.host.as_deref(), "host")?;
    let port = port_of(spec.port, target)?;
    let addr = format!("{host}:{port}");
    let failed = |what: String| ProbeError::Failed(format!("redis at {addr}: {what}"));
    let stream = tokio::time::timeout(timeout, TcpStream::connect(&addr))
        .await
        .map_err(|_| ProbeError::Timeout(timeout))?
        .map_err(|e| failed(e.to_string()))?;
    let mut conn = BufReader::new(stream);
    let password = match &spec.password {
        Some(p) => Some(target.expand(p)?),
        None => target.endpoint("password"),
    };
    if let Some(pw) = password {
        let mut args = vec!["AUTH"];
        args.extend(spec.username.as_deref());
        args.push(&pw);
        command(&mut conn, &args)
            .await
            .map_err(|e| failed(format!("AUTH: {e}")))?;
    }
    let section = spec.section.as_deref().unwrap_or("replication");
    let info = command(&mut conn, &["INFO", section])
        .await
        .map_err(|e| failed(format!("INFO {section}: {e}")))?;
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

/// Send one command and read its reply: a status (`+`), an integer (`:`) or a bulk string (`$`)
/// as text; an error reply (`-`) is an `Err` with Redis's message.
async fn command(conn: &mut BufReader<TcpStream>, args: &[&str]) -> Result<String, String> {
    let mut req = format!("*{}\r\n", args.len());
    for a in args {
        req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    conn.get_mut()
        .write_all(req.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut line = String::new();
    let n = (&mut *conn)
        .take(MAX_REPLY as u64)
        .read_line(&mut line)
        .await
        .map_err(|e| e.to_string())?;
    if n == 0 {
        return Err("connection closed".into());
    }
    let line = line.trim_end();
    let (kind, rest) = line.split_at(line.len().min(1));
    match kind {
        "+" | ":" => Ok(rest.to_owned()),
        "-" => Err(rest.to_owned()),
        "$" => {
            let len: i64 = rest.parse().map_err(|_| format!("bad reply {line:?}"))?;
            let len = usize::try_from(len).map_err(|_| "no such section".to_owned())?;
            if len > MAX_REPLY {
                return Err(format!("reply of {len} bytes is too long"));
            }
            let mut buf = vec![0u8; len + 2];
            conn.read_exact(&mut buf).await.map_err(|e| e.to_string())?;
            buf.truncate(len);
            Ok(String::from_utf8_lossy(&buf).into_owned())
        }
        _ => Err(format!("unexpected reply {:?}", bounded(line))),
    }
}
