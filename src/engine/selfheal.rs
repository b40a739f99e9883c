//! Risk self-healing in the engine. After a diagnosis concludes, the scenario's policy decides
//! (`domain::selfheal::decide`, judged under the store's lock so rates hold across engines): a
//! shadow policy records what it would have done, a blocked one records the rule, an allowed one
//! launches the conclusion's plan as operator `self-heal` (its parameters are the conclusion's,
//! passed to the plan executor as data). Every decision is on the event's timeline and audited.
//!
//! Verification (on the master): once the plan run ended, the event must resolve within the
//! policy's `verify_within`; else — or when the run failed — the heal is **escalated**: the event
//! is re-graded P0 and notified, and after `halt_after` consecutive escalations the policy halts.
//! The global switch `SELF_HEALING_ENABLED` is read from the database at each decision, so turning
//! it off stops new heals at once.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::config_watch::Effective;
use super::metrics::Metrics;
use super::notify::CHANNELS_KEY;
use crate::domain::diagnosis::Trace;
use crate::domain::event::{Level, Status};
use crate::domain::notify::{Notification, parse_channels};
use crate::domain::selfheal::{Decision, Facts, decide};
use crate::domain::time::now_ms;
use crate::store::{DiagnosisRow, EventAction, NewSelfHeal, Store, StoreError};

/// The global switch (system configuration), off by default.
pub const SWITCH_KEY: &str = "SELF_HEALING_ENABLED";
/// Heals per hour over every scenario.
pub const MAX_PER_HOUR_KEY: &str = "SELF_HEALING_MAX_PER_HOUR";
/// The operator self-heals act as.
pub const ACTOR: &str = "self-heal";

async fn config_value(store: &Store, key: &str) -> Option<serde_json::Value> {
    let stored = store.get_config(key).await.ok().flatten()?;
    serde_json::from_str(&stored.value).ok()
}

/// Judge the policy of `run`'s scenario for its conclusion; launch the plan when it says so.
/// `None`: the scenario heals nothing for this conclusion.
pub async fn after_diagnosis(
    store: &Store,
    run: &DiagnosisRow,
    trace: &Trace,
) -> Result<Option<(i64, &'static str)>, StoreError> {
    let Some(concluded) = &trace.conclusion else {
        return Ok(None);
    };
    let scenarios = store.scenario_definitions().await?;
    let Some(policy) = scenarios
        .iter()
        .find(|s| s.name == run.scenario)
        .and_then(|s| s.self_heal.clone())
    else {
        return Ok(None);
    };
    let Some(plan) = policy.plan_for(&concluded.id).map(str::to_owned) else {
        return Ok(None);
    };
    let event = store.get_event(run.event_id).await?;
    let components = store.list_components().await?;
    let target = crate::domain::plan::component_of(&event, &components)
        .map_or_else(|| event.component.clone(), |c| c.name.clone());
    let fault_key = format!("{}:{}:{target}", run.scenario, concluded.id);
    let prepared = if concluded.unfilled.is_empty() {
        crate::plans::prepare(store, &plan, &concluded.params, Some(&event))
            .await
            .map_err(|e| e.to_string())
    } else {
        Err(format!(
            "the diagnosis left {} unfilled",
            concluded.unfilled.join(", ")
        ))
    };
    let switch_on = config_value(store, SWITCH_KEY)
        .await
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let global_max_hour = config_value(store, MAX_PER_HOUR_KEY)
        .await
        .and_then(|v| v.as_u64())
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(10);
    let now = now_ms();
    let new = NewSelfHeal {
        event_id: run.event_id,
        diagnosis_id: run.id,
        scenario: run.scenario.clone(),
        conclusion: concluded.id.clone(),
        fault_key: fault_key.clone(),
        plan: plan.clone(),
        params: serde_json::to_string(&concluded.params).unwrap_or_else(|_| "{}".into()),
    };
    let params: Vec<String> = concluded
        .params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let what = format!("plan {plan} ({})", params.join(", "));
    let danger = prepared.as_ref().ok().map(|p| p.danger);
    let refused = prepared.as_ref().err().cloned();
    let (id, decision) = store
        .decide_self_heal(&new, now, |c| {
            if let Some(why) = &refused {
                return (
                    "skipped",
                    "plan-refused".to_owned(),
                    format!("self-heal skipped (plan-refused): {what} cannot run: {why}"),
                );
            }
            let facts = Facts {
                switch_on,
                danger,
                halted: c.halted,
                now,
                last_for_key: c.last_for_key,
                key_last_hour: c.key_last_hour,
                scenario_last_hour: c.scenario_last_hour,
                global_last_hour: c.global_last_hour,
                global_max_hour,
                running: c.running,
            };
            let d = decide(&policy, &facts);
            let (rule, text) = match &d {
                Decision::Run => (
                    String::new(),
                    format!("self-heal runs {what} for {fault_key}"),
                ),
                Decision::Shadow(None) => (
                    String::new(),
                    format!("self-heal (shadow) would run {what} for {fault_key}; nothing ran"),
                ),
                Decision::Shadow(Some(b)) => (
                    b.rule(),
                    format!(
                        "self-heal (shadow) would skip {what} for {fault_key} ({b}); nothing ran"
                    ),
                ),
                Decision::Skip(b) => (
                    b.rule(),
                    format!("self-heal skipped ({b}): {what} for {fault_key}"),
                ),
            };
            (d.as_str(), rule, text)
        })
        .await?;
    if decision != "ran" {
        return Ok(Some((id, decision)));
    }
    let Ok(prepared) = prepared else {
        return Ok(Some((id, decision)));
    };
    let confirmation = crate::plans::Confirmation {
        yes: true,
        reason: format!(
            "self-heal {id}: scenario {} concluded {} (diagnosis run {})",
            run.scenario, concluded.id, run.id
        ),
        typed_target: prepared.confirm_target.clone().unwrap_or_default(),
    };
    match crate::plans::launch(
        store,
        &prepared,
        false,
        &confirmation,
        ACTOR,
        store.is_read_only(),
        false,
        run.event_id,
    )
    .await
    {
        Ok(plan_run) => {
            store
                .set_self_heal_run(id, plan_run, "running", 0, "")
                .await?;
        }
        Err(e) => {
            store
                .finish_self_heal(
                    id,
                    false,
                    &format!("the plan did not start: {e}"),
                    policy.halt_after,
                    now_ms(),
                )
                .await?;
        }
    }
    Ok(Some((id, decision)))
}

/// Judge the open self-heals once: healed when the event resolved after the plan succeeded,
/// escalated when the plan failed or the event stayed open past `verify_within`.
pub async fn verify_once(
    store: &Store,
    channels: &[crate::domain::notify::Channel],
) -> Result<usize, StoreError> {
    let mut ended = 0;
    let scenarios = store.scenario_definitions().await?;
    for h in store.open_self_heals().await? {
        let policy = scenarios
            .iter()
            .find(|s| s.name == h.scenario)
            .and_then(|s| s.self_heal.clone());
        let (verify_ms, halt_after) = policy.map_or((300_000, 3), |p| (p.verify_ms, p.halt_after));
        if h.plan_run_id == 0 {
            continue;
        }
        let run = store.get_plan_run(h.plan_run_id).await?;
        let now = now_ms();
        let outcome = match run.status.as_str() {
            "succeeded" => {
                let event = store.get_event(h.event_id).await?;
                if matches!(event.status, Status::Resolved | Status::Closed) {
                    Some((
                        true,
                        format!(
                            "plan run {} succeeded and event #{} is {}",
                            run.id,
                            h.event_id,
                            event.status.as_str()
                        ),
                    ))
                } else if now > run.finished_at + verify_ms {
                    Some((
                        false,
                        format!(
                            "plan run {} succeeded but event #{} is still {} {} s after it",
                            run.id,
                            h.event_id,
                            event.status.as_str(),
                            verify_ms / 1000
                        ),
                    ))
                } else {
                    None
                }
            }
            "failed" | "rolled_back" | "aborted" | "interrupted" => {
                Some((false, format!("plan run {} ended {}", run.id, run.status)))
            }
            _ => None,
        };
        let Some((healed, message)) = outcome else {
            continue;
        };
        if store
            .finish_self_heal(h.id, healed, &message, halt_after, now)
            .await?
        {
            ended += 1;
            if !healed {
                escalate(store, h.event_id, &message, channels, now).await?;
            }
        }
    }
    Ok(ended)
}

/// The heal failed: the event becomes P0 and is notified as firing again.
async fn escalate(
    store: &Store,
    event_id: i64,
    why: &str,
    channels: &[crate::domain::notify::Channel],
    now: i64,
) -> Result<(), StoreError> {
    store
        .event_action(
            &[event_id],
            &EventAction::Regrade {
                level: Level::P0,
                reason: format!("self-heal escalated: {why}"),
            },
            ACTOR,
            now,
        )
        .await?;
    let event = store.get_event(event_id).await?;
    let payload = serde_json::to_string(&Notification {
        kind: "firing".to_owned(),
        event,
    })
    .unwrap_or_default();
    for ch in channels.iter().filter(|c| c.wants(Level::P0, "self-heal")) {
        store
            .enqueue_outbox(&ch.name, event_id, &payload, now)
            .await?;
    }
    Ok(())
}

/// The master judges open self-heals every two seconds.
pub async fn verify_loop(
    store: Store,
    metrics: Arc<Metrics>,
    config: watch::Receiver<Arc<Effective>>,
    notify_wake: Arc<tokio::sync::Notify>,
    cancel: CancellationToken,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            _ = tick.tick() => {}
        }
        if !metrics.is_master.load(Ordering::Relaxed) {
            continue;
        }
        let channels = parse_channels(&config.borrow().get(CHANNELS_KEY)).0;
        match verify_once(&store, &channels).await {
            Ok(n) if n > 0 => notify_wake.notify_one(),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot verify self-heals"),
        }
    }
}
