//! `nightwatch serve`: the engine, headless, until SIGINT/SIGTERM/SIGHUP.

use tokio_util::sync::CancellationToken;

use crate::engine::{Engine, signals};
use crate::settings::Settings;

use super::Failure;

pub async fn run(settings: Settings) -> Result<(), Failure> {
    let _log = crate::logging::init(
        &settings.paths.state_dir,
        &settings.log.level,
        crate::logging::Echo::Stderr,
    );
    if settings.console.read_only {
        return Err(Failure::Other(
            "serve writes heartbeats and leases; it cannot run with --read-only".into(),
        ));
    }
    let store = super::open_store(&settings).await?;
    let cancel = CancellationToken::new();
    let signals = tokio::spawn(signals::cancel_on_signals(cancel.clone()));
    let engine = Engine::start(&settings, store.clone(), cancel.clone()).await?;
    // Machine-readable readiness line (scripts and tests wait for it).
    let scheme = if engine.tls { "https" } else { "http" };
    eprintln!(
        "nightwatch: engine listening on {scheme}://{}",
        engine.listen
    );
    engine.wait().await;
    signals.abort();
    store.close().await;
    Ok(())
}
