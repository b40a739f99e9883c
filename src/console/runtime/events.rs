//! Performing the Events pane's effects: a page and its count, one event with its timeline, the
//! Overview statistics, the bell check, and operators' actions on events.

use super::super::action::{Action, EventPage};
use super::super::effect::Effect;
use crate::domain::event::EventQuery;
use crate::domain::time::now_ms;
use crate::store::{COUNT_CAP, EventAction, Store};

/// Read a page and the total for `query` (as the Events pane asks for it; see
/// [`Effect::LoadEvents`] for `from_end`). The change stamp is read first: a row arriving after it
/// shows as a new stamp on the next poll. The count is exact when the maintained counts answer
/// it or fewer than [`COUNT_CAP`] rows match, else capped (and counted exactly apart).
pub async fn read_page(
    store: &Store,
    query: &EventQuery,
    from_end: bool,
) -> Result<EventPage, String> {
    let fail = |e: crate::store::StoreError| e.to_string();
    let stamp = store.events_stamp().await.map_err(fail)?;
    let (total, exact) = store
        .count_events_capped(query, COUNT_CAP)
        .await
        .map_err(fail)?;
    let (offset, rows) = if query.after.is_some() && from_end {
        // Keyset backwards: the rows before the anchor, turned around. Fewer than asked means the
        // page reaches the top.
        let mut rows = store.list_events(query).await.map_err(fail)?;
        rows.reverse();
        let short = i64::try_from(rows.len()).unwrap_or(0) < query.limit;
        (if short { 0 } else { query.offset }, rows)
    } else if query.after.is_none() && from_end && exact && query.offset > total / 2 {
        // SQL `OFFSET` costs what it skips: a page in the second half is read from the end in
        // the opposite order (the sort ends with `id`, so the order is total) and turned around.
        let end = (query.offset + query.limit).min(total);
        let reversed = EventQuery {
            descending: !query.descending,
            offset: total - end,
            limit: (end - query.offset).max(0),
            ..query.clone()
        };
        let mut rows = store.list_events(&reversed).await.map_err(fail)?;
        rows.reverse();
        (query.offset, rows)
    } else {
        (query.offset, store.list_events(query).await.map_err(fail)?)
    };
    Ok(EventPage {
        offset,
        rows,
        total,
        exact,
        stamp,
    })
}

/// Perform an events effect (the bell is rung by the event loop; here it does nothing).
pub async fn perform(store: &Store, effect: Effect) -> Action {
    match &effect {
        Effect::LoadEvents {
            request,
            filter_gen,
            query,
            from_end,
            known,
        } => {
            if let Some(k) = known
                && store.events_stamp().await.is_ok_and(|s| s == *k)
            {
                return Action::EventsUnchanged {
                    request: *request,
                    filter_gen: *filter_gen,
                };
            }
            Action::EventsLoaded {
                request: *request,
                filter_gen: *filter_gen,
                result: read_page(store, query, *from_end).await,
            }
        }
        Effect::CountEvents { filter_gen, query } => {
            let result = async {
                let stamp = store.events_stamp().await?;
                Ok::<_, crate::store::StoreError>((stamp, store.count_events(query).await?))
            }
            .await;
            match result {
                Ok((stamp, total)) => Action::EventsCounted {
                    filter_gen: *filter_gen,
                    stamp,
                    result: Ok(total),
                },
                Err(e) => Action::EventsCounted {
                    filter_gen: *filter_gen,
                    stamp: 0,
                    result: Err(e.to_string()),
                },
            }
        }
        Effect::LoadEventDetail { id, known } => {
            // The stamp first: a change landing during the read shows as a new stamp next time.
            let stamp = store.event_detail_stamp(*id).await.unwrap_or((0, 0));
            if known.is_some_and(|k| k == stamp && stamp != (0, 0)) {
                return Action::EventDetailUnchanged { id: *id };
            }
            let result = async {
                let event = store.get_event(*id).await?;
                let log = store.event_log(*id).await?;
                Ok::<_, crate::store::StoreError>((Box::new(event), log))
            }
            .await
            .map_err(|e| e.to_string());
            Action::EventDetailLoaded {
                id: *id,
                stamp,
                result,
            }
        }
        Effect::LoadEventStats { now, known } => {
            if let Some((stamp, hour)) = known
                && *hour == now.div_euclid(3_600_000)
                && store.events_stamp().await.is_ok_and(|s| s == *stamp)
            {
                return Action::EventStatsUnchanged;
            }
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

/// Read event `id`'s latest diagnosis run and its tree's outline with the path marked.
pub(super) async fn load_diagnosis(store: &Store, id: i64) -> Action {
    let result = async {
        let Some(run) = store.list_diagnoses(Some(id), 1).await?.into_iter().next() else {
            return Ok(None);
        };
        let trace: crate::domain::diagnosis::Trace =
            serde_json::from_str(&run.trace).unwrap_or_default();
        let outline = store
            .tree_definitions()
            .await?
            .iter()
            .find(|t| t.name == run.tree)
            .map(|t| {
                t.outline(
                    &trace.path,
                    trace.conclusion.as_ref().map(|c| c.id.as_str()),
                )
            })
            .unwrap_or_default();
        Ok::<_, crate::store::StoreError>(Some(Box::new(super::super::events::DiagnosisView {
            run,
            trace,
            outline,
        })))
    }
    .await
    .map_err(|e| e.to_string());
    Action::DiagnosisLoaded { id, result }
}

/// `d`, confirmed: queue an operator's diagnosis of event `id` (the engine walks it; the detail
/// shows the result when its timeline changes).
pub(super) async fn queue_diagnosis(store: &Store, id: i64, actor: &str) -> Action {
    match crate::engine::diagnose::queue_for_event(store, id, None, actor).await {
        Ok((run, tree)) => Action::OperationDone {
            message: format!(
                "diagnosis run {run} of {tree} queued for event #{id}: the result shows here when an engine has walked it"
            ),
            failed: false,
        },
        Err(e) => Action::OperationDone {
            message: format!("diagnosis of event #{id} not queued: {e}"),
            failed: true,
        },
    }
}
