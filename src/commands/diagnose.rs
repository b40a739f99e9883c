//! `nightwatch diagnose EVENT` and `nightwatch diagnosis list|show|runs`: fault diagnosis from
//! the command line.
//!
//! `diagnose` queues a run of the tree of the event's scenario (or `--tree`) through the same
//! queue the engines work off, then claims it itself if no engine did first, so it works with or
//! without an engine running; either way it prints the tree with the path taken and the
//! conclusion. Queuing writes (refused on a read-only store); the walk itself only probes (G1).

use std::time::Duration;

use clap::Subcommand;

use crate::cli::Output;
use crate::domain::diagnosis::{Trace, Tree};
use crate::engine::diagnose::{Diagnoser, LEASE_MS, queue_for_event};
use crate::settings::Settings;
use crate::store::{DiagnosisRow, LeaseClock, Store};

use super::{Failure, actor};

/// `nightwatch diagnosis …`
#[derive(Debug, Subcommand)]
pub enum DiagnosisCommand {
    /// The stored decision trees: name, nodes, conclusions, the scenarios that use them.
    List {
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// A tree (by name) as an outline of checks and conclusions, or a run (by id) with the path
    /// it took highlighted, each node's values and the conclusion.
    Show {
        /// A tree name or a run id.
        what: String,
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Diagnosis runs, newest first: status, event, tree, conclusion.
    Runs {
        /// Only the runs of this event.
        #[arg(long, value_name = "ID")]
        event: Option<i64>,
        #[arg(long, default_value_t = 20)]
        limit: i64,
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
}

pub async fn run(settings: Settings, cmd: DiagnosisCommand) -> Result<(), Failure> {
    let store = super::open_store(&settings).await?;
    let result = match cmd {
        DiagnosisCommand::List { output } => list(&store, output).await,
        DiagnosisCommand::Show { what, output } => show(&store, &what, output).await,
        DiagnosisCommand::Runs {
            event,
            limit,
            output,
        } => runs(&store, event, limit.clamp(1, 10_000), output).await,
    };
    store.close().await;
    result
}

/// `nightwatch diagnose EVENT [--tree NAME] [--wait SECS]`.
pub async fn diagnose(
    settings: Settings,
    event: i64,
    tree: Option<String>,
    wait_secs: u64,
    output: Output,
) -> Result<(), Failure> {
    let _log = crate::logging::init(
        &settings.paths.state_dir,
        &settings.log.level,
        crate::logging::Echo::FileOnly,
    );
    let store = super::open_store(&settings).await?;
    let result = diagnose_in(&store, event, tree, wait_secs, output).await;
    store.close().await;
    result
}

async fn diagnose_in(
    store: &Store,
    event_id: i64,
    tree: Option<String>,
    wait_secs: u64,
    output: Output,
) -> Result<(), Failure> {
    if store.is_read_only() {
        return Err(Failure::Other(
            "diagnose queues a run, and this store is read-only: run it without --read-only".into(),
        ));
    }
    let (id, tree) = queue_for_event(store, event_id, tree, &actor())
        .await
        .map_err(|e| Failure::Other(e.to_string()))?;
    crate::errln!("diagnosis run {id} of tree {tree} queued for event {event_id}");
    // Walk it here unless an engine claimed it first; then wait for the engine's result.
    let worker = format!("cli:{}:{}", actor(), std::process::id());
    if let Some(run) = store
        .claim_diagnosis(&worker, Some(id), LeaseClock::Database, LEASE_MS)
        .await?
    {
        let d = Diagnoser {
            store: store.clone(),
            probe: crate::engine::probe_fn(),
            config: None,
            worker,
            lease_ms: LEASE_MS,
        };
        d.run(&run).await?;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(wait_secs.max(1));
    let run = loop {
        let run = store.get_diagnosis(id).await?;
        if !matches!(run.status.as_str(), "queued" | "running") {
            break run;
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(Failure::Other(format!(
                "diagnosis run {id} is still {} after {wait_secs} s; see `nightwatch diagnosis show {id}`",
                run.status
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let trees = store.tree_definitions().await?;
    print_run(&run, trees.iter().find(|t| t.name == run.tree), output)?;
    if run.status == "done" {
        Ok(())
    } else {
        Err(Failure::Other(format!(
            "diagnosis run {id} {}: {}",
            run.status, run.cause
        )))
    }
}

async fn list(store: &Store, output: Output) -> Result<(), Failure> {
    let trees = store.tree_definitions().await?;
    let scenarios = store.scenario_definitions().await?;
    if output == Output::Json {
        let text =
            serde_json::to_string_pretty(&trees).map_err(|e| Failure::Other(e.to_string()))?;
        crate::outln!("{text}");
        return Ok(());
    }
    crate::outln!(
        "{:<28} {:>5} {:>11}  {:<40} TITLE",
        "TREE",
        "NODES",
        "CONCLUSIONS",
        "SCENARIOS"
    );
    for t in &trees {
        let used: Vec<&str> = scenarios
            .iter()
            .filter(|s| s.tree.as_deref() == Some(t.name.as_str()))
            .map(|s| s.name.as_str())
            .collect();
        crate::outln!(
            "{:<28} {:>5} {:>11}  {:<40} {}",
            t.name,
            t.nodes.len(),
            t.conclusions.len(),
            if used.is_empty() {
                "-".to_owned()
            } else {
                used.join(",")
            },
            t.title
        );
    }
    Ok(())
}

async fn show(store: &Store, what: &str, output: Output) -> Result<(), Failure> {
    let trees = store.tree_definitions().await?;
    if let Ok(id) = what.parse::<i64>() {
        let run = store.get_diagnosis(id).await.map_err(|e| match e {
            crate::store::StoreError::NotFound(_) => Failure::Other(format!(
                "no diagnosis run {id} (see `nightwatch diagnosis runs`)"
            )),
            e => e.into(),
        })?;
        return print_run(&run, trees.iter().find(|t| t.name == run.tree), output);
    }
    let tree = trees.iter().find(|t| t.name == what).ok_or_else(|| {
        Failure::Other(format!(
            "no tree named {what:?} (see `nightwatch diagnosis list`)"
        ))
    })?;
    if output == Output::Json {
        let text = serde_json::to_string_pretty(tree).map_err(|e| Failure::Other(e.to_string()))?;
        crate::outln!("{text}");
        return Ok(());
    }
    crate::outln!("{} — {}", tree.name, tree.title);
    if !tree.description.is_empty() {
        crate::outln!("{}", tree.description);
    }
    crate::outln!("max time {} ms", tree.max_ms);
    for (line, _) in tree.outline(&[], None) {
        crate::outln!("  {line}");
    }
    for c in &tree.conclusions {
        crate::outln!("■ {} [{}]: {}", c.id, c.level.as_str(), c.cause);
    }
    Ok(())
}

async fn runs(
    store: &Store,
    event: Option<i64>,
    limit: i64,
    output: Output,
) -> Result<(), Failure> {
    let rows = store.list_diagnoses(event, limit).await?;
    if output == Output::Json {
        let text =
            serde_json::to_string_pretty(&rows).map_err(|e| Failure::Other(e.to_string()))?;
        crate::outln!("{text}");
        return Ok(());
    }
    crate::outln!(
        "{:>6} {:<12} {:>7} {:<24} {:<28} {:<4} {}",
        "RUN",
        "STATUS",
        "EVENT",
        "TREE",
        "CONCLUSION",
        "LVL",
        "BY"
    );
    for r in rows {
        crate::outln!(
            "{:>6} {:<12} {:>7} {:<24} {:<28} {:<4} {}",
            r.id,
            r.status,
            r.event_id,
            r.tree,
            if r.conclusion.is_empty() {
                "-"
            } else {
                &r.conclusion
            },
            if r.level.is_empty() { "-" } else { &r.level },
            r.requested_by
        );
    }
    Ok(())
}

/// A run: its head, the tree with the path marked (`▶`), each visited node's outcome and
/// values, and the conclusion.
fn print_run(run: &DiagnosisRow, tree: Option<&Tree>, output: Output) -> Result<(), Failure> {
    let trace: Trace = serde_json::from_str(&run.trace).unwrap_or_default();
    if output == Output::Json {
        let v = serde_json::json!({"run": run, "trace": trace});
        let text = serde_json::to_string_pretty(&v).map_err(|e| Failure::Other(e.to_string()))?;
        crate::outln!("{text}");
        return Ok(());
    }
    crate::outln!(
        "diagnosis run {} · event {} · tree {} · {} · by {}",
        run.id,
        run.event_id,
        run.tree,
        run.status,
        run.requested_by
    );
    if let Some(t) = tree {
        let concluded = trace.conclusion.as_ref().map(|c| c.id.as_str());
        for (line, on) in t.outline(&trace.path, concluded) {
            crate::outln!("{} {line}", if on { "▶" } else { " " });
        }
    }
    crate::outln!("path:");
    for v in &trace.path {
        let at = if v.target.is_empty() {
            String::new()
        } else if v.host.is_empty() {
            format!(" on {}", v.target)
        } else {
            format!(" on {} ({}:{})", v.target, v.host, v.port)
        };
        crate::outln!(
            "  {} {}{at} {} ms: {}",
            v.outcome.as_str(),
            v.node,
            v.ms,
            v.message
        );
        let shown: Vec<String> = v
            .values
            .iter()
            .take(12)
            .map(|(k, x)| {
                format!(
                    "{k}={}",
                    x.as_str().map_or_else(|| x.to_string(), str::to_owned)
                )
            })
            .collect();
        if !shown.is_empty() {
            crate::outln!("      {}", shown.join(" "));
        }
    }
    match (&trace.conclusion, &trace.error) {
        (Some(c), _) => {
            crate::outln!("conclusion {} [{}]: {}", c.id, c.level.as_str(), c.cause);
            if let Some(p) = &c.plan {
                let params: Vec<String> = c
                    .params
                    .iter()
                    .map(|(k, v)| format!("-p {k}={v}"))
                    .collect();
                crate::outln!(
                    "recommended: nightwatch plan run {p} --event {} {}",
                    run.event_id,
                    params.join(" ")
                );
                if !c.unfilled.is_empty() {
                    crate::outln!("unfilled (give them): {}", c.unfilled.join(", "));
                }
            }
        }
        (None, Some(e)) => crate::outln!("no conclusion: {e}"),
        (None, None) => crate::outln!("no conclusion yet ({})", run.status),
    }
    Ok(())
}
