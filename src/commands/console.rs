//! Bare `nightwatch`: open the store, start (or find) the engine, run the console, shut down.

use tokio_util::sync::CancellationToken;

use crate::console::ConsoleContext;
use crate::engine::{attach, signals};
use crate::settings::Settings;

use super::Failure;

pub async fn run(settings: Settings) -> Result<(), Failure> {
    let _log = crate::logging::init(
        &settings.paths.state_dir,
        &settings.log.level,
        crate::logging::Echo::FileOnly,
    );
    // Errors up to here print as one line on a normal terminal; the TUI is not up yet.
    let store = super::open_store(&settings).await?;
    let cancel = CancellationToken::new();
    let signals = tokio::spawn(signals::cancel_on_signals(cancel.clone()));
    let attached = attach(&settings, &store, &cancel).await;

    let sysconfig = crate::sysconfig::SysConfig::from_settings(store.clone(), &settings);
    let ctx = ConsoleContext {
        sysconfig,
        settings,
        store: store.clone(),
        engine: attached.state.clone(),
        shutdown: cancel.clone(),
    };
    let result = crate::console::run(ctx).await;

    // Cancel, then wait for every task: the engine drains and deregisters before the store closes.
    cancel.cancel();
    attached.wait().await;
    signals.abort();
    store.close().await;
    result.map_err(|e| Failure::Other(format!("console: {e:#}")))
}
