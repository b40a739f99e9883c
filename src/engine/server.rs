//! The engine's HTTP server (axum): `GET /healthz`, `GET /metrics`, and the ingest routes, behind
//! a capped listener (see [`capped`]).

mod capped;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::{EngineError, Metrics};
use crate::domain::{EngineState, Instance, time::now_ms};
use crate::store::Store;

pub use capped::raise_nofile_limit;

#[derive(Clone)]
struct AppState {
    store: Store,
    me: Arc<Instance>,
    metrics: Arc<Metrics>,
    /// Plain HTTP on a non-loopback address (`--insecure-listen`): reported by `/healthz`.
    insecure: bool,
}

/// How the server runs.
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    pub max_connections: usize,
    pub insecure: bool,
}

/// Bind the listener, telling a taken port (another engine, most likely) from other failures.
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, EngineError> {
    match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => Ok(l),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => Err(EngineError::PortTaken {
            addr,
            by: probe_owner(addr).await,
        }),
        Err(source) => Err(EngineError::Bind { addr, source }),
    }
}

/// Ask whoever holds the port whether it is a nightwatch engine (its `/healthz` says so).
async fn probe_owner(addr: SocketAddr) -> String {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(1))
        .build();
    let Ok(client) = client else {
        return String::new();
    };
    let url = format!("http://{addr}/healthz");
    match client.get(&url).send().await {
        Ok(r) => match r.json::<serde_json::Value>().await {
            Ok(v) if v.get("service").and_then(|s| s.as_str()) == Some("nightwatch") => format!(
                " by a nightwatch engine (pid {} on {})",
                v.get("pid").map_or_else(String::new, ToString::to_string),
                v.get("hostname").and_then(|h| h.as_str()).unwrap_or("?")
            ),
            _ => " by another program".to_owned(),
        },
        Err(_) => " by another program".to_owned(),
    }
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// Serve until `cancel` fires, then drain in-flight requests. `extra` carries the ingest routes.
#[allow(clippy::too_many_arguments)] // each is one task-wide handle; a struct would only rename them
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Store,
    me: Instance,
    metrics: Arc<Metrics>,
    cancel: CancellationToken,
    state_tx: watch::Sender<EngineState>,
    extra: Router,
    options: ServeOptions,
) {
    let app = router(AppState {
        store,
        me: Arc::new(me),
        metrics,
        insecure: options.insecure,
    })
    .merge(extra);
    let listener = capped::CappedListener::new(listener, options.max_connections);
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(cancel.clone().cancelled_owned())
        .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "engine HTTP server failed");
        let _ = state_tx.send(EngineState::Failed {
            error: e.to_string(),
        });
        // Without its server the engine is not healthy: stop the other tasks too.
        cancel.cancel();
    }
}

async fn db_up(store: &Store) -> bool {
    store.schema_version().await.is_ok()
}

async fn healthz(State(s): State<AppState>) -> impl IntoResponse {
    s.metrics.http_requests.fetch_add(1, Ordering::Relaxed);
    let db = db_up(&s.store).await;
    let body = serde_json::json!({
        "service": "nightwatch",
        "status": if db { "ok" } else { "degraded" },
        "database": if db { "ok" } else { "unreachable" },
        "version": env!("CARGO_PKG_VERSION"),
        "instance": s.me.id,
        "hostname": s.me.hostname,
        "pid": s.me.pid,
        "master": s.metrics.is_master.load(Ordering::Relaxed),
        "insecure_listen": s.insecure,
        "ingest_breaker_open": s.metrics.ingest_breaker_open.load(Ordering::Relaxed),
    });
    let code = if db {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, axum::Json(body))
}

async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    s.metrics.http_requests.fetch_add(1, Ordering::Relaxed);
    let db = db_up(&s.store).await;
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.metrics.render(&s.me.id, db, now_ms()),
    )
}
