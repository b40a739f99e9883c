//! Performing the Events pane's effects: a page and its count, one event with its timeline, the
//! Overview statistics, the bell check, and operators' actions on events.

use super::super::action::{Action, EventPage};
use super::super::effect::Effect;
use crate::domain::event::EventQuery;
use crate::domain::time::now_ms;
use crate::store::{EventAction, Store};

/// Read a page and the total for `query` (as the Events pane asks for it). With `from_end`, a
/// page in the second half of the result is read from the end in the opposite order and turned
/// around: the rows are the same (the sort ends with `id`, so the order is total), and SQL
/// `OFFSET` costs what it skips, so the last page of 100,000 rows costs what the first does.
pub async fn read_page(
    store: &Store,
    query: &EventQuery,
    from_end: bool,
) -> Result<EventPage, String> {
    // Two reads, not one transaction: a row arriving between them shows on the next poll.
    let total = store.count_events(query).await.map_err(|e| e.to_string())?;
    let end = (query.offset + query.limit).min(total);
    let rows = if from_end && query.offset > total / 2 {
        let reversed = EventQuery {
            descending: !query.descending,
            offset: total - end,
            limit: (end - query.offset).max(0),
            ..query.clone()
        };
        let mut rows = store
            .list_events(&reversed)
            .await
            .map_err(|e| e.to_string())?;
        rows.reverse();
        rows
    } else {
        store.list_events(query).await.map_err(|e| e.to_string())?
    };
    Ok(EventPage {
        offset: query.offset,
        rows,
        total,
    })
}

/// Perform an events effect (the bell is rung by the event loop; here it does nothing).
pub(super) async fn perform(store: &Store, effect: Effect) -> Action {
    match &effect {
        Effect::LoadEvents {
            request,
            filter_gen,
            query,
            from_end,
        } => Action::EventsLoaded {
            request: *request,
            filter_gen: *filter_gen,
            result: read_page(store, query, *from_end).await,
        },
        Effect::LoadEventDetail { id } => {
            let result = async {
                let event = store.get_event(*id).await?;
                let log = store.event_log(*id).await?;
                Ok::<_, crate::store::StoreError>((Box::new(event), log))
            }
            .await
            .map_err(|e| e.to_string());
            Action::EventDetailLoaded { id: *id, result }
        }
        Effect::LoadEventStats { now } => {
            Action::EventStatsLoaded(store.event_stats(*now).await.map_err(|e| e.to_string()))
        }
        Effect::CheckUrgent { after } => {
            let result = async {
                // The highest id first: an urgent event inserted after it is found next time.
                let max = store.max_event_id().await?;
                let urgent = match after {
                    Some(a) => store.urgent_after(*a).await?,
                    None => Vec::new(),
                };
                let urgent = urgent.into_iter().filter(|(id, _)| *id <= max).collect();
                Ok::<_, crate::store::StoreError>((max, urgent))
            }
            .await
            .map_err(|e| e.to_string());
            Action::UrgentChecked(result)
        }
        _ => Action::Noop,
    }
}

/// The action with the confirmation's reason as its note (G2 actions ask for one).
fn with_reason(action: EventAction, reason: &str) -> EventAction {
    let r = reason.to_owned();
    match action {
        EventAction::Ack { note } if note.is_empty() => EventAction::Ack { note: r },
        EventAction::Resolve { note } if note.is_empty() => EventAction::Resolve { note: r },
        EventAction::Close { note } if note.is_empty() => EventAction::Close { note: r },
        EventAction::Regrade { level, reason } if reason.is_empty() => {
            EventAction::Regrade { level, reason: r }
        }
        other => other,
    }
}

/// Apply a confirmed action to events and say how it went (skipped events are named).
pub(super) async fn act(
    store: &Store,
    ids: &[i64],
    action: EventAction,
    actor: &str,
    reason: &str,
) -> Action {
    let action = with_reason(action, reason);
    let verb = action.kind();
    match store.event_action(ids, &action, actor, now_ms()).await {
        Err(e) => Action::OperationDone {
            message: format!("{verb}: failed: {e}"),
            failed: true,
        },
        Ok(results) => {
            let done = results.iter().filter(|(_, r)| r.is_ok()).count();
            let skipped: Vec<String> = results
                .iter()
                .filter_map(|(id, r)| r.as_ref().err().map(|why| format!("#{id} {why}")))
                .collect();
            let noun = if results.len() == 1 {
                "event"
            } else {
                "events"
            };
            let mut message = format!("{verb} {done} of {} {noun}", results.len());
            if !skipped.is_empty() {
                message.push_str(&format!("; skipped: {}", skipped.join(", ")));
            }
            Action::OperationDone {
                message,
                failed: !skipped.is_empty(),
            }
        }
    }
}
