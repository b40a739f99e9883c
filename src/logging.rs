//! Logging: `tracing` to a file in the XDG state dir, never to the terminal while the console is up.
//! `serve` (headless) also logs to stderr, where a service manager collects it.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Where the log goes besides the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Echo {
    /// File only (the console, one-shot commands).
    FileOnly,
    /// File and stderr (`serve`).
    Stderr,
}

/// Install the global subscriber. Keep the guard alive until exit: dropping it flushes the file.
/// Falls back to no file logging (with a note on stderr) when the state dir cannot be created, so a
/// read-only home never stops the console from starting.
pub fn init(state_dir: &Path, filter: &str, echo: Echo) -> Option<WorkerGuard> {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|e| {
        eprintln!("nightwatch: log.level {filter:?} is not a valid filter ({e}); using \"info\"");
        EnvFilter::new("info")
    });
    let file = std::fs::create_dir_all(state_dir)
        .map(|()| tracing_appender::rolling::never(state_dir, "nightwatch.log"))
        .map_err(|e| eprintln!("nightwatch: no log file in {}: {e}", state_dir.display()))
        .ok();
    let (file_layer, guard) = match file {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            (
                Some(fmt::layer().with_ansi(false).with_writer(writer)),
                Some(guard),
            )
        }
        None => (None, None),
    };
    let stderr_layer = (echo == Echo::Stderr).then(|| fmt::layer().with_writer(std::io::stderr));
    // A second init (tests) is harmless: the first subscriber stays.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(file_layer)
        .with(stderr_layer)
        .try_init();
    guard
}

/// The log file path for a state dir (shown by `info`).
pub fn file(state_dir: &Path) -> std::path::PathBuf {
    state_dir.join("nightwatch.log")
}
