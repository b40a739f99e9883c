//! The http probe: one HTTP(S) request.
//!
//! Values: `STATUS`, `RESPONSE_TIME` (ms, request sent to body read), `BODY` (the parsed JSON
//! when the body is JSON, so `[BODY].status` works, else the text; bounded), `CERT_EXPIRES_DAYS`
//! (https: whole days until the server certificate's `notAfter`, negative once expired), and with
//! `regex`: `MATCHED` (bool) and `MATCH` (the first capture group, when the regex has one).
//!
//! Any status is a measurement; only "no answer" is an error. Must not: read more than
//! [`MAX_OUTPUT`] bytes of a body.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::clients::http_error;
use super::output::{MAX_OUTPUT, bounded, bounded_bytes};
use super::{ProbeContext, ProbeError, ProbeOutput, Target, elapsed_ms, tls_cert};

/// Options of the http probe.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSpec {
    /// The URL; may use placeholders. Default: endpoint `url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// HTTP method (default `GET`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Request headers; values may use placeholders.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Request body; may use placeholders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// A regular expression searched in the body text (sets `MATCHED`, `MATCH`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// Accept invalid or self-signed certificates (expiry is still reported).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure: bool,
    /// Follow redirects (default true, at most 10); false reports the 3xx itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_redirects: Option<bool>,
}

pub(super) async fn run(
    ctx: &ProbeContext,
    spec: &HttpSpec,
    target: &Target,
    timeout: Duration,
) -> Result<ProbeOutput, ProbeError> {
    let url = target.pick(spec.url.as_deref(), "url")?;
    let regex = spec
        .regex
        .as_deref()
        .map(regex::Regex::new)
        .transpose()
        .map_err(|e| ProbeError::Config(format!("regex: {e}")))?;
    let method = spec.method.as_deref().unwrap_or("GET").to_ascii_uppercase();
    let method = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|_| ProbeError::Config(format!("not an HTTP method: {method}")))?;
    let client = ctx.http(spec.insecure, spec.follow_redirects.unwrap_or(true))?;
    let mut req = client.request(method, &url).timeout(timeout);
    for (name, value) in &spec.headers {
        req = req.header(name.as_str(), target.expand(value)?);
    }
    if let Some(body) = &spec.body {
        req = req.body(target.expand(body)?);
    }
    let started = Instant::now();
    let mut resp = req
        .send()
        .await
        .map_err(|e| http_error(&e, &url, timeout))?;
    let status = resp.status();
    let cert_days = resp
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|t| t.peer_certificate())
        .and_then(tls_cert::not_after)
        .map(|at| (at - chrono::Utc::now().timestamp()).div_euclid(86_400));
    let head = format!(
        "{:?} {status}\n{}",
        resp.version(),
        headers_text(resp.headers())
    );
    let body = read_body(&mut resp, &url, timeout).await?;
    let ms = elapsed_ms(started);

    let mut out = ProbeOutput::new(format!("{status} in {ms} ms"))
        .with("STATUS", status.as_u16())
        .with("RESPONSE_TIME", ms);
    let parsed = serde_json::from_str::<Value>(&body)
        .ok()
        .filter(|v| v.is_object() || v.is_array());
    out.set(
        "BODY",
        parsed.unwrap_or_else(|| Value::String(body.clone())),
    );
    if let Some(days) = cert_days {
        out.set("CERT_EXPIRES_DAYS", days);
        out.message
            .push_str(&format!(", certificate expires in {days} days"));
    }
    if let Some(re) = &regex {
        let caps = re.captures(&body);
        out.set("MATCHED", caps.is_some());
        if let Some(m) = caps.as_ref().and_then(|c| c.get(1)) {
            out.set("MATCH", m.as_str());
        }
    }
    out.output = bounded(&format!("{head}\n{body}"));
    Ok(out)
}

/// The body as text, at most [`MAX_OUTPUT`] bytes (the rest is not read).
pub(super) async fn read_body(
    resp: &mut reqwest::Response,
    url: &str,
    timeout: Duration,
) -> Result<String, ProbeError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| http_error(&e, url, timeout))?
    {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_OUTPUT {
            break;
        }
    }
    Ok(bounded_bytes(&bytes))
}

fn headers_text(headers: &reqwest::header::HeaderMap) -> String {
    headers
        .iter()
        .map(|(k, v)| format!("{k}: {}", String::from_utf8_lossy(v.as_bytes())))
        .collect::<Vec<_>>()
        .join("\n")
}
