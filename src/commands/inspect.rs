//! `nightwatch inspect …`: tasks, runs, results and reports from the command line. Runs are
//! executed by an engine (in-process under a console on the embedded SQLite, or `nightwatch serve`):
//! `run` queues one and waits for it.

use std::time::Duration;

use crate::cli::{InspectCommand, Output, ReportFormat};
use crate::domain::text::one_line;
use crate::domain::time::{format_utc, now_ms};
use crate::settings::Settings;
use crate::store::{ResultRow, RunRow, Store};

use super::{Failure, actor};

pub async fn run(settings: Settings, cmd: InspectCommand) -> Result<(), Failure> {
    let _log = crate::logging::init(
        &settings.paths.state_dir,
        &settings.log.level,
        crate::logging::Echo::FileOnly,
    );
    let store = super::open_store(&settings).await?;
    let result = dispatch(&store, cmd, settings.console.read_only).await;
    store.close().await;
    result
}

async fn dispatch(store: &Store, cmd: InspectCommand, read_only: bool) -> Result<(), Failure> {
    match cmd {
        InspectCommand::List { output } => {
            let tasks = store.list_tasks().await?;
            let schedule = store.task_schedule().await?;
            let mut rows = Vec::new();
            for t in &tasks {
                let last = store.list_runs(Some(&t.name), 1).await?.into_iter().next();
                let next = schedule
                    .iter()
                    .find(|(n, _)| *n == t.name)
                    .map(|(_, at)| *at);
                rows.push(serde_json::json!({
                    "task": t.name, "schedule": t.schedule, "enabled": t.enabled, "rules": t.rules,
                    "next_run": next.map(format_utc), "last_run": last.as_ref().map(|r| r.id),
                    "last_status": last.as_ref().map(|r| r.status.clone()),
                }));
            }
            match output {
                Output::Json => crate::outln!(
                    "{}",
                    serde_json::to_string_pretty(&rows).unwrap_or_default()
                ),
                Output::Table => {
                    crate::outln!(
                        "{:<24} {:<18} {:<8} {:<20} {}",
                        "TASK",
                        "SCHEDULE",
                        "LAST",
                        "NEXT (UTC)",
                        "RULES"
                    );
                    for r in rows {
                        let sched = r["schedule"]
                            .as_object()
                            .and_then(|o| o.iter().next())
                            .map(|(k, v)| format!("{k} {}", v.as_str().unwrap_or("")))
                            .unwrap_or_default();
                        crate::outln!(
                            "{:<24} {:<18} {:<8} {:<20} {}",
                            r["task"].as_str().unwrap_or(""),
                            sched,
                            r["last_status"].as_str().unwrap_or("-"),
                            r["next_run"].as_str().unwrap_or("-"),
                            r["rules"].as_array().map(|a| a.len()).unwrap_or(0)
                        );
                    }
                }
            }
        }
        InspectCommand::Run {
            task,
            no_wait,
            timeout,
        } => {
            if read_only {
                return Err(Failure::Other(
                    "running a task is refused in read-only mode".into(),
                ));
            }
            if !store.list_tasks().await?.iter().any(|t| t.name == task) {
                return Err(Failure::Other(format!(
                    "unknown task {task:?}; `nightwatch inspect list` shows them"
                )));
            }
            let id = store.queue_run(&task, "manual", &actor(), now_ms()).await?;
            crate::outln!("queued run {id} of {task}");
            if no_wait {
                return Ok(());
            }
            let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
            let mut shown = String::new();
            loop {
                let run = store.get_run(id).await?;
                if run.status != shown {
                    eprintln!("run {id}: {}", run.status);
                    shown.clone_from(&run.status);
                }
                if !matches!(run.status.as_str(), "queued" | "running") {
                    print_run(store, &run).await?;
                    return if run.status == "passed" {
                        Ok(())
                    } else {
                        Err(Failure::Other(format!("run {id} {}", run.status)))
                    };
                }
                if tokio::time::Instant::now() > deadline {
                    return Err(Failure::Other(format!(
                        "run {id} still {} after {timeout} s: is an engine running? (the console on the embedded SQLite runs one; otherwise `nightwatch serve`)",
                        run.status
                    )));
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        InspectCommand::Runs {
            task,
            output,
            limit,
        } => {
            let runs = store.list_runs(task.as_deref(), limit).await?;
            match output {
                Output::Json => crate::outln!(
                    "{}",
                    serde_json::to_string_pretty(&runs).unwrap_or_default()
                ),
                Output::Table => {
                    crate::outln!(
                        "{:>6} {:<24} {:<12} {:<9} {:<20} {}",
                        "RUN",
                        "TASK",
                        "STATUS",
                        "TRIGGER",
                        "STARTED (UTC)",
                        "SUMMARY"
                    );
                    for r in runs {
                        crate::outln!(
                            "{:>6} {:<24} {:<12} {:<9} {:<20} {}",
                            r.id,
                            r.task,
                            r.status,
                            r.trigger,
                            format_utc(r.started_at),
                            one_line(&r.summary)
                        );
                    }
                }
            }
        }
        InspectCommand::Show { run, output } => {
            let r = store.get_run(run).await?;
            match output {
                Output::Json => {
                    let results = store.run_results(run).await?;
                    crate::outln!(
                        "{}",
                        serde_json::to_string_pretty(
                            &serde_json::json!({"run": r, "results": results})
                        )
                        .unwrap_or_default()
                    );
                }
                Output::Table => print_run(store, &r).await?,
            }
        }
        InspectCommand::Report { run, output } => {
            let r = store.get_run(run).await?;
            let results = store.run_results(run).await?;
            let text = match output {
                ReportFormat::Md => markdown(&r, &results),
                ReportFormat::Html => html(&r, &results),
            };
            crate::out!("{text}");
        }
    }
    Ok(())
}

async fn print_run(store: &Store, r: &RunRow) -> Result<(), Failure> {
    crate::outln!(
        "run {} of {} [{}] {} → {} UTC, {}",
        r.id,
        r.task,
        r.status,
        format_utc(r.started_at),
        format_utc(r.finished_at),
        one_line(&r.summary)
    );
    for x in store.run_results(r.id).await? {
        crate::outln!(
            "  {:<7} {:<28} {:<20} {:>6} ms  {}",
            x.verdict,
            x.rule,
            one_line(&x.target),
            x.duration_ms,
            one_line(&x.message)
        );
    }
    Ok(())
}

fn markdown(r: &RunRow, results: &[ResultRow]) -> String {
    let mut s = format!(
        "# Inspection report: {} (run {})\n\n- status: **{}**\n- trigger: {} by {}\n- started: {} UTC\n- finished: {} UTC\n- summary: `{}`\n\n| verdict | rule | target | ms | message |\n|---|---|---|---:|---|\n",
        r.task,
        r.id,
        r.status,
        r.trigger,
        r.requested_by,
        format_utc(r.started_at),
        format_utc(r.finished_at),
        r.summary
    );
    for x in results {
        let msg = x.message.replace('|', "\\|").replace('\n', " ");
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            x.verdict, x.rule, x.target, x.duration_ms, msg
        ));
    }
    s
}

fn escape(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html(r: &RunRow, results: &[ResultRow]) -> String {
    let mut s = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Inspection report {id}</title>\
         <style>body{{font-family:sans-serif}}td,th{{border:1px solid #999;padding:2px 6px}}.fail,.error,.unreach{{background:#fdd}}.warn{{background:#ffd}}</style></head><body>\
         <h1>Inspection report: {task} (run {id})</h1><p>Status <b>{status}</b>; {trigger} by {by}; started {start} UTC, finished {end} UTC; <code>{summary}</code></p>\
         <table><tr><th>verdict</th><th>rule</th><th>target</th><th>ms</th><th>message</th></tr>",
        id = r.id,
        task = escape(&r.task),
        status = escape(&r.status),
        trigger = escape(&r.trigger),
        by = escape(&r.requested_by),
        start = format_utc(r.started_at),
        end = format_utc(r.finished_at),
        summary = escape(&r.summary)
    );
    for x in results {
        s.push_str(&format!(
            "<tr class=\"{v}\"><td>{v}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&x.rule),
            escape(&x.target),
            x.duration_ms,
            escape(&x.message),
            v = escape(&x.verdict)
        ));
    }
    s.push_str("</table></body></html>\n");
    s
}
