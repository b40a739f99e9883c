//! Support for `tests/notify.rs`: a local HTTP receiver that plays DingTalk, Slack and a generic
//! webhook, and small builders. The DingTalk check is written here from the documented recipe,
//! independently of the engine's signing code, so a mistake there cannot hide itself.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::post;
use base64::Engine as _;
use hmac::{KeyInit, Mac};
use nightwatch::domain::event::{Event, Level, Status};
use nightwatch::domain::notify::Notification;
use nightwatch::domain::time::now_ms;
use nightwatch::engine::config_watch::Effective;
use nightwatch::engine::notify::{Backoff, Options};
use serde_json::{Value, json};
use tokio::sync::watch;

/// What the receiver saw on one path name.
#[derive(Default)]
struct Seen {
    accepted: Vec<(Instant, Value)>,
    rejected: usize,
    times: Vec<Instant>,
}

#[derive(Default)]
struct Inner {
    secret: String,
    seen: Mutex<HashMap<String, Seen>>,
    fail_next: Mutex<HashMap<String, usize>>,
}

/// A running receiver on a loopback port (stops with the test's runtime).
pub struct Receiver {
    base: String,
    inner: Arc<Inner>,
}

impl Receiver {
    /// Listen; `secret` is the DingTalk robot's signing secret.
    pub async fn start(secret: &str) -> Receiver {
        let inner = Arc::new(Inner {
            secret: secret.to_owned(),
            ..Inner::default()
        });
        let app = axum::Router::new()
            .route("/robot/send", post(robot))
            .route("/hook/{name}", post(hook))
            .with_state(Arc::clone(&inner));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { base, inner }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Answer 500 to the next `n` requests on `/hook/{name}`.
    pub fn fail_next(&self, name: &str, n: usize) {
        self.inner
            .fail_next
            .lock()
            .unwrap()
            .insert(name.to_owned(), n);
    }

    /// Bodies accepted on a path name (`robot` for DingTalk), in arrival order.
    pub fn accepted(&self, name: &str) -> Vec<Value> {
        let seen = self.inner.seen.lock().unwrap();
        seen.get(name)
            .map(|s| s.accepted.iter().map(|(_, v)| v.clone()).collect())
            .unwrap_or_default()
    }

    pub fn rejected(&self, name: &str) -> usize {
        self.inner
            .seen
            .lock()
            .unwrap()
            .get(name)
            .map_or(0, |s| s.rejected)
    }

    /// When each request (accepted or not) arrived.
    pub fn times(&self, name: &str) -> Vec<Instant> {
        self.inner
            .seen
            .lock()
            .unwrap()
            .get(name)
            .map(|s| s.times.clone())
            .unwrap_or_default()
    }
}

fn record(inner: &Inner, name: &str, body: Option<Value>) {
    let mut seen = inner.seen.lock().unwrap();
    let s = seen.entry(name.to_owned()).or_default();
    let now = Instant::now();
    s.times.push(now);
    match body {
        Some(b) => s.accepted.push((now, b)),
        None => s.rejected += 1,
    }
}

/// A DingTalk robot: `access_token` must be `TOKEN`, the timestamp within an hour, the sign the
/// HMAC-SHA256 of "<timestamp>\n<secret>" keyed by the secret, base64; and, like DingTalk, a
/// refusal is a 200 with a non-zero `errcode`.
async fn robot(
    State(inner): State<Arc<Inner>>,
    Query(q): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let ts: i64 = q.get("timestamp").and_then(|t| t.parse().ok()).unwrap_or(0);
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(inner.secret.as_bytes()).unwrap();
    mac.update(format!("{ts}\n{}", inner.secret).as_bytes());
    let want = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let fresh = (now_ms() - ts).abs() < 3_600_000;
    let token_ok = q.get("access_token").is_some_and(|t| t == "TOKEN");
    let sign_ok = q.get("sign").is_some_and(|s| *s == want);
    let shape_ok = body["msgtype"] == "markdown" && body["markdown"]["title"].is_string();
    if token_ok && fresh && sign_ok && shape_ok {
        record(&inner, "robot", Some(body));
        Json(json!({"errcode": 0, "errmsg": "ok"}))
    } else {
        record(&inner, "robot", None);
        Json(json!({"errcode": 310000, "errmsg": "sign not match"}))
    }
}

/// Slack and generic webhooks: 200, or 500 while told to fail.
async fn hook(
    State(inner): State<Arc<Inner>>,
    Path(name): Path<String>,
    Json(body): Json<Value>,
) -> StatusCode {
    let fail = {
        let mut f = inner.fail_next.lock().unwrap();
        match f.get_mut(&name) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    };
    record(&inner, &name, (!fail).then_some(body));
    if fail {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

/// The engine's configuration holding these `NOTIFY_CHANNELS` channels.
pub fn channels(list: Value) -> watch::Receiver<Arc<Effective>> {
    let mut e = Effective::default();
    e.values.insert(
        "NOTIFY_CHANNELS".to_owned(),
        (1, json!({ "channels": list })),
    );
    watch::channel(Arc::new(e)).1
}

/// Options for tests: quick ticks, 20 ms backoff doubling, 3 attempts in all.
pub fn fast() -> Options {
    Options {
        tick: Duration::from_millis(10),
        timeout: Duration::from_secs(5),
        lease: Duration::from_secs(30),
        backoff: Backoff {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(500),
            max_attempts: 3,
        },
        ..Options::default()
    }
}

/// A firing notification of event `id`.
pub fn notification(id: i64, level: Level) -> Notification {
    Notification {
        kind: "firing".into(),
        event: Event {
            id,
            fingerprint: format!("fp-{id}"),
            source: "alertmanager".into(),
            ds_type: "STACK#rds".into(),
            level,
            title: format!("disk full on db-{id}"),
            summary: "98% used".into(),
            labels: BTreeMap::from([("instance".to_owned(), format!("db-{id}"))]),
            annotations: BTreeMap::new(),
            component: format!("db-{id}"),
            status: Status::Open,
            firing: true,
            first_seen: 1_700_000_000_000,
            last_seen: 1_700_000_060_000,
            count: 4,
            flapping: false,
            assignee: String::new(),
            original_level: level,
            source_url: "http://prometheus.local/graph?g0.expr=up".into(),
            updated_at: 1_700_000_060_000,
        },
    }
}

/// Poll `check` until it holds, failing the test after 20 s.
pub async fn until<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Send the engine's log lines to the test output (shown when a test fails).
pub fn logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("nightwatch=info")
        .with_test_writer()
        .try_init();
}
