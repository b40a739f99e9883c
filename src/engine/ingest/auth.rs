//! Per-source credentials: bearer token, basic, or HMAC-SHA256 of the body (`INGEST_AUTH`), and the
//! ak/sk pair of `NW_EMBEDDED_AK` for the monitoring path. Comparisons are constant-time.

use axum::http::HeaderMap;
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use subtle::ConstantTimeEq;

fn same(a: &str, b: &str) -> bool {
    !b.is_empty() && a.as_bytes().ct_eq(b.as_bytes()).into()
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// How far a signed request's `X-Nightwatch-Timestamp` may be from this engine's clock, and how
/// long its signature is remembered to refuse a replay (seconds).
pub const HMAC_WINDOW_SECS: i64 = 300;

/// The credentials after the scheme word, when `authz` starts with `scheme` (any case: RFC 9110
/// makes the scheme case-insensitive).
fn credentials<'a>(authz: &'a str, scheme: &str) -> Option<&'a str> {
    let (given, rest) = authz.trim_start().split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then(|| rest.trim())
}

/// Check the headers of a request against one source's `INGEST_AUTH` entry, before its body is
/// read: bearer and basic are decided here; HMAC must carry a signature and a timestamp within
/// [`HMAC_WINDOW_SECS`] of `now_secs` (the signature itself needs the body: [`check_body`]).
/// `Err` says what is wrong (never the expected value).
pub fn check_headers(cfg: &Value, headers: &HeaderMap, now_secs: i64) -> Result<(), String> {
    let mode = cfg.get("mode").and_then(Value::as_str).unwrap_or("bearer");
    let field = |k: &str| cfg.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let authz = header(headers, "authorization").unwrap_or("");
    match mode {
        "bearer" => {
            let token = field("token");
            if token.is_empty() {
                return Err("no token is configured for this source (INGEST_AUTH)".into());
            }
            match credentials(authz, "bearer") {
                Some(given) if same(given, &token) => Ok(()),
                Some(_) => Err("wrong bearer token".into()),
                None => Err("missing `Authorization: Bearer <token>`".into()),
            }
        }
        "basic" => {
            let expected = format!("{}:{}", field("user"), field("password"));
            let given = credentials(authz, "basic")
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .and_then(|b| String::from_utf8(b).ok());
            match given {
                Some(g) if field("password").is_empty() => {
                    Err(format!("no password configured ({} bytes given)", g.len()))
                }
                Some(g) if same(&g, &expected) => Ok(()),
                Some(_) => Err("wrong user or password".into()),
                None => Err("missing `Authorization: Basic …`".into()),
            }
        }
        "hmac" => {
            if field("secret").is_empty() {
                return Err("no HMAC secret is configured for this source (INGEST_AUTH)".into());
            }
            if header(headers, "x-nightwatch-signature").is_none_or(str::is_empty) {
                return Err(HMAC_HOW.into());
            }
            let ts = header(headers, "x-nightwatch-timestamp")
                .and_then(|t| t.trim().parse::<i64>().ok())
                .ok_or(HMAC_HOW)?;
            if (now_secs - ts).abs() > HMAC_WINDOW_SECS {
                return Err(format!(
                    "X-Nightwatch-Timestamp is {}s away from this engine's clock (at most \
                     {HMAC_WINDOW_SECS}s): check the sender's clock",
                    now_secs - ts
                ));
            }
            Ok(())
        }
        other => Err(format!("unknown auth mode {other:?} in INGEST_AUTH")),
    }
}

const HMAC_HOW: &str = "missing or wrong X-Nightwatch-Signature / X-Nightwatch-Timestamp (hex \
    HMAC-SHA256 of \"<unix seconds>.<body>\", and those seconds)";

/// Signatures seen within the replay window: a signed request is accepted once.
#[derive(Debug, Default)]
pub struct ReplayGuard {
    // A std Mutex: held for a map operation, never across an await.
    seen: std::sync::Mutex<std::collections::HashMap<String, i64>>,
}

impl ReplayGuard {
    /// `false` when `signature` was seen within the window (a replay).
    fn first_time(&self, signature: &str, now_secs: i64) -> bool {
        let Ok(mut seen) = self.seen.lock() else {
            return false;
        };
        if seen.len() > 10_000 {
            seen.retain(|_, until| *until >= now_secs);
        }
        match seen.get(signature) {
            Some(until) if *until >= now_secs => false,
            _ => {
                seen.insert(signature.to_owned(), now_secs + 2 * HMAC_WINDOW_SECS);
                true
            }
        }
    }
}

/// The second half for HMAC: the signature over `"<timestamp>.<body>"`, once. Bearer and basic were
/// decided on the headers.
pub fn check_body(
    cfg: &Value,
    headers: &HeaderMap,
    body: &[u8],
    replay: &ReplayGuard,
    now_secs: i64,
) -> Result<(), String> {
    if cfg.get("mode").and_then(Value::as_str) != Some("hmac") {
        return Ok(());
    }
    let secret = cfg.get("secret").and_then(Value::as_str).unwrap_or("");
    let ts = header(headers, "x-nightwatch-timestamp")
        .unwrap_or("")
        .trim();
    let given = header(headers, "x-nightwatch-signature").unwrap_or("");
    let given = given
        .strip_prefix("sha256=")
        .unwrap_or(given)
        .to_ascii_lowercase();
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).map_err(|e| e.to_string())?;
    mac.update(ts.as_bytes());
    mac.update(b".");
    mac.update(body);
    let expected = hex::encode(mac.finalize().into_bytes());
    if !same(&given, &expected) {
        return Err(HMAC_HOW.into());
    }
    if !replay.first_time(&expected, now_secs) {
        return Err("this signed request was already received (replay refused)".into());
    }
    Ok(())
}

/// Headers then body, at once (the handlers split them around reading the body).
#[cfg(test)]
pub fn check(
    cfg: &Value,
    headers: &HeaderMap,
    body: &[u8],
    replay: &ReplayGuard,
    now_secs: i64,
) -> Result<(), String> {
    check_headers(cfg, headers, now_secs)?;
    check_body(cfg, headers, body, replay, now_secs)
}

/// The monitoring path: `ak`/`sk` as query parameters or headers must match `NW_EMBEDDED_AK`.
pub fn check_ak_sk(cfg: &Value, headers: &HeaderMap, query: Option<&str>) -> Result<(), String> {
    let want_ak = cfg.get("ak").and_then(Value::as_str).unwrap_or("");
    let want_sk = cfg.get("sk").and_then(Value::as_str).unwrap_or("");
    if want_ak.is_empty() || want_sk.is_empty() {
        return Err("NW_EMBEDDED_AK has no ak/sk configured".into());
    }
    let from_query = |k: &str| {
        url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
    };
    let ak = header(headers, "ak")
        .map(str::to_owned)
        .or_else(|| from_query("ak"))
        .unwrap_or_default();
    let sk = header(headers, "sk")
        .map(str::to_owned)
        .or_else(|| from_query("sk"))
        .unwrap_or_default();
    if ak.is_empty() || sk.is_empty() {
        return Err("missing ak/sk (query parameters or headers)".into());
    }
    // Both compared, always, so timing does not tell which one was wrong.
    let ok = same(&ak, want_ak) & same(&sk, want_sk);
    if ok {
        Ok(())
    } else {
        Err("wrong ak/sk".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    fn sign(secret: &str, ts: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{ts}.").as_bytes());
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn bearer_basic_hmac() {
        let g = ReplayGuard::default();
        let now = 1_000_000;
        let bearer = json!({"mode": "bearer", "token": "t0k"});
        assert!(
            check(
                &bearer,
                &headers(&[("authorization", "Bearer t0k")]),
                b"",
                &g,
                now
            )
            .is_ok()
        );
        assert!(
            check(
                &bearer,
                &headers(&[("authorization", "bearer t0k")]),
                b"",
                &g,
                now
            )
            .is_ok(),
            "the scheme is case-insensitive"
        );
        assert!(
            check(
                &bearer,
                &headers(&[("authorization", "BEARER  t0k")]),
                b"",
                &g,
                now
            )
            .is_ok()
        );
        assert!(
            check(
                &bearer,
                &headers(&[("authorization", "Bearer nope")]),
                b"",
                &g,
                now
            )
            .is_err()
        );
        assert!(
            check(
                &bearer,
                &headers(&[("authorization", "Bearert0k")]),
                b"",
                &g,
                now
            )
            .is_err()
        );
        assert!(
            check(
                &json!({"mode": "bearer", "token": ""}),
                &headers(&[("authorization", "Bearer ")]),
                b"",
                &g,
                now
            )
            .is_err()
        );
        let basic = json!({"mode": "basic", "user": "am", "password": "pw"});
        let b64 = base64::engine::general_purpose::STANDARD.encode("am:pw");
        for scheme in ["Basic", "basic"] {
            let h = headers(&[("authorization", &format!("{scheme} {b64}"))]);
            assert!(check(&basic, &h, b"", &g, now).is_ok(), "{scheme}");
        }
        let hmac = json!({"mode": "hmac", "secret": "k"});
        let sig = sign("k", now, b"body");
        let ts = now.to_string();
        let signed = headers(&[
            ("x-nightwatch-signature", &format!("sha256={sig}")),
            ("x-nightwatch-timestamp", &ts),
        ]);
        assert!(check(&hmac, &signed, b"body", &g, now + 10).is_ok());
        let replay = check(&hmac, &signed, b"body", &g, now + 20).unwrap_err();
        assert!(replay.contains("replay"), "{replay}");
        let other = sign("k", now, b"other");
        let h = headers(&[
            ("x-nightwatch-signature", &other),
            ("x-nightwatch-timestamp", &ts),
        ]);
        assert!(
            check(&hmac, &h, b"changed", &g, now).is_err(),
            "the body is signed"
        );
        let late = check_headers(&hmac, &h, now + HMAC_WINDOW_SECS + 1).unwrap_err();
        assert!(late.contains("clock"), "{late}");
        let unsigned_ts = headers(&[("x-nightwatch-signature", &other)]);
        assert!(
            check_headers(&hmac, &unsigned_ts, now).is_err(),
            "a timestamp is required"
        );
    }

    #[test]
    fn ak_sk_from_query_or_headers() {
        let cfg = json!({"ak": "A", "sk": "S"});
        assert!(check_ak_sk(&cfg, &HeaderMap::new(), Some("ak=A&sk=S")).is_ok());
        assert!(check_ak_sk(&cfg, &headers(&[("ak", "A"), ("sk", "S")]), None).is_ok());
        assert!(check_ak_sk(&cfg, &HeaderMap::new(), Some("ak=A&sk=x")).is_err());
        assert!(
            check_ak_sk(
                &json!({"ak": "", "sk": ""}),
                &HeaderMap::new(),
                Some("ak=&sk=")
            )
            .is_err()
        );
    }
}
