//! The engine's HTTP server (axum): `GET /healthz`, `GET /metrics`, and the ingest routes, behind
//! a capped listener (see [`capped`]), over plain HTTP or TLS ([`tls`]). Connections are served by
//! hyper's HTTP/1 server directly (not `axum::serve`) for its header-read timeout: a client that
//! has not sent a request's whole header within `engine.header_timeout_secs` is disconnected, however
//! slowly it keeps trickling bytes (the idle timeout alone would let it hold a connection for ever).

mod capped;
mod tls;

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
pub use tls::{TlsError, server_config as tls_config};

#[derive(Clone)]
struct AppState {
    store: Store,
    me: Arc<Instance>,
    metrics: Arc<Metrics>,
    /// Plain HTTP on a non-loopback address (`--insecure-listen`): reported by `/healthz`.
    insecure: bool,
    /// Served over TLS: reported by `/healthz`.
    tls: bool,
}

/// How the server runs.
#[derive(Clone)]
pub struct ServeOptions {
    pub max_connections: usize,
    pub insecure: bool,
    /// TLS (`engine.tls_cert_file` / `engine.tls_key_file`); `None`: plain HTTP.
    pub tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    /// A request's whole header (and, with TLS, the handshake) must arrive within this.
    pub header_timeout: std::time::Duration,
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

/// Ask whoever holds the port whether it is a nightwatch engine (its `/healthz` says so), over
/// plain HTTP or TLS (its certificate is not checked: only the answer's shape is read).
async fn probe_owner(addr: SocketAddr) -> String {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(1))
        .tls_danger_accept_invalid_certs(true)
        .build();
    let Ok(client) = client else {
        return String::new();
    };
    for scheme in ["http", "https"] {
        let url = format!("{scheme}://{addr}/healthz");
        let Ok(r) = client.get(&url).send().await else {
            continue;
        };
        return match r.json::<serde_json::Value>().await {
            Ok(v) if v.get("service").and_then(|s| s.as_str()) == Some("nightwatch") => format!(
                " by a nightwatch engine (pid {} on {})",
                v.get("pid").map_or_else(String::new, ToString::to_string),
                v.get("hostname").and_then(|h| h.as_str()).unwrap_or("?")
            ),
            _ => " by another program".to_owned(),
        };
    }
    " by another program".to_owned()
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
    use axum::serve::Listener as _;
    let app = router(AppState {
        store,
        me: Arc::new(me),
        metrics,
        insecure: options.insecure,
        tls: options.tls.is_some(),
    })
    .merge(extra);
    let mut listener = capped::CappedListener::new(listener, options.max_connections);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(options.header_timeout)
        .keep_alive(true);
    let acceptor = options.tls.map(tokio_rustls::TlsAcceptor::from);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let (stream, addr) = tokio::select! {
            c = listener.accept() => c,
            () = cancel.cancelled() => break,
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let http = http.clone();
        let watcher = graceful.watcher();
        let acceptor = acceptor.clone();
        let within = options.header_timeout;
        tokio::spawn(async move {
            let result = match acceptor {
                None => {
                    let conn = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                    watcher.watch(conn).await
                }
                Some(acceptor) => {
                    // The handshake is bounded like a header: a client that starts one and stalls
                    // (or speaks plain HTTP to the TLS port) is dropped.
                    let tls = match tokio::time::timeout(within, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => tls,
                        Ok(Err(e)) => {
                            tracing::debug!(%addr, error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!(%addr, "TLS handshake not done within the header timeout");
                            return;
                        }
                    };
                    let conn = http.serve_connection(hyper_util::rt::TokioIo::new(tls), service);
                    watcher.watch(conn).await
                }
            };
            if let Err(e) = result {
                tracing::debug!(%addr, error = %e, "connection ended with an error");
            }
        });
    }
    // Drain: in-flight requests finish, idle keep-alive connections are closed.
    drop(listener);
    graceful.shutdown().await;
    // Held until the server ends, so the status bar's watch stays open as long as the engine.
    drop(state_tx);
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
        "tls": s.tls,
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
