//! The HTTP handlers: auth on the headers, rate limit, then the body (bounded in size and time),
//! HMAC on the body, parse (400 naming the field), normalise, write. Nothing of a request's body
//! is read before its credentials are checked, so unauthenticated uploads cost no memory.

use std::sync::atomic::Ordering;

use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use super::writer::WriteError;
use super::{IngestState, alertmanager, auth, generic, normalise};
use crate::domain::event::Incoming;
use crate::domain::time::now_ms;

/// A body not received within this long is answered 503 (its sender retries; a slow-loris upload
/// does not hold a connection and a buffer for ever).
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// The ingest routes. Bodies are read by the handlers themselves (after auth, bounded by
/// `ingest.max_body_bytes` and [`BODY_TIMEOUT`]).
pub fn routes(state: IngestState) -> Router {
    Router::new()
        .route("/api/v1/alerts/alertmanager", post(alertmanager_hook))
        .route("/api/monitor/rms/alert", post(rms_hook))
        .route("/api/v1/events", post(events_hook))
        .with_state(state)
}

fn now_secs() -> i64 {
    now_ms() / 1000
}

fn answer(code: StatusCode, body: Value) -> Response {
    (code, axum::Json(body)).into_response()
}

fn retry_later(seconds: u32, why: &str) -> Response {
    let mut r = answer(
        StatusCode::SERVICE_UNAVAILABLE,
        json!({"error": why, "retry_after": seconds}),
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    r
}

fn unauthorized(s: &IngestState, source: &str, why: String) -> Box<Response> {
    s.metrics
        .ingest_unauthorized
        .fetch_add(1, Ordering::Relaxed);
    tracing::warn!(source, why, "ingest request refused: 401");
    let mut r = answer(StatusCode::UNAUTHORIZED, json!({"error": why}));
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"nightwatch\""),
    );
    Box::new(r)
}

fn too_large(s: &IngestState, source: &str) -> Box<Response> {
    s.metrics.ingest_too_large.fetch_add(1, Ordering::Relaxed);
    // Loud: no sender retries a 413, so these alerts are lost unless someone acts.
    tracing::error!(
        source,
        limit = s.settings.max_body_bytes,
        "request body over ingest.max_body_bytes: answered 413, the sender will NOT retry; \
         raise the limit or set max_alerts on the sender"
    );
    Box::new(answer(
        StatusCode::PAYLOAD_TOO_LARGE,
        json!({"error": format!("body over {} bytes (ingest.max_body_bytes)", s.settings.max_body_bytes)}),
    ))
}

/// Whether a body error is the size limit (reported by `to_bytes` as a boxed error chain).
fn over_limit(e: &axum::Error) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.to_string().contains("length limit exceeded") {
            return true;
        }
        cur = err.source();
    }
    false
}

/// The shared front half: auth on the headers (`pre`), rate limit, the body (size- and
/// time-bounded), then the check that needs the body (`post`: HMAC). `Err` is the response.
async fn admit(
    s: &IngestState,
    source: &str,
    headers: &HeaderMap,
    body: Body,
    pre: Result<(), String>,
    post: impl FnOnce(&[u8]) -> Result<(), String>,
) -> Result<Bytes, Box<Response>> {
    s.metrics.ingest_requests.fetch_add(1, Ordering::Relaxed);
    pre.map_err(|why| unauthorized(s, source, why))?;
    let rate = s
        .config
        .borrow()
        .get("INGEST_AUTH")
        .pointer(&format!("/{source}/rate_per_sec"))
        .and_then(Value::as_f64);
    if let Some(rate) = rate
        && !s.limits.allow(source, rate)
    {
        s.metrics.ingest_busy.fetch_add(1, Ordering::Relaxed);
        return Err(Box::new(retry_later(
            1,
            "rate limit for this source exceeded",
        )));
    }
    let limit = s.settings.max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(s, source));
    }
    let body = match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(b)) => b,
        Ok(Err(e)) if over_limit(&e) => return Err(too_large(s, source)),
        Ok(Err(e)) => {
            return Err(Box::new(answer(
                StatusCode::BAD_REQUEST,
                json!({"error": format!("body: {e}")}),
            )));
        }
        Err(_) => {
            s.metrics.ingest_busy.fetch_add(1, Ordering::Relaxed);
            return Err(Box::new(retry_later(
                1,
                "the body did not arrive within 30 s",
            )));
        }
    };
    post(&body).map_err(|why| unauthorized(s, source, why))?;
    Ok(body)
}

fn bad_request(s: &IngestState, why: String) -> Response {
    s.metrics.ingest_bad_request.fetch_add(1, Ordering::Relaxed);
    answer(StatusCode::BAD_REQUEST, json!({"error": why}))
}

/// Parse JSON into `T`, naming the path of the first problem. The whole document is validated
/// first (serde skips ignored fields without checking them, so an invalid escape in an unknown
/// field would otherwise pass): malformed JSON is always a 400.
fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("body: {e}"))?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.inner().to_string();
        if path == "." {
            format!("body: {msg}")
        } else {
            format!("{path}: {msg}")
        }
    })
}

async fn write(s: &IngestState, items: Vec<Incoming>) -> Response {
    match s.writer.submit(items).await {
        Ok(accepted) => answer(StatusCode::OK, json!(accepted)),
        Err(WriteError::Busy) => {
            s.metrics.ingest_busy.fetch_add(1, Ordering::Relaxed);
            retry_later(1, "ingest queue full")
        }
        Err(WriteError::Away) => {
            s.metrics.ingest_away.fetch_add(1, Ordering::Relaxed);
            retry_later(5, "database unavailable; nothing was stored")
        }
        Err(WriteError::Timeout) => {
            s.metrics.ingest_away.fetch_add(1, Ordering::Relaxed);
            retry_later(
                5,
                "not committed within ingest.request_timeout_secs; retry later",
            )
        }
        Err(WriteError::Database(_)) => retry_later(5, "database unavailable; nothing was stored"),
    }
}

async fn alertmanager_hook(
    State(s): State<IngestState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let cfg = s
        .config
        .borrow()
        .get("INGEST_AUTH")
        .get("alertmanager")
        .cloned()
        .unwrap_or(Value::Null);
    let now = now_secs();
    let pre = auth::check_headers(&cfg, &headers, now);
    let post = |b: &[u8]| auth::check_body(&cfg, &headers, b, &s.replay, now);
    let body = match admit(&s, "alertmanager", &headers, body, pre, post).await {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let payload: alertmanager::Payload = match parse(&body) {
        Ok(p) => p,
        Err(why) => return bad_request(&s, why),
    };
    if !payload.version.is_empty() && payload.version != "4" {
        tracing::warn!(version = %payload.version, "unexpected Alertmanager webhook version; reading it as v4");
    }
    tracing::debug!(receiver = %payload.receiver, group = %payload.group_key, alerts = payload.alerts.len(), "alertmanager group");
    if payload.truncated_alerts > 0 {
        tracing::warn!(
            truncated = payload.truncated_alerts,
            "Alertmanager truncated this group (max_alerts)"
        );
    }
    let now = now_ms();
    let items = payload
        .alerts
        .into_iter()
        .map(|a| normalise::from_alertmanager(a, &s.settings, now))
        .collect();
    write(&s, items).await
}

/// Generic events: one object or a list; each element named by its index on error. Each element
/// is parsed from its own text (never through a [`Value`], whose floats would round big numbers).
fn generic_items(s: &IngestState, body: &[u8], source: &str) -> Result<Vec<Incoming>, String> {
    use serde_json::value::RawValue;
    // Validates the whole document first (malformed JSON is always a 400).
    let _: Value = parse(body)?;
    let text = std::str::from_utf8(body).map_err(|e| format!("body: {e}"))?;
    let list: Vec<(Option<usize>, &RawValue)> = match text.trim_start().as_bytes().first() {
        Some(b'[') => serde_json::from_str::<Vec<&RawValue>>(text)
            .map_err(|e| format!("body: {e}"))?
            .into_iter()
            .enumerate()
            .map(|(i, v)| (Some(i), v))
            .collect(),
        Some(b'{') => vec![(
            None,
            serde_json::from_str::<&RawValue>(text).map_err(|e| format!("body: {e}"))?,
        )],
        _ => return Err("body: expected an event object or a list of them".into()),
    };
    let now = now_ms();
    let mut out = Vec::new();
    for (i, v) in list {
        let at = |m: String| match i {
            Some(i) => format!("[{i}].{m}"),
            None => m,
        };
        let e: generic::GenericEvent = parse_text(v.get()).map_err(at)?;
        out.push(normalise::from_generic(e, source, &s.settings, now).map_err(at)?);
    }
    Ok(out)
}

/// Parse one element from its text, naming the path of the first problem.
fn parse_text<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.inner().to_string();
        // serde_json appends " at line L column C": the path already says where.
        let msg = msg
            .rsplit_once(" at line ")
            .map_or(msg.as_str(), |(m, _)| m)
            .to_owned();
        if path == "." {
            msg
        } else {
            format!("{path}: {msg}")
        }
    })
}

async fn events_hook(State(s): State<IngestState>, headers: HeaderMap, body: Body) -> Response {
    let cfg = s
        .config
        .borrow()
        .get("INGEST_AUTH")
        .get("api")
        .cloned()
        .unwrap_or(Value::Null);
    let now = now_secs();
    let pre = auth::check_headers(&cfg, &headers, now);
    let post = |b: &[u8]| auth::check_body(&cfg, &headers, b, &s.replay, now);
    let body = match admit(&s, "api", &headers, body, pre, post).await {
        Ok(b) => b,
        Err(r) => return *r,
    };
    match generic_items(&s, &body, "api") {
        Ok(items) => write(&s, items).await,
        Err(why) => bad_request(&s, why),
    }
}

async fn rms_hook(
    State(s): State<IngestState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let cfg = s.config.borrow().get("NW_EMBEDDED_AK");
    let pre = auth::check_ak_sk(&cfg, &headers, query.as_deref());
    let body = match admit(&s, "rms", &headers, body, pre, |_| Ok(())).await {
        Ok(b) => b,
        Err(r) => return *r,
    };
    match generic_items(&s, &body, "rms") {
        Ok(items) => write(&s, items).await,
        Err(why) => bad_request(&s, why),
    }
}
