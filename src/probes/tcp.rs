//! The tcp probe: can a TCP connection be opened?
//!
//! Values: `CONNECTED` (bool), `RESPONSE_TIME` (ms to connect). A refused or unreachable
//! connection is `CONNECTED = false` (a measurement); no answer within the deadline is
//! [`ProbeError::Timeout`]. Must not: send anything on the connection.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{ProbeError, ProbeOutput, Target, elapsed_ms};

/// Options of the tcp probe. `host` and `port` default to the target's endpoints.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TcpSpec {
    /// Host name or address; may use placeholders. Default: endpoint `host`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Port. Default: endpoint `port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

pub(super) async fn run(
    spec: &TcpSpec,
    target: &Target,
    timeout: Duration,
) -> Result<ProbeOutput, ProbeError> {
    let host = target.pick(spec.host.as_deref(), "host")?;
    let port = port_of(spec.port, target)?;
    let addr = format!("{host}:{port}");
    let started = Instant::now();
    let connect = tokio::net::TcpStream::connect(&addr);
    match tokio::time::timeout(timeout, connect).await {
        Err(_) => Err(ProbeError::Timeout(timeout)),
        Ok(Ok(_stream)) => {
            let ms = elapsed_ms(started);
            Ok(ProbeOutput::new(format!("connected to {addr} in {ms} ms"))
                .with("CONNECTED", true)
                .with("RESPONSE_TIME", ms))
        }
        Ok(Err(e)) => Ok(ProbeOutput::new(format!("cannot connect to {addr}: {e}"))
            .with("CONNECTED", false)
            .with("RESPONSE_TIME", elapsed_ms(started))),
    }
}

/// The port from the spec, else the target's `port` endpoint.
pub(super) fn port_of(spec: Option<u16>, target: &Target) -> Result<u16, ProbeError> {
    if let Some(p) = spec {
        return Ok(p);
    }
    let raw = target.pick(None, "port")?;
    raw.trim_matches('"').parse().map_err(|_| {
        ProbeError::Config(format!(
            "target {}: port endpoint {raw:?} is not a port",
            target.name
        ))
    })
}
