//! `nightwatch events …`: risk events from the command line.

use crate::cli::{EventsCommand, Output};
use crate::domain::event::{Event, EventQuery, Level};
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
        EventsCommand::List {
            filter,
            output,
            limit,
            offset,
        } => {
            let mut q = EventQuery::parse(&filter.join(" "), &actor()).map_err(Failure::Other)?;
            q.limit = limit;
            q.offset = offset;
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
            let scenarios = store.scenario_definitions().await.unwrap_or_default();
            let recommended = crate::domain::plan::recommend(&scenarios, &event);
            match output {
                Output::Json => {
                    let v = serde_json::json!({"event": event, "timeline": log, "recommended_plans": recommended});
                    crate::outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
                }
                Output::Table => {
                    print_event(&event);
                    if !recommended.is_empty() {
                        crate::outln!("recommended plans (best first):");
                        for r in &recommended {
                            let params: Vec<String> = r
                                .params
                                .iter()
                                .map(|(k, v)| format!("--param {k}={v}"))
                                .collect();
                            crate::outln!(
                                "  {:>4}  {} ({}): {}",
                                r.score,
                                r.plan,
                                r.scenario,
                                r.impact.trim()
                            );
                            crate::outln!(
                                "        nightwatch plan run {} --event {id} {}",
                                r.plan,
                                params.join(" ")
                            );
                        }
                    }
                    crate::outln!("timeline:");
                    for e in log {
                        let who = if e.actor.is_empty() {
                            String::new()
                        } else {
                            format!(" by {}", e.actor)
                        };
                        crate::outln!("  {} {:<10}{who} {}", format_utc(e.at), e.kind, e.message);
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
                eprintln!("event {id}: {why}");
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

fn print_list(events: &[Event], total: i64) {
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
            e.source,
            e.title
        );
    }
    crate::outln!("{} of {total} shown", events.len());
}

fn print_event(e: &Event) {
    crate::outln!(
        "event {} [{} {}] {}",
        e.id,
        e.level.as_str(),
        e.status.as_str(),
        e.title
    );
    if e.level != e.original_level {
        crate::outln!("re-graded from {}", e.original_level.as_str());
    }
    crate::outln!(
        "source:     {} ({}), fingerprint {}",
        e.source,
        e.ds_type,
        e.fingerprint
    );
    crate::outln!("component:  {}", e.component);
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
        crate::outln!("assignee:   {}", e.assignee);
    }
    if !e.summary.is_empty() {
        crate::outln!("summary:    {}", e.summary);
    }
    if !e.source_url.is_empty() {
        crate::outln!("link:       {}", e.source_url);
    }
    for (k, v) in &e.labels {
        crate::outln!("label       {k}={v}");
    }
    for (k, v) in &e.annotations {
        crate::outln!("annotation  {k}={v}");
    }
}
