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

/// Check a request against one source's `INGEST_AUTH` entry. `Err` says what is wrong (never the
/// expected value).
pub fn check(cfg: &Value, headers: &HeaderMap, body: &[u8]) -> Result<(), String> {
    let mode = cfg.get("mode").and_then(Value::as_str).unwrap_or("bearer");
    let field = |k: &str| cfg.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let authz = header(headers, "authorization").unwrap_or("");
    match mode {
        "bearer" => {
            let token = field("token");
            if token.is_empty() {
                return Err("no token is configured for this source (INGEST_AUTH)".into());
            }
            match authz.strip_prefix("Bearer ") {
                Some(given) if same(given.trim(), &token) => Ok(()),
                Some(_) => Err("wrong bearer token".into()),
                None => Err("missing `Authorization: Bearer <token>`".into()),
            }
        }
        "basic" => {
            let expected = format!("{}:{}", field("user"), field("password"));
            let given = authz
                .strip_prefix("Basic ")
                .and_then(|b| {
                    base64::engine::general_purpose::STANDARD
                        .decode(b.trim())
                        .ok()
                })
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
            let secret = field("secret");
            if secret.is_empty() {
                return Err("no HMAC secret is configured for this source (INGEST_AUTH)".into());
            }
            let given = header(headers, "x-nightwatch-signature").unwrap_or("");
            let given = given.strip_prefix("sha256=").unwrap_or(given);
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
                .map_err(|e| e.to_string())?;
            mac.update(body);
            let expected = hex::encode(mac.finalize().into_bytes());
            if same(&given.to_ascii_lowercase(), &expected) {
                Ok(())
            } else {
                Err("missing or wrong X-Nightwatch-Signature (hex HMAC-SHA256 of the body)".into())
            }
        }
        other => Err(format!("unknown auth mode {other:?} in INGEST_AUTH")),
    }
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

    #[test]
    fn bearer_basic_hmac() {
        let bearer = json!({"mode": "bearer", "token": "t0k"});
        assert!(check(&bearer, &headers(&[("authorization", "Bearer t0k")]), b"").is_ok());
        assert!(check(&bearer, &headers(&[("authorization", "Bearer nope")]), b"").is_err());
        assert!(
            check(
                &json!({"mode": "bearer", "token": ""}),
                &headers(&[("authorization", "Bearer ")]),
                b""
            )
            .is_err()
        );
        let basic = json!({"mode": "basic", "user": "am", "password": "pw"});
        let b64 = base64::engine::general_purpose::STANDARD.encode("am:pw");
        assert!(
            check(
                &basic,
                &headers(&[("authorization", &format!("Basic {b64}"))]),
                b""
            )
            .is_ok()
        );
        let hmac = json!({"mode": "hmac", "secret": "k"});
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"k").unwrap();
        mac.update(b"body");
        let sig = hex::encode(mac.finalize().into_bytes());
        assert!(
            check(
                &hmac,
                &headers(&[("x-nightwatch-signature", &format!("sha256={sig}"))]),
                b"body"
            )
            .is_ok()
        );
        assert!(
            check(
                &hmac,
                &headers(&[("x-nightwatch-signature", &sig)]),
                b"other"
            )
            .is_err()
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
