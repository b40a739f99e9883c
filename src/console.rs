//! The terminal console (TUI): tabs, panes, status bar, key map, themes, views.
//!
//! Message flow (DESIGN.md §3, STYLE.md): terminal events, ticks and data arrivals become
//! [`Action`]s; [`App::update`] applies them synchronously (no IO) and returns [`Effect`]s; the
//! runtime runs each effect on a tokio task and sends its result back as an `Action`. There is no
//! shared mutable state: the event loop alone owns the `App`. Read-only is one gate in `update`.
//!
//! This module never names the database or HTTP client crates: it reads and writes only through
//! [`crate::store::Store`] and [`crate::sysconfig::SysConfig`] (a test below checks it). Secrets
//! reach it only masked; a test renders every pane and popup and looks for one.

pub mod action;
pub mod app;
pub mod command;
pub mod confirm;
pub mod dr;
pub mod effect;
pub mod events;
pub mod filter;
pub mod glyphs;
mod hints;
pub mod inspections;
pub mod keymap;
pub mod line_input;
pub mod menu;
pub mod mode;
pub mod panes;
pub mod plans;
pub mod popups;
mod render;
pub mod resources;
pub mod rows;
pub(crate) mod runtime;
pub mod suggest;
pub mod sysconf;
pub mod tab;
pub mod theme;
mod tui;
pub mod view;
pub mod widgets;

#[cfg(test)]
mod fixture;
#[cfg(test)]
mod snapshot_tests;

#[cfg(test)]
mod boundary_tests;
#[cfg(test)]
mod config_snapshot_tests;
#[cfg(test)]
mod dr_snapshot_tests;
#[cfg(test)]
mod events_snapshot_tests;
#[cfg(test)]
mod idle_tests;
#[cfg(test)]
mod inspections_snapshot_tests;
#[cfg(test)]
mod plans_snapshot_tests;
#[cfg(test)]
mod secret_tests;

pub use action::Action;
pub use app::App;
pub use effect::Effect;
pub use runtime::{perform_event_effect, read_page};

/// What the console needs from the rest of the program.
pub struct ConsoleContext {
    /// Settings (`console.read_only` already merged with `--read-only`).
    pub settings: crate::settings::Settings,
    /// The store (cheap to clone).
    pub store: crate::store::Store,
    /// The system configuration service (masked views, validated and audited saves).
    pub sysconfig: crate::sysconfig::SysConfig,
    /// The engine's state, as the process sees it.
    pub engine: tokio::sync::watch::Receiver<crate::domain::EngineState>,
    /// Cancelled on SIGTERM/SIGHUP: leave cleanly and restore the terminal.
    pub shutdown: tokio_util::sync::CancellationToken,
}

/// Run the console until the operator quits or `shutdown` is cancelled. The terminal is restored
/// on every exit path, including a panic.
pub async fn run(ctx: ConsoleContext) -> color_eyre::Result<()> {
    runtime::run(ctx).await
}
