//! The command line (clap derive). `nightwatch` alone opens the console.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::settings::{EngineMode, Overrides};

mod plan;
pub use plan::{PlanCommand, ReportFormat};

const AFTER_HELP: &str = "\
Settings are layered: built-in defaults < config file < NIGHTWATCH_* environment < flags.
The config file is ~/.config/nightwatch/config.toml unless --config or NIGHTWATCH_CONFIG names
another; config.example.toml documents every key and its environment variable.

Exit codes: 0 ok, 1 failure, 2 usage error, 3 bad configuration, 4 database unreachable.";

/// nightwatch: the technical-risk and high-availability console.
///
/// Run bare, it opens the keyboard-driven console on the embedded SQLite database and starts the
/// engine in-process, so one command gives the whole product. Against a shared MySQL/MariaDB or
/// PostgreSQL database, run `nightwatch serve` on the engine hosts and `nightwatch` on jump hosts.
#[derive(Debug, Parser)]
#[command(name = "nightwatch", version, after_help = AFTER_HELP, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Flags every command takes.
#[derive(Debug, Args, Clone, Default)]
pub struct Global {
    /// Read settings from FILE instead of ~/.config/nightwatch/config.toml (it must exist).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database URL: sqlite://PATH, mysql://USER:PASS@HOST:3306/DB or postgres://USER:PASS@HOST/DB.
    /// Default: the embedded SQLite in the data dir.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Refuse every mutation and open the database read-only (a NOC wallboard).
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Milliseconds between console data refreshes (default 1000).
    #[arg(long, global = true, value_name = "MS")]
    pub refresh: Option<u64>,
    /// Address of the engine's HTTP server (default 127.0.0.1:9797; port 0 picks a free one).
    #[arg(long, global = true, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Accept plain HTTP on a non-loopback --listen address (ingest credentials are still
    /// required; /healthz and the status bar report it). Without it such an address is refused.
    #[arg(long, global = true)]
    pub insecure_listen: bool,
    /// Run the engine in this process: auto (only on the embedded SQLite), on, off.
    #[arg(long, global = true, value_name = "MODE")]
    pub engine: Option<EngineArg>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EngineArg {
    Auto,
    On,
    Off,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the engine headless: HTTP server (/healthz, /metrics), instance heartbeat, master
    /// election. Stops cleanly on SIGINT, SIGTERM and SIGHUP.
    Serve,
    /// Apply pending database migrations and print the schema version.
    Migrate {
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Print version, resolved config/data/state paths, database URL (password masked) and schema
    /// version.
    Info {
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// System configuration (系统配置 + 系统开关): list, show, change, roll back, export, import.
    /// Every change is a new version with author, time and reason; secrets are masked.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Risk events: list with filters, show one with its timeline, and handle them (ack, assign,
    /// comment, re-grade, resolve, close). Every action is on the event's timeline and audited.
    #[command(subcommand)]
    Events(EventsCommand),
    /// Emergency and DR plans: the catalogue, a plan's steps, launching one (with the confirmation
    /// its danger demands: G1 --yes, G2 --reason, G3 --confirm TARGET --reason), dry runs, runs,
    /// live logs, abort, pause, resume from a step, approval by a second operator.
    #[command(subcommand)]
    Plan(PlanCommand),
    /// Daily inspection: tasks, runs, results, reports.
    #[command(subcommand)]
    Inspect(InspectCommand),
    /// The DR dashboard: the layers × datacenters grid, sync links against RPO, water levels
    /// and switchover readiness per direction (`readiness` exits 1 when a direction is not
    /// ready).
    #[command(subcommand)]
    Dr(DrCommand),
    /// Diagnose a risk event now: walk the diagnosis tree of its scenario (or --tree) against the
    /// components the event and the topology name, print the path taken and the conclusion (root
    /// cause, grade, the recommended plan with its parameters filled), and put it on the event's
    /// timeline. Runs through the engines' queue; walks it here if no engine claims it first.
    /// Exit 1 when the tree did not conclude.
    Diagnose {
        /// The event id (see `nightwatch events list`).
        event: i64,
        /// Walk this tree instead of the one the event's scenario names.
        #[arg(long)]
        tree: Option<String>,
        /// Seconds to wait for an engine's result.
        #[arg(long, default_value_t = 120)]
        wait: u64,
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Fault diagnosis: the decision trees (list, show one as an outline) and the runs (list,
    /// show one with its path).
    #[command(subcommand)]
    Diagnosis(crate::commands::diagnose::DiagnosisCommand),
    /// Risk self-healing: what the scenarios' policies decided after each diagnosis (ran, shadow,
    /// skipped and the protection rule), how each heal ended (healed, escalated), halted policies;
    /// resume one. The global switch is SELF_HEALING_ENABLED (`nightwatch config`).
    #[command(subcommand)]
    Selfheal(crate::commands::selfheal::SelfHealCommand),
    /// Validate content files (components, inspection rules, tasks, plans, scenarios, the DR model:
    /// datacenters, DR systems, sync links; TOML) and
    /// upsert them (a changed plan becomes a new version). A
    /// directory means every *.toml below it. Any problem refuses everything, with file, line and
    /// reason.
    Apply {
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
        /// Show what would be added or changed; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the stored components, rules, tasks, plans, scenarios and DR model as one content file
    /// (TOML).
    Export,
    /// The estate's secret key: export it, import it on another host, rotate it. Every process
    /// sharing a database must hold the same key (see the README's shared estate).
    #[command(subcommand)]
    Key(crate::commands::key::KeyCommand),
    /// The SSH host keys every engine trusts: list them, or trust a component's host after
    /// seeing its fingerprint (issue 15: probes and steps with `on = "target"`).
    #[command(subcommand)]
    Hosts(crate::commands::hosts::HostsCommand),
    /// Print shell completions (bash, zsh, fish, elvish, powershell) to stdout.
    Completions { shell: clap_complete::Shell },
}

/// `nightwatch config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Every key and switch with its state (default, modified, restart needed, not applied,
    /// invalid).
    List {
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
        /// Only keys whose state is not `default`.
        #[arg(long)]
        modified: bool,
    },
    /// One key: its value (secrets masked), version, author, state, description.
    Get {
        key: String,
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
        /// Show secrets in clear (audited; refused with --read-only).
        #[arg(long)]
        reveal: bool,
    },
    /// Save a new version. VALUE is JSON (or a bare scalar for scalar keys), @FILE, or - for stdin.
    /// Secret fields left as ****** keep their stored value.
    ///
    /// Secret (sealed at rest, masked when shown, scrubbed from any output): fields whose names
    /// contain password, passwd, secret, token, api_key/apikey, private_key, credential(s), or
    /// are the word auth, authorization, sk or pwd; the password of any URL
    /// (mysql://u:PASSWORD@h/db, shown as mysql://u:******@h/db); and for a key of your own, the
    /// paths declared with --secret-path (kept in the value's "$secrets" array).
    Set {
        key: String,
        value: String,
        /// Why (G2: recorded in the audit log). Required.
        #[arg(long)]
        reason: Option<String>,
        /// Refuse the save unless the current version is this one (optimistic concurrency).
        #[arg(long, value_name = "N")]
        base_version: Option<i64>,
        /// Create a key that is not in the registry (free JSON).
        #[arg(long)]
        new: bool,
        /// For a key of your own (a JSON object): declare the field at this JSON pointer secret
        /// (e.g. /db/pin; * matches any key or index: /hooks/*/url). Repeatable. Added to the
        /// value's "$secrets" array, which you may also write yourself.
        #[arg(long, value_name = "POINTER")]
        secret_path: Vec<String>,
    },
    /// Edit a key in $EDITOR (secrets masked); validated before saving. A rejected edit is kept in
    /// a file whose path is printed, so nothing typed is lost.
    Edit {
        key: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Every version of a key, newest first, with diffs (secrets masked).
    History {
        key: String,
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Make VERSION current again (as a new version).
    Rollback {
        key: String,
        version: i64,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long, value_name = "N")]
        base_version: Option<i64>,
    },
    /// Write every saved key as JSON (secrets masked) to stdout or FILE.
    Export {
        #[arg(long, short = 'f', value_name = "FILE")]
        file: Option<std::path::PathBuf>,
    },
    /// Apply an export (FILE or - for stdin). All keys are validated before any is saved; masked
    /// secrets keep this database's values.
    Import {
        file: String,
        #[arg(long)]
        reason: Option<String>,
        /// Show what would change; save nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `nightwatch events …`
#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Events matching a filter: `level:P0,P1 status:open source:alertmanager ds:STACK#rds
    /// assignee:me sort:-count` plus free words. Suppressed events are hidden unless asked for
    /// (`status:suppressed`).
    List {
        /// Filter terms and words (quote them or pass several).
        filter: Vec<String>,
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long, default_value_t = 0)]
        offset: i64,
        /// Keep watching: print the list again each time the events change (checked by one
        /// cheap change stamp every `--interval`; nothing is re-read while it stays the same).
        /// With `-o json`, one compact JSON array per line. Ctrl-C (or SIGTERM/SIGHUP) ends it.
        #[arg(short, long)]
        watch: bool,
        /// How often `--watch` checks the change stamp, in seconds (0.2 to 3600).
        #[arg(long, default_value_t = 2.0, value_parser = parse_interval)]
        interval: f64,
    },
    /// Counts by level and status, events first seen per hour (24 h), and per scenario over the
    /// last 7 days: episodes the engine diagnosed, MTTD (first sighting → event), diagnosis time,
    /// MTTR (event → resolved), and how many a self-heal healed (with their MTTR apart).
    Stats {
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Closed events archived by retention (`engine.retention_days`), oldest id first: the export
    /// (`-o json` writes one JSON array; page with `--after ID`).
    Archived {
        /// Only events with an id above this one.
        #[arg(long, default_value_t = 0)]
        after: i64,
        #[arg(long, default_value_t = 1000)]
        limit: i64,
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// One event with labels, annotations and its timeline.
    Show {
        id: i64,
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Acknowledge open events (G1).
    Ack {
        #[arg(required = true)]
        ids: Vec<i64>,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Assign events to someone (G1).
    Assign {
        #[arg(required = true)]
        ids: Vec<i64>,
        #[arg(long)]
        to: String,
    },
    /// Add a comment to an event's timeline (G1).
    Comment { id: i64, text: String },
    /// Change an event's level with a reason (risk grading, G2).
    Regrade {
        id: i64,
        level: String,
        #[arg(long)]
        reason: String,
    },
    /// Resolve events by hand (G1).
    Resolve {
        #[arg(required = true)]
        ids: Vec<i64>,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Close events (G2: give a reason).
    Close {
        #[arg(required = true)]
        ids: Vec<i64>,
        #[arg(long)]
        reason: String,
    },
}

/// `nightwatch inspect …`
#[derive(Debug, Subcommand)]
pub enum InspectCommand {
    /// Tasks with their schedule, next run and last result.
    List {
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Run a task now: queue it for the engine and wait for the result (G1).
    Run {
        task: String,
        /// Queue it and return at once.
        #[arg(long)]
        no_wait: bool,
        /// Seconds to wait for an engine to finish it.
        #[arg(long, default_value_t = 300)]
        timeout: u64,
    },
    /// Recent runs, newest first.
    Runs {
        task: Option<String>,
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// One run: every rule × target with its verdict, value and message.
    Show {
        run: i64,
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// A run as a report for archiving (Markdown or HTML) on stdout.
    Report {
        run: i64,
        #[arg(short, long, value_enum, default_value_t = ReportFormat::Md)]
        output: ReportFormat,
    },
}

/// `nightwatch dr …`
#[derive(Debug, Subcommand)]
pub enum DrCommand {
    /// The grid of layers × datacenters (components, open events, worst state) and the
    /// readiness of each direction.
    Status {
        #[command(flatten)]
        dir: DirArgs,
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Sync links: state, lag against RPO, bytes behind, what the servers report.
    Links {
        #[command(flatten)]
        dir: DirArgs,
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Water levels (connections, memory, disk) against their thresholds.
    Levels {
        #[command(flatten)]
        dir: DirArgs,
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Switchover readiness per direction, every blocking reason and the estimated RTO.
    Readiness {
        #[command(flatten)]
        dir: DirArgs,
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
}

/// `--from DC --to DC`: one switchover direction (both or neither).
#[derive(Debug, Clone, clap::Args)]
pub struct DirArgs {
    /// The faulty datacenter (switch away from).
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    /// The available datacenter (switch to).
    #[arg(long, requires = "from")]
    pub to: Option<String>,
}

/// How listings print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Table,
    Json,
}

impl Global {
    /// The flags as the top settings layer.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            config: self.config.clone(),
            database_url: self.database_url.clone(),
            read_only: self.read_only,
            refresh_ms: self.refresh,
            listen: self.listen,
            insecure_listen: self.insecure_listen,
            engine: self.engine.map(|e| match e {
                EngineArg::Auto => EngineMode::Auto,
                EngineArg::On => EngineMode::On,
                EngineArg::Off => EngineMode::Off,
            }),
        }
    }
}

/// `--interval` of `events list --watch`: seconds between 0.2 and 3600.
fn parse_interval(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds, e.g. 2 or 0.5"))?;
    if (0.2..=3600.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} s is out of range: give 0.2 to 3600 seconds"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn bare_invocation_is_the_console_and_flags_become_overrides() {
        let cli = Cli::try_parse_from(["nightwatch", "--read-only", "--refresh", "250"]).unwrap();
        assert!(cli.command.is_none());
        let o = cli.global.overrides();
        assert!(o.read_only);
        assert_eq!(o.refresh_ms, Some(250));
    }

    #[test]
    fn bad_flag_values_are_usage_errors() {
        let err = Cli::try_parse_from(["nightwatch", "--listen", "nowhere"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("--listen"), "{err}");
    }
}
