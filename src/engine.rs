//! The engine: the headless side of nightwatch.
//!
//! Responsible for the HTTP server (`/healthz`, `/metrics`, later the ingest endpoints), the
//! instance registry heartbeat (`nw_component`), master election (`nw_master_vote`) and a graceful
//! shutdown: cancel, then wait for every task. It never touches the terminal.
//!
//! Runs in-process under the console when the database is the embedded SQLite (`engine = "auto"`),
//! or headless as `nightwatch serve` (several per shared database; exactly one is master).

mod attach;
pub mod config_watch;
pub mod diagnose;
pub mod dr;
mod identity;
pub mod ingest;
pub mod inspect;
mod metrics;
pub mod notify;
pub mod plans;
mod registry;
pub mod retention;
pub mod scheduler;
pub mod selfheal;
mod server;
pub mod signals;

use std::sync::Arc;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use attach::{Attached, attach};
pub use identity::identity;
pub use metrics::Metrics;
pub use registry::{MASTER_ROLE, Registry, watch_external_engine};

use crate::domain::EngineState;
use crate::settings::Settings;
use crate::store::Store;

/// Errors that stop the engine from starting.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("port {addr} is already in use{by}")]
    PortTaken {
        addr: std::net::SocketAddr,
        by: String,
    },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "refusing to listen on {addr}: a non-loopback address needs every ingest credential set, \
         and {missing} is not (see `nightwatch config get INGEST_AUTH` / NW_EMBEDDED_AK)"
    )]
    Unauthenticated {
        addr: std::net::SocketAddr,
        missing: String,
    },
    #[error(
        "refusing to listen on {0} with plain HTTP: give the engine a certificate for TLS \
         (engine.tls_cert_file and engine.tls_key_file, PEM), listen on 127.0.0.1 behind a \
         TLS-terminating proxy, or accept plain HTTP on this address with --insecure-listen \
         (engine.insecure_listen; /healthz and the status bar then say so)"
    )]
    InsecureListen(std::net::SocketAddr),
    #[error("TLS: {0}")]
    Tls(#[from] server::TlsError),
    #[error("cannot register the instance: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("cannot load the system configuration: {0}")]
    Config(#[from] crate::sysconfig::ConfigError),
}

/// A running engine: its state for the status bar, and the tasks to wait for on shutdown.
pub struct Engine {
    pub state: watch::Receiver<EngineState>,
    pub listen: std::net::SocketAddr,
    /// Served over TLS (`https://`).
    pub tls: bool,
    pub metrics: Arc<Metrics>,
    /// The configuration the engine runs with (for the ingest filters, credentials, …).
    pub config: watch::Receiver<Arc<config_watch::Effective>>,
    tasks: TaskTracker,
    cancel: CancellationToken,
}

impl Engine {
    /// Bind, register, and start every task. Returns once the server is listening, so a caller
    /// that gets `Ok` can connect at once.
    pub async fn start(
        settings: &Settings,
        store: Store,
        cancel: CancellationToken,
    ) -> Result<Engine, EngineError> {
        let addr = settings.engine.listen;
        let exposed = !addr.ip().is_loopback();
        // A bad certificate or key is a configuration error found before anything is taken.
        let tls = match (
            &settings.engine.tls_cert_file,
            &settings.engine.tls_key_file,
        ) {
            (Some(cert), Some(key)) => Some(server::tls_config(cert, key)?),
            _ => None,
        };
        // Plain HTTP on a non-loopback address only when asked for; TLS needs no flag.
        let insecure = exposed && tls.is_none();
        if insecure && !settings.engine.insecure_listen {
            return Err(EngineError::InsecureListen(addr));
        }
        if let Some(n) = server::raise_nofile_limit() {
            tracing::debug!(open_files = n, "open-file limit");
        }
        let listener = server::bind(addr).await?;
        let listen = listener
            .local_addr()
            .map_err(|source| EngineError::Bind { addr, source })?;
        let me = identity("engine", &listen.to_string());
        let metrics = Arc::new(Metrics::default());
        let registry = Registry::new(store.clone(), me.clone(), settings, Arc::clone(&metrics));
        let sysconfig = crate::sysconfig::SysConfig::from_settings(store.clone(), settings);
        // A host without the estate's key never starts: it could not open the configuration's
        // secrets, and must never seal new ones with a key of its own.
        sysconfig.check_key().await?;
        // From the first beat on this engine holds a row and maybe the lease: a start that fails
        // after it gives both back, so no standby waits for a lease nobody renews.
        let first = async {
            registry.beat().await?;
            sysconfig.seed_generated().await?;
            // The engine's own secrets, scrubbed from every output it stores (with the secret key
            // and the configuration's secrets, added by the configuration watch).
            let own = crate::domain::sysconfig::url_password(&settings.database_url());
            Ok::<_, EngineError>(
                config_watch::initial(&sysconfig, own.into_iter().collect()).await?,
            )
        };
        let (stamp, effective) = match first.await {
            Ok(v) => v,
            Err(e) => {
                registry.release().await;
                return Err(e);
            }
        };
        if exposed {
            if let Some(missing) = missing_credential(&effective) {
                registry.release().await;
                return Err(EngineError::Unauthenticated { addr, missing });
            }
            if insecure {
                tracing::warn!(%listen, "listening with plain HTTP on a non-loopback address (--insecure-listen)");
            }
        }
        // What this engine runs with is on record before `start` returns: a console that reads
        // the configuration right after sees a key adopted, not still "applying".
        if let Err(e) = sysconfig
            .store()
            .set_applied(&me.id, &effective.applied())
            .await
        {
            tracing::warn!(error = %e, "cannot record the applied configuration");
        }
        let (config_tx, config) = watch::channel(Arc::new(effective));
        let shown = if tls.is_some() {
            format!("{listen} (TLS)")
        } else if insecure {
            format!("{listen} (insecure HTTP)")
        } else {
            listen.to_string()
        };
        let (tx, state) = watch::channel(EngineState::InProcess { listen: shown });
        let tasks = TaskTracker::new();
        tasks.spawn(registry.run(cancel.clone()));
        tasks.spawn(config_watch::run(
            sysconfig.clone(),
            stamp,
            me.id.clone(),
            std::time::Duration::from_secs(settings.engine.config_poll_secs),
            config_tx,
            Arc::clone(&metrics),
            cancel.clone(),
        ));
        // Ingest: one writer behind a bounded queue. The writer ends when the server (which holds
        // every handle) has drained, so an acknowledged alert is always committed first.
        let notify_wake = Arc::new(tokio::sync::Notify::new());
        let bound = std::time::Duration::from_secs(settings.ingest.request_timeout_secs.max(1));
        let (writer, writer_task) = ingest::spawn_writer(
            store.clone(),
            config.clone(),
            Arc::clone(&metrics),
            &ingest::WriterConfig {
                queue: settings.ingest.queue,
                batch_max: settings.ingest.batch_max,
                bound,
            },
            Arc::clone(&notify_wake),
        );
        tasks.spawn(writer_task);
        // While the writer's breaker is open, a probe asks the database whether it is back.
        tasks.spawn(ingest::probe_loop(
            Arc::clone(writer.breaker()),
            store.clone(),
            bound.min(std::time::Duration::from_secs(2)),
            cancel.clone(),
        ));
        let notifier = notify::spawn(&tasks, &store, &me.id, &config, &notify_wake, &cancel);
        let _ = metrics.notify.set(Arc::clone(&notifier.metrics));
        let ingest_routes = ingest::routes(ingest::IngestState::new(
            writer,
            config.clone(),
            Arc::clone(&metrics),
            &settings.ingest,
        ));
        // Retention: the master archives closed events past `engine.retention_days`.
        tasks.spawn(retention::retention_loop(
            store.clone(),
            Arc::clone(&metrics),
            settings.engine.retention_days,
            std::time::Duration::from_secs(3_600),
            cancel.clone(),
        ));
        // Inspection: the master queues due tasks; every engine works off queued runs.
        let inspect_wake = Arc::new(tokio::sync::Notify::new());
        tasks.spawn(scheduler::schedule_loop(
            store.clone(),
            Arc::clone(&metrics),
            Arc::clone(&inspect_wake),
            cancel.clone(),
        ));
        // One SSH executor for every probe and plan step that runs on a component's host:
        // connections are shared and bounded across both.
        let probe_ctx = Arc::new(
            match crate::remote::Executor::new(
                Arc::new(crate::remote::StoreBacking {
                    store: store.clone(),
                    config: Some(sysconfig.clone()),
                }),
                crate::remote::Limits::default(),
            ) {
                Ok(exec) => crate::probes::ProbeContext::new().with_remote(Arc::new(exec)),
                Err(e) => {
                    tracing::error!(error = %e, "no SSH executor: probes and steps with `on` will fail");
                    crate::probes::ProbeContext::new()
                }
            },
        );
        let runner = inspect::Runner {
            store: store.clone(),
            probe: probe_fn_in(Arc::clone(&probe_ctx)),
            config: Some(config.clone()),
            notify_wake: Some(Arc::clone(&notify_wake)),
        };
        tasks.spawn(scheduler::work_loop(
            runner,
            me.id.clone(),
            inspect_wake,
            cancel.clone(),
        ));
        // DR dashboard: the master collects link lag, water levels and readiness.
        tasks.spawn(dr::collect_loop(
            store.clone(),
            Arc::clone(&metrics),
            config.clone(),
            Arc::clone(&notify_wake),
            cancel.clone(),
        ));
        // Plans: every engine works off queued plan runs.
        match plans::PlanWorker::new(store.clone(), &me.id) {
            Ok(mut w) => {
                w.config = Some(config.clone());
                w.probes = Arc::clone(&probe_ctx);
                w.notify_wake = Some(Arc::clone(&notify_wake));
                // The same lease as the master's: a dead engine's runs are interrupted as soon
                // as another engine would take over as master.
                w.lease_ms = i64::try_from(settings.engine.lease_secs.max(1) * 1000)
                    .unwrap_or(plans::LEASE_MS);
                tasks.spawn(plans::work_loop(
                    w,
                    Arc::new(tokio::sync::Notify::new()),
                    cancel.clone(),
                ));
            }
            Err(e) => tracing::error!(error = %e, "plan runs will not be executed by this engine"),
        }
        // Fault diagnosis: the master queues runs for events of scenarios with a tree; every
        // engine walks queued runs.
        let diagnose_work = Arc::new(tokio::sync::Notify::new());
        tasks.spawn(diagnose::match_loop(
            store.clone(),
            Arc::clone(&metrics),
            Arc::new(tokio::sync::Notify::new()),
            Arc::clone(&diagnose_work),
            cancel.clone(),
        ));
        tasks.spawn(diagnose::work_loop(
            diagnose::Diagnoser {
                store: store.clone(),
                probe: probe_fn_in(Arc::clone(&probe_ctx)),
                config: Some(config.clone()),
                worker: me.id.clone(),
                lease_ms: diagnose::LEASE_MS,
            },
            diagnose_work,
            cancel.clone(),
        ));
        tasks.spawn(selfheal::verify_loop(
            store.clone(),
            Arc::clone(&metrics),
            config.clone(),
            Arc::clone(&notify_wake),
            cancel.clone(),
        ));
        tasks.spawn(server::serve(
            listener,
            store,
            me,
            Arc::clone(&metrics),
            cancel.clone(),
            tx,
            ingest_routes,
            server::ServeOptions {
                max_connections: settings.engine.max_connections,
                insecure,
                tls: tls.clone(),
                header_timeout: std::time::Duration::from_secs(
                    settings.engine.header_timeout_secs.max(1),
                ),
            },
        ));
        tasks.close();
        tracing::info!(%listen, "engine started");
        Ok(Engine {
            state,
            listen,
            tls: tls.is_some(),
            metrics,
            config,
            tasks,
            cancel,
        })
    }

    /// Cancel every task and wait for all of them (the server drains in-flight requests, the
    /// registry releases the lease and removes the instance row).
    pub async fn shutdown(self) {
        self.cancel.cancel();
        self.tasks.wait().await;
        tracing::info!("engine stopped");
    }

    /// Wait until the tasks end on their own (after the cancel token fired elsewhere).
    pub async fn wait(self) {
        self.tasks.wait().await;
        tracing::info!("engine stopped");
    }
}

/// The first ingest credential that is not set, if any (a non-loopback listener needs them all).
fn missing_credential(effective: &config_watch::Effective) -> Option<String> {
    let auth = effective.get("INGEST_AUTH");
    for source in ["alertmanager", "api"] {
        let cfg = auth.get(source).cloned().unwrap_or_default();
        let field = match cfg.get("mode").and_then(|m| m.as_str()).unwrap_or("bearer") {
            "basic" => "password",
            "hmac" => "secret",
            _ => "token",
        };
        if cfg
            .get(field)
            .and_then(|v| v.as_str())
            .is_none_or(str::is_empty)
        {
            return Some(format!("INGEST_AUTH.{source}.{field}"));
        }
    }
    let ak = effective.get("NW_EMBEDDED_AK");
    ["ak", "sk"]
        .into_iter()
        .find(|k| {
            ak.get(*k)
                .and_then(|v| v.as_str())
                .is_none_or(str::is_empty)
        })
        .map(|k| format!("NW_EMBEDDED_AK.{k}"))
}

/// The real probe library as the inspection runner's probe function (shared HTTP pools).
pub fn probe_fn() -> inspect::ProbeFn {
    probe_fn_in(Arc::new(crate::probes::ProbeContext::new()))
}

/// [`probe_fn`] sharing `ctx` (its HTTP pools and SSH executor).
pub fn probe_fn_in(ctx: Arc<crate::probes::ProbeContext>) -> inspect::ProbeFn {
    Arc::new(move |spec, component, timeout| {
        let ctx = Arc::clone(&ctx);
        Box::pin(async move {
            let spec: crate::probes::ProbeSpec =
                serde_json::from_value(spec).map_err(|e| format!("probe spec: {e}"))?;
            let target = crate::probes::Target {
                name: component.name,
                endpoints: component.endpoints,
                labels: component.labels,
            };
            let out = crate::probes::run_in(&ctx, &spec, &target, timeout)
                .await
                .map_err(|e| match e {
                    crate::probes::ProbeError::Unreachable(_) => {
                        crate::domain::inspection::Unobserved::Unreachable(e.to_string())
                    }
                    crate::probes::ProbeError::NoConnection(_) => {
                        crate::domain::inspection::Unobserved::NoConnection(e.to_string())
                    }
                    e => crate::domain::inspection::Unobserved::Failed(e.to_string()),
                })?;
            Ok(crate::domain::inspection::Observation {
                values: out.values,
                message: out.message,
                output: out.output,
                duration_ms: i64::try_from(out.duration_ms).unwrap_or(i64::MAX),
            })
        })
    })
}
