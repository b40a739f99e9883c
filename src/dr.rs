//! Gathering the DR dashboard's [`DrView`] from the store: for the engine's readiness round, the
//! CLI and the console alike, so all three judge from the same reads.
//!
//! Must not: measure anything (the engine's collectors do) or write.

use crate::domain::dr::{DashboardConfig, DrModel, DrView, OpenEvent, RunStats, Traffic};
use crate::domain::event::EventQuery;
use crate::domain::plan::Plan;
use crate::store::{Store, StoreError, TERMINAL_RUN};

/// The most open events read for the grid's counts.
const MAX_EVENTS: i64 = 10_000;

/// Successful runs averaged for an RTO estimate.
const HISTORY_RUNS: i64 = 5;

/// Source of the risk events the DR collectors raise.
pub const EVENT_SOURCE: &str = "dr";

/// Read everything the dashboard shows and readiness judges.
pub async fn snapshot(
    store: &Store,
    model: &DrModel,
    _config: &DashboardConfig,
    now: i64,
) -> Result<DrView, StoreError> {
    let components = store.list_components().await?;
    let mut q = EventQuery::parse("status:open,acked", "").unwrap_or_default();
    q.limit = MAX_EVENTS;
    let events: Vec<OpenEvent> = store
        .list_events(&q)
        .await?
        .into_iter()
        .map(|e| OpenEvent {
            id: e.id,
            component: e.component,
            level: e.level,
            title: e.title,
            source: e.source,
        })
        .collect();
    let urgent = events
        .iter()
        .filter(|e| e.level.is_urgent() && e.source != EVENT_SOURCE)
        .map(|e| (e.component.clone(), e.level, e.title.clone()))
        .collect();
    let traffic = store
        .latest_dr_samples("traffic")
        .await?
        .into_iter()
        .map(|r| Traffic {
            zone: r.subject,
            at: r.at,
            value: r.amount as f64 / 1000.0,
        })
        .collect();
    let wanted: Vec<&str> = model
        .systems
        .iter()
        .flat_map(|s| s.plans.iter().map(|p| p.plan.as_str()))
        .collect();
    let mut plans = Vec::new();
    for p in store.plan_definitions().await? {
        if wanted.contains(&p.name.as_str()) {
            let runs = store.list_plan_runs(Some(&p.name), 50).await?;
            let took: Vec<i64> = runs
                .iter()
                .filter(|r| r.status == "succeeded" && !r.dry_run && r.started_at > 0)
                .take(HISTORY_RUNS as usize)
                .map(|r| r.finished_at - r.started_at)
                .collect();
            plans.push(estimate(&p, &took));
        }
    }
    let running = store
        .list_plan_runs(None, 200)
        .await?
        .into_iter()
        .filter(|r| !TERMINAL_RUN.contains(&r.status.as_str()) && !r.dry_run)
        .map(|r| (r.plan, r.id))
        .collect();
    Ok(DrView {
        at: now,
        components,
        events,
        links: store.latest_link_samples().await?,
        levels: store.latest_water_levels().await?,
        traffic,
        plans,
        running,
        urgent,
    })
}

/// A plan's expected duration: the mean of its last successful runs, else the sum of its steps'
/// timeouts (every attempt and retry delay: the worst case the plan allows).
pub fn estimate(plan: &Plan, took_ms: &[i64]) -> RunStats {
    if !took_ms.is_empty() {
        return RunStats {
            plan: plan.name.clone(),
            est_ms: took_ms.iter().sum::<i64>() / took_ms.len() as i64,
            basis: format!("mean of {} earlier run(s)", took_ms.len()),
        };
    }
    let worst: u64 = plan
        .prechecks
        .iter()
        .chain(&plan.steps)
        .chain(&plan.postchecks)
        .map(|s| {
            let tries = u64::from(s.retries) + 1;
            s.timeout_ms * tries + s.retry_delay_ms * (tries - 1)
        })
        .sum();
    RunStats {
        plan: plan.name.clone(),
        est_ms: i64::try_from(worst).unwrap_or(i64::MAX),
        basis: "sum of step timeouts".to_owned(),
    }
}
