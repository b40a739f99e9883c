//! `http`: one request; ok when the status is one of the expected ones (any 2xx when none are
//! given). Values: `STATUS`, `BODY` (JSON when it parses, else text, bounded), `OUTPUT` (the body
//! text, bounded). Redirects are not followed: a plan names the URL it means.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Live, MAX_OUTPUT_VALUE, Outcome, cut};

/// Most body bytes read.
const MAX_BODY: usize = 64 * 1024;

/// The client plan operations share (no redirects, our user agent).
pub fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .user_agent(concat!("nightwatch/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))
}

/// Send `method url` with `headers` and `body` within `timeout`.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    client: &reqwest::Client,
    method: &str,
    url: &str,
    headers: &BTreeMap<String, String>,
    body: Option<&str>,
    expect: &[u16],
    timeout: Duration,
    live: &Live,
) -> Result<Outcome, String> {
    let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes())
        .map_err(|_| format!("invalid HTTP method {method:?}"))?;
    let parsed = url::Url::parse(url).map_err(|e| format!("invalid URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("URL scheme {:?} is not http(s)", parsed.scheme()));
    }
    let shown = masked(&parsed);
    live.line(&format!("{m} {shown}"));
    let mut req = client.request(m, parsed).timeout(timeout);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    if let Some(b) = body {
        req = req.body(b.to_owned());
    }
    let started = Instant::now();
    let mut resp = match req.send().await {
        Ok(r) => r,
        Err(e) if e.is_timeout() => {
            return Ok(Outcome::new(false, format!("no answer within {timeout:?}")));
        }
        Err(e) => return Err(format!("{shown}: {}", chain(&e))),
    };
    let status = resp.status().as_u16();
    let mut bytes = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        bytes.extend_from_slice(&chunk[..chunk.len().min(MAX_BODY - bytes.len().min(MAX_BODY))]);
        if bytes.len() >= MAX_BODY {
            break;
        }
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    live.line(&format!(
        "HTTP {status} in {} ms",
        started.elapsed().as_millis()
    ));
    if !text.is_empty() {
        live.line(cut(&text, 8 * 1024));
    }
    let ok = if expect.is_empty() {
        (200..300).contains(&status)
    } else {
        expect.contains(&status)
    };
    let body = serde_json::from_str::<Value>(&text).unwrap_or_else(|_| Value::from(text.clone()));
    let message = if ok {
        format!("HTTP {status}")
    } else if expect.is_empty() {
        format!("HTTP {status}, expected 2xx")
    } else {
        format!("HTTP {status}, expected {expect:?}")
    };
    Ok(Outcome::new(ok, message)
        .with("STATUS", status)
        .with("BODY", body)
        .with("OUTPUT", cut(text.trim(), MAX_OUTPUT_VALUE)))
}

/// The URL with any password and query string hidden (tokens travel there).
fn masked(u: &url::Url) -> String {
    let mut u = u.clone();
    if u.password().is_some() {
        let _ = u.set_password(Some("****"));
    }
    if u.query().is_some() {
        u.set_query(Some("***"));
    }
    u.to_string()
}

fn chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_secrets() {
        let u = url::Url::parse("https://ops:pw@lb.local/restart?token=abc").unwrap();
        assert_eq!(masked(&u), "https://ops:****@lb.local/restart?***");
    }
}
