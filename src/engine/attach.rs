//! How a console gets its engine: start one in-process, or find the one another process runs.
//!
//! A second console on the same SQLite file finds the port taken (or a live engine row in
//! `nw_component`) and reports `External` instead of failing.

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{Engine, EngineError, identity, watch_external_engine};
use crate::domain::EngineState;
use crate::settings::{EngineMode, Settings};
use crate::store::Store;

/// The engine as a console holds it.
pub struct Attached {
    /// Present when this process runs the engine.
    pub engine: Option<Engine>,
    /// What the status bar shows.
    pub state: watch::Receiver<EngineState>,
    /// The task that watches for an external engine (when this process runs none).
    pub watcher: Option<JoinHandle<()>>,
}

impl Attached {
    /// Wait for the engine or the watcher to finish (after `cancel` fired).
    pub async fn wait(self) {
        if let Some(engine) = self.engine {
            engine.wait().await;
        }
        if let Some(task) = self.watcher {
            let _ = task.await;
        }
    }
}

/// Start the engine here when the settings ask for it, otherwise watch for one elsewhere.
pub async fn attach(settings: &Settings, store: &Store, cancel: &CancellationToken) -> Attached {
    let read_only = settings.console.read_only;
    let wanted = match settings.engine.mode {
        _ if read_only => Err("read-only".to_owned()),
        EngineMode::On => Ok(()),
        EngineMode::Auto if settings.is_embedded_sqlite() => Ok(()),
        EngineMode::Auto => Err("shared database: run `nightwatch serve`".to_owned()),
        EngineMode::Off => Err("engine = off".to_owned()),
    };
    let started = match wanted {
        Ok(()) => Engine::start(settings, store.clone(), cancel.clone())
            .await
            .map_err(|e| match e {
                EngineError::PortTaken { addr, .. } => format!("port {addr} in use"),
                other => other.to_string(),
            }),
        Err(why) => Err(why),
    };
    match started {
        Ok(engine) => Attached {
            state: engine.state.clone(),
            engine: Some(engine),
            watcher: None,
        },
        Err(why) => {
            tracing::info!(why, "no engine in this process");
            let (tx, state) = watch::channel(EngineState::Off { why: why.clone() });
            let me = (!read_only).then(|| identity("console", ""));
            let task = tokio::spawn(watch_external_engine(
                store.clone(),
                me,
                settings.clone(),
                why,
                tx,
                cancel.clone(),
            ));
            Attached {
                engine: None,
                state,
                watcher: Some(task),
            }
        }
    }
}
