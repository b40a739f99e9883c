//! Bare `nightwatch`: open the store, start (or find) the engine, run the console, shut down.

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::console::ConsoleContext;
use crate::domain::EngineState;
use crate::engine::{Engine, EngineError, identity, signals, watch_external_engine};
use crate::settings::{EngineMode, Settings};

use super::Failure;

pub async fn run(settings: Settings) -> Result<(), Failure> {
    let _log = crate::logging::init(&settings.paths.state_dir, &settings.log.level, crate::logging::Echo::FileOnly);
    // Errors up to here print as one line on a normal terminal; the TUI is not up yet.
    let store = super::open_store(&settings).await?;
    let cancel = CancellationToken::new();
    let signals = tokio::spawn(signals::cancel_on_signals(cancel.clone()));

    let read_only = settings.console.read_only;
    let wanted = match settings.engine.mode {
        _ if read_only => Err("read-only".to_owned()),
        EngineMode::On => Ok(()),
        EngineMode::Auto if settings.is_embedded_sqlite() => Ok(()),
        EngineMode::Auto => Err("shared database: run `nightwatch serve`".to_owned()),
        EngineMode::Off => Err("engine = off".to_owned()),
    };
    let started = match wanted {
        Ok(()) => Engine::start(&settings, store.clone(), cancel.clone()).await.map_err(|e| match e {
            EngineError::PortTaken { addr, .. } => format!("port {addr} in use"),
            other => other.to_string(),
        }),
        Err(why) => Err(why),
    };
    let (engine, state, watcher) = match started {
        Ok(engine) => {
            let state = engine.state.clone();
            (Some(engine), state, None)
        }
        Err(why) => {
            tracing::info!(why, "no engine in this process");
            let (tx, rx) = watch::channel(EngineState::Off { why: why.clone() });
            let me = (!read_only).then(|| identity("console", ""));
            let task = tokio::spawn(watch_external_engine(
                store.clone(),
                me,
                settings.clone(),
                why,
                tx,
                cancel.clone(),
            ));
            (None, rx, Some(task))
        }
    };

    let ctx = ConsoleContext { settings, store: store.clone(), engine: state, shutdown: cancel.clone() };
    let result = crate::console::run(ctx).await;

    cancel.cancel();
    if let Some(engine) = engine {
        engine.wait().await;
    }
    if let Some(task) = watcher {
        let _ = task.await;
    }
    signals.abort();
    store.close().await;
    result.map_err(|e| Failure::Other(format!("console: {e:#}")))
}
