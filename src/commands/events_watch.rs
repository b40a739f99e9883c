//! `nightwatch events list --watch`: the list printed again each time the events change.
//!
//! Every `--interval` one cheap read of the events' change stamp (a single row, maintained by
//! every write to `risk_events`) decides: unchanged, nothing else is read or printed; changed, the
//! page and its count are read and printed. The stamp is read before the page, so a change landing
//! during the read shows as a new stamp next time instead of being missed. SIGINT, SIGTERM and
//! SIGHUP end it cleanly (exit 0).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::cli::Output;
use crate::domain::event::EventQuery;
use crate::domain::time::{format_utc, now_ms};
use crate::store::Store;

use super::Failure;

/// Watch until a signal. Errors of a single poll are reported and retried (a database restart
/// should not end a wallboard); only the first read must succeed.
pub async fn watch(
    store: &Store,
    q: &EventQuery,
    output: Output,
    interval: f64,
) -> Result<(), Failure> {
    let stop = CancellationToken::new();
    tokio::spawn(crate::engine::signals::cancel_on_signals(stop.clone()));
    let every = Duration::from_secs_f64(interval);
    let mut shown: Option<i64> = None;
    let mut failing = false;
    loop {
        match poll(store, q, output, shown).await {
            Ok(stamp) => {
                shown = Some(stamp);
                failing = false;
            }
            Err(e) if shown.is_none() => return Err(e.into()),
            Err(e) => {
                if !failing {
                    crate::errln!("nightwatch: reading the events failed (retrying): {e}");
                }
                failing = true;
            }
        }
        tokio::select! {
            () = stop.cancelled() => return Ok(()),
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// Print the page when the stamp moved from `shown`; return the stamp now shown.
async fn poll(
    store: &Store,
    q: &EventQuery,
    output: Output,
    shown: Option<i64>,
) -> Result<i64, crate::store::StoreError> {
    let stamp = store.events_stamp().await?;
    if shown == Some(stamp) {
        return Ok(stamp);
    }
    let events = store.list_events(q).await?;
    let total = store.count_events(q).await?;
    match output {
        Output::Json => crate::outln!("{}", serde_json::to_string(&events).unwrap_or_default()),
        Output::Table => {
            crate::outln!("── {} (stamp {stamp}) ──", format_utc(now_ms()));
            super::events::print_list(&events, total);
        }
    }
    Ok(stamp)
}
