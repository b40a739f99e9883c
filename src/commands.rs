//! What each command does. `main` parses the command line and hands it here; everything returns a
//! [`Failure`] with an exit code and one clear line instead of a stack trace.

mod apply;
mod config;
mod console;
pub mod diagnose;
mod dr;
mod events;
mod events_watch;
pub mod hosts;
mod info;
mod inspect;
pub mod key;
mod migrate;
mod plan;
pub mod selfheal;
mod serve;

pub use apply::{check_probe, seed_builtin};

use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::{Cli, Command};
use crate::settings::{Settings, SettingsError};
use crate::store::{ConnectOptions, Store, StoreError};

/// Print a line to stdout. A closed pipe (`nightwatch config list | head`) ends the process quietly
/// with success instead of panicking, as Unix tools do. Control characters other than newline and
/// tab are shown as visible escapes (see [`crate::domain::text`]): what the CLI prints includes
/// titles, labels and step output that came from outside, and must never steer the terminal.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => { $crate::commands::write_stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Print without a newline; see [`outln!`].
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::commands::write_stdout(format_args!($($arg)*)) };
}

/// Print a line to stderr, control characters escaped as for [`outln!`].
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => { $crate::commands::write_stderr(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Write to stdout, control characters escaped; exit 0 on a closed pipe, 1 on any other write
/// error.
pub fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let text = args.to_string();
    let safe = crate::domain::text::lines(&text);
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(safe.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("nightwatch: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}

/// Write to stderr, control characters escaped (a failed write to stderr has nowhere to go).
pub fn write_stderr(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let text = args.to_string();
    let safe = crate::domain::text::lines(&text);
    let _ = std::io::stderr().lock().write_all(safe.as_bytes());
}

/// A failed command: the exit code and the message for stderr.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("{0}")]
    Config(#[from] SettingsError),
    #[error("{0}")]
    Database(#[from] StoreError),
    #[error("{0}")]
    Engine(#[from] crate::engine::EngineError),
    #[error("{0}")]
    Sysconfig(#[from] crate::sysconfig::ConfigError),
    #[error("{0}")]
    Other(String),
}

impl Failure {
    /// Exit codes as documented in `--help`: 1 failure, 3 configuration, 4 database unreachable.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Config(_) => 3,
            Failure::Engine(
                crate::engine::EngineError::InsecureListen(_)
                | crate::engine::EngineError::Tls(_)
                | crate::engine::EngineError::Unauthenticated { .. },
            ) => 3,
            Failure::Database(e) if e.is_transient() => 4,
            Failure::Sysconfig(crate::sysconfig::ConfigError::Store(e)) if e.is_transient() => 4,
            _ => 1,
        }
    }
}

/// Run the parsed command line.
pub async fn run(cli: Cli) -> ExitCode {
    match dispatch(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            crate::errln!("nightwatch: {f}");
            tracing::error!(error = %f, "command failed");
            ExitCode::from(f.exit_code())
        }
    }
}

async fn dispatch(cli: Cli) -> Result<(), Failure> {
    if let Some(Command::Completions { shell }) = &cli.command {
        clap_complete::generate(
            *shell,
            &mut Cli::command(),
            "nightwatch",
            &mut std::io::stdout(),
        );
        return Ok(());
    }
    let settings = crate::settings::load(&cli.global.overrides())?;
    match cli.command {
        None => console::run(settings).await,
        Some(Command::Serve) => serve::run(settings).await,
        Some(Command::Migrate { output }) => migrate::run(settings, output).await,
        Some(Command::Info { output }) => info::run(settings, output).await,
        Some(Command::Config(c)) => config::run(settings, c).await,
        Some(Command::Inspect(c)) => inspect::run(settings, c).await,
        Some(Command::Plan(c)) => plan::run(settings, c).await,
        Some(Command::Apply { paths, dry_run }) => apply::run(settings, &paths, dry_run).await,
        Some(Command::Export) => apply::export(settings).await,
        Some(Command::Events(c)) => events::run(settings, c).await,
        Some(Command::Dr(c)) => dr::run(settings, c).await,
        Some(Command::Key(c)) => key::run(settings, c).await,
        Some(Command::Hosts(c)) => hosts::run(settings, c).await,
        Some(Command::Diagnose {
            event,
            tree,
            wait,
            output,
        }) => diagnose::diagnose(settings, event, tree, wait, output).await,
        Some(Command::Diagnosis(c)) => diagnose::run(settings, c).await,
        Some(Command::Selfheal(c)) => selfheal::run(settings, c).await,
        Some(Command::Completions { .. }) => Ok(()),
    }
}

/// Who is acting, for the audit log (see [`crate::settings::operator`]).
pub fn actor() -> String {
    crate::settings::operator()
}

/// Connect with the settings' pool options (read-only when asked).
pub async fn connect(settings: &Settings) -> Result<Store, StoreError> {
    let options = ConnectOptions {
        max_connections: settings.database.max_connections,
        connect_timeout: std::time::Duration::from_secs(settings.database.connect_timeout_secs),
        read_only: settings.console.read_only,
    };
    Store::connect(&settings.database_url(), &options).await
}

/// Connect and bring the schema up to date (or, read-only, check that it is).
pub async fn open_store(settings: &Settings) -> Result<Store, StoreError> {
    let store = connect(settings).await?;
    if store.is_read_only() {
        store.check_schema().await?;
    } else {
        let report = store.migrate().await?;
        if !report.applied.is_empty() {
            tracing::info!(?report, "database migrated");
        }
        // An engine without its plans and tasks looks healthy and does nothing: refuse to start.
        if let Err(e) = apply::seed_builtin(&store).await {
            return Err(StoreError::Migrate {
                url: store.url().to_owned(),
                reason: format!("cannot apply the built-in content library: {e}"),
            });
        }
    }
    Ok(store)
}
