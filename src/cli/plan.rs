//! `nightwatch plan …`: the plan commands' arguments.

use clap::{Subcommand, ValueEnum};

use super::Output;

/// `nightwatch plan …`
#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// The plan catalogue: name, version, danger, steps, title.
    List {
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// One plan: its parameters (with their choices from the topology) and every step as it
    /// would run, rendered with the given parameters (secrets masked).
    Show {
        plan: String,
        /// A parameter value, NAME=VALUE (repeatable).
        #[arg(short, long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Launch a plan: queue a run for an engine and follow it. The confirmation depends on the
    /// plan's danger: G1 --yes; G2 --reason; G3 --confirm TARGET (the target's name, typed) and
    /// --reason. A dry run resolves everything, runs only the read-only prechecks and executes
    /// nothing else.
    Run {
        plan: String,
        /// A parameter value, NAME=VALUE (repeatable).
        #[arg(short, long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// Resolve, run the prechecks, show what would run; execute nothing.
        #[arg(long)]
        dry_run: bool,
        /// Confirm a G1 plan (or a dry run).
        #[arg(short, long)]
        yes: bool,
        /// Why (G2, G3; audited): e.g. the change request.
        #[arg(long)]
        reason: Option<String>,
        /// G3: the target's name, typed as confirmation.
        #[arg(long, value_name = "TARGET")]
        confirm: Option<String>,
        /// The risk event this run answers (its labels fill templates; the run goes on its
        /// timeline).
        #[arg(long, value_name = "EVENT_ID")]
        event: Option<i64>,
        /// Queue it and return at once.
        #[arg(long)]
        no_wait: bool,
        /// Seconds to follow the run before giving up waiting (it goes on in the engine).
        #[arg(long, default_value_t = 3600)]
        timeout: u64,
    },
    /// Recent runs, newest first.
    Runs {
        plan: Option<String>,
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// A run's steps with state, attempts, timing and output; -f follows it live until it ends.
    Logs {
        run: i64,
        #[arg(short, long)]
        follow: bool,
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Abort a run (G2: --reason). A queued run never starts; a running one stops its current
    /// operation (a command's process group is killed).
    Abort {
        run: i64,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Pause a running run after the steps in flight (G1).
    Pause { run: i64 },
    /// Continue a paused run (G1); or, with --from, put a failed, aborted or interrupted run back
    /// in the queue from a step (G2 --reason; G3 --confirm PLAN --reason after an interruption or
    /// with --skip, which skips that step).
    Resume {
        run: i64,
        /// The step to resume from: its number in `plan logs`, or its id.
        #[arg(long, value_name = "STEP")]
        from: Option<String>,
        /// Skip that step instead of running it again.
        #[arg(long, requires = "from")]
        skip: bool,
        #[arg(long)]
        reason: Option<String>,
        /// G3: the plan's name, typed as confirmation.
        #[arg(long, value_name = "PLAN")]
        confirm: Option<String>,
    },
    /// Approve a G3 run awaiting a second operator (PLAN_G3_SECOND_APPROVER); not by its requester.
    Approve {
        run: i64,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Confirm a manual step is done (the run waits for it).
    Done {
        run: i64,
        /// The step: its number in `plan logs`, or its id.
        step: String,
        #[arg(long, default_value = "")]
        note: String,
    },
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Md,
    Html,
}
