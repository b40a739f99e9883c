//! `nightwatch events …`: risk events from the command line.

use crate::cli::{EventsCommand, Output};
use crate::domain::event::{Event, EventQuery, Level};
use crate::domain::text::one_line;
use crate::domain::time::{format_utc, now_ms};
use crate::settings::Settings;
use crate::store::{EventAction, Store};

use super::{Failure, actor};

pub async fn run(settings: Settings, cmd: EventsCommand) -> Result<(), Failure> {
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

async fn dispatch(store: &Store, cmd: EventsCommand, read_only: bool) -> Result<(), Failure> {
    let (ids, action) = match cmd {
        EventsCommand::Stats { output } => {
            let stats = store.event_stats(crate::domain::time::now_ms()).await?;
            match output {
                Output::Json => crate::outln!(
                    "{}",
                    serde_json::to_string_pretty(&stats).unwrap_or_default()
                ),
                Output::Table => print_stats(&stats),
            }
            return Ok(());
        }
        EventsCommand::List {
            filter,
            output,
            limit,
            offset,
            watch,
            interval,
        } => {
            let mut q = EventQuery::parse(&filter.join(" "), &actor()).map_err(Failure::Other)?;
            q.limit = limit;
            q.offset = offset;
            if watch {
                return super::events_watch::watch(store, &q, output, interval).await;
            }
            let events = store.list_events(&q).await?;
            let total = store.count_events(&q).await?;
            match output {
                Output::Json => crate::outln!(
                    "{}",
                    serde_json::to_string_pretty(&events).unwrap_or_default()
                ),
                Output::Table => print_list(&events, total),
            }
            return Ok(());
        }
        EventsCommand::Archived {
            after,
            limit,
            output,
        } => {
            let archived = store.list_archived(after, limit).await?;
            match output {
                Output::Json => crate::outln!(
                    "{}",
                    serde_json::to_string_pretty(&archived).unwrap_or_default()
                ),
                Output::Table => {
                    for a in &archived {
                        crate::outln!(
                            "#{:<8} {} {:<8} archived {}  {}",
                            a.event.id,
                            a.event.level.as_str(),
                            a.event.status.as_str(),
                            format_utc(a.archived_at),
                            a.event.title
                        );
                    }
                    crate::outln!("{} archived events", archived.len());
                }
            }
            return Ok(());
        }
        EventsCommand::Show { id, output } => {
            let event = store.get_event(id).await?;
            let log = store.event_log(id).await?;
            // The same facts as the console's detail: the event, its component, the topology.
            let (recommended, topology) = crate::plans::recommendations(store, &event).await?;
            match output {
                Output::Json => {
                    let v = serde_json::json!({"event": event, "timeline": log, "recommended_plans": recommended});
                    crate::outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
                }
                Output::Table => {
                    print_event(&event);
                    if !recommended.is_empty() {
                        if !topology {
                            crate::outln!(
                                "note: no topology applied (`nightwatch apply` components): \
                                 host and peer parameters cannot be filled"
                            );
                        }
                        crate::outln!("recommended plans (best first):");
                        for r in &recommended {
                            crate::outln!(
                                "  {:>4}  {} ({}): {}",
                                r.score,
                                one_line(&r.plan),
                                one_line(&r.scenario),
                                one_line(r.impact.trim())
                            );
                            crate::outln!("        {}", recommended_command(r, id));
                        }
                    }
                    crate::outln!("timeline:");
                    for e in log {
                        let who = if e.actor.is_empty() {
                            String::new()
                        } else {
                            format!(" by {}", e.actor)
                        };
                        crate::outln!(
                            "  {} {:<10}{} {}",
                            format_utc(e.at),
                            e.kind,
                            one_line(&who),
                            one_line(&e.message)
                        );
                    }
                }
            }
            return Ok(());
        }
        EventsCommand::Ack { ids, note } => (ids, EventAction::Ack { note }),
        EventsCommand::Assign { ids, to } => (ids, EventAction::Assign { to }),
        EventsCommand::Comment { id, text } => (vec![id], EventAction::Comment { text }),
        EventsCommand::Regrade { id, level, reason } => {
            let level = Level::parse(&level).ok_or_else(|| {
                Failure::Other(format!("level {level:?}: expected P0, P1, P2 or P3"))
            })?;
            (vec![id], EventAction::Regrade { level, reason })
        }
        EventsCommand::Resolve { ids, note } => (ids, EventAction::Resolve { note }),
        EventsCommand::Close { ids, reason } => {
            if reason.trim().is_empty() {
                return Err(Failure::Other("closing is G2: give --reason".into()));
            }
            (ids, EventAction::Close { note: reason })
        }
    };
    if read_only {
        return Err(Failure::Other(format!(
            "{} is refused in read-only mode",
            action.kind()
        )));
    }
    let results = store
        .event_action(&ids, &action, &actor(), now_ms())
        .await?;
    let mut failed = 0;
    for (id, r) in results {
        match r {
            Ok(()) => crate::outln!("event {id}: {}", action.kind()),
            Err(why) => {
                failed += 1;
                crate::errln!("event {id}: {why}");
            }
        }
    }
    if failed > 0 {
        return Err(Failure::Other(format!(
            "{failed} of {} events not changed",
            ids.len()
        )));
    }
    Ok(())
}

pub(super) fn print_list(events: &[Event], total: i64) {
    crate::outln!(
        "{:>6} {:<3} {:<10} {:>5} {:<19} {:<14} {}",
        "ID",
        "LVL",
        "STATUS",
        "COUNT",
        "LAST SEEN (UTC)",
        "SOURCE",
        "TITLE"
    );
    for e in events {
        let flap = if e.flapping { " ~flapping" } else { "" };
        crate::outln!(
            "{:>6} {:<3} {:<10} {:>5} {:<19} {:<14} {}{flap}",
            e.id,
            e.level.as_str(),
            e.status.as_str(),
            e.count,
            format_utc(e.last_seen),
            one_line(&e.source),
            one_line(&e.title)
        );
    }
    crate::outln!("{} of {total} shown", events.len());
}

/// The command line that launches a recommended plan from the event, every argument quoted for
/// a POSIX shell (`shlex`): the parameter values come from the alert's labels, and pasting the
/// line must pass them as data, never run them. A value that cannot be quoted (a NUL byte) cannot
/// be passed on a command line at all: the line says so instead.
pub(crate) fn recommended_command(r: &crate::domain::plan::Recommended, event: i64) -> String {
    let mut words: Vec<String> = vec![
        "nightwatch".into(),
        "plan".into(),
        "run".into(),
        r.plan.clone(),
        "--event".into(),
        event.to_string(),
    ];
    for (k, v) in &r.params {
        words.push("--param".into());
        words.push(format!("{k}={v}"));
    }
    match shlex::try_join(words.iter().map(String::as_str)) {
        Ok(line) => one_line(&line).into_owned(),
        Err(_) => format!(
            "(plan {}: a recommended parameter holds a NUL byte and cannot be given on a command line; launch it from the console)",
            one_line(&r.plan)
        ),
    }
}

fn print_event(e: &Event) {
    crate::outln!(
        "event {} [{} {}] {}",
        e.id,
        e.level.as_str(),
        e.status.as_str(),
        one_line(&e.title)
    );
    if e.level != e.original_level {
        crate::outln!("re-graded from {}", e.original_level.as_str());
    }
    crate::outln!(
        "source:     {} ({}), fingerprint {}",
        one_line(&e.source),
        one_line(&e.ds_type),
        one_line(&e.fingerprint)
    );
    crate::outln!("component:  {}", one_line(&e.component));
    crate::outln!(
        "seen:       {} times, first {} UTC, last {} UTC",
        e.count,
        format_utc(e.first_seen),
        format_utc(e.last_seen)
    );
    crate::outln!(
        "firing:     {}{}",
        e.firing,
        if e.flapping { " (flapping)" } else { "" }
    );
    if !e.assignee.is_empty() {
        crate::outln!("assignee:   {}", one_line(&e.assignee));
    }
    if !e.summary.is_empty() {
        crate::outln!("summary:    {}", one_line(&e.summary));
    }
    if !e.source_url.is_empty() {
        crate::outln!("link:       {}", one_line(&e.source_url));
    }
    for (k, v) in &e.labels {
        crate::outln!("label       {}={}", one_line(k), one_line(v));
    }
    for (k, v) in &e.annotations {
        crate::outln!("annotation  {}={}", one_line(k), one_line(v));
    }
}

/// `events stats` as tables.
fn print_stats(s: &crate::store::EventStats) {
    crate::outln!("{:<6} {:<12} {:>8}", "LEVEL", "STATUS", "EVENTS");
    for (level, status, n) in &s.by_level_status {
        crate::outln!("{level:<6} {status:<12} {n:>8}");
    }
    crate::outln!("total {} (suppressed {})", s.total, s.suppressed);
    let hours: Vec<String> = s.per_hour.iter().map(ToString::to_string).collect();
    crate::outln!(
        "first seen per hour, oldest first (24 h): {}",
        hours.join(" ")
    );
    let ms = |v: Option<i64>| v.map_or("-".to_owned(), |v| format!("{:.1}s", v as f64 / 1000.0));
    crate::outln!("");
    crate::outln!(
        "{:<28} {:>9} {:>8} {:>8} {:>8} {:>8} {:>7} {:>12} {:>12}",
        "SCENARIO (7 d)",
        "DIAGNOSED",
        "MTTD",
        "DIAG",
        "RESOLVED",
        "MTTR",
        "HEALED",
        "MTTR HEALED",
        "MTTR OTHER"
    );
    for m in &s.scenarios {
        crate::outln!(
            "{:<28} {:>9} {:>8} {:>8} {:>8} {:>8} {:>7} {:>12} {:>12}",
            m.scenario,
            m.diagnosed,
            ms(m.mttd_ms),
            ms(m.diagnosis_ms),
            m.resolved,
            ms(m.mttr_ms),
            m.healed,
            ms(m.mttr_healed_ms),
            ms(m.mttr_other_ms)
        );
    }
}
