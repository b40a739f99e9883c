//! nightwatch: a keyboard-driven terminal console for technical-risk and high-availability operations.
//!
//! The architecture map (DESIGN.md §2–§3):
//!
//! - [`domain`]: pure types and rules: components, instances, danger levels, audit entries, risk
//!   events and their transitions, the system-configuration registry, inspection conditions and
//!   windows, content-as-code validation. No IO, no async.
//! - [`settings`]: layered app settings: embedded defaults < config file < `NIGHTWATCH_*` env < flags.
//! - [`store`]: the ONLY module that names `sqlx`. One implementation over SQLite, MySQL-compatible and
//!   PostgreSQL databases; dialect differences live in `store/dialect.rs`.
//! - [`engine`]: the headless side: HTTP server (`/healthz`, `/metrics`, alert ingest), instance
//!   heartbeat, master election, live configuration, notification outbox delivery, inspection
//!   scheduling and runs, graceful shutdown. In-process for the embedded SQLite, `serve` otherwise.
//! - [`sysconfig`]: system configuration as operators use it: versions, validation, secrets sealed
//!   at rest and masked wherever shown.
//! - [`probes`]: inspection probes (host, http, page, tcp, process, command, sql, redis, prometheus):
//!   measure one target and return named values; never decide pass/fail.
//! - [`ops`]: atomic operations of emergency plans (command, http, sql, redis, …): execute one
//!   operation with a timeout, capture its output as it comes, report what happened.
//! - [`console`]: the TUI. `App::update(Action) -> Vec<Effect>` is synchronous; effects run on tokio
//!   tasks and come back as actions. Never names `sqlx` or `reqwest`.
//! - [`child`]: every process nightwatch starts (plan commands, command probes): a clean
//!   environment and a leash that kills the process group when the engine goes away.
//! - [`remote`]: the SSH executor: scripts on a component's own host over one multiplexed
//!   connection per host, values as data on stdin, the remote process group on the same leash.
//! - [`dr`]: the DR dashboard's view gathered from the store (engine readiness, CLI, console).
//! - [`cli`]: the command line (clap derive); [`commands`]: what each non-console command does.
//!
//! The database is the source of truth and the queue: the console never calls the engine directly.

pub mod child;
pub mod cli;
pub mod commands;
pub mod console;
pub mod domain;
pub mod dr;
pub mod engine;
pub mod logging;
pub mod ops;
pub mod plans;
pub mod probes;
pub mod remote;
pub mod resp;
pub mod settings;
pub mod store;
pub mod sysconfig;
