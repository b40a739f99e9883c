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

/// `DR_DASHBOARD_CONFIG` as saved (it holds no secret, so its stored text is its value), else
/// the defaults.
pub async fn dashboard_config(store: &Store) -> DashboardConfig {
    match store.get_config(crate::engine::dr::CONFIG_KEY).await {
        Ok(Some(row)) => serde_json::from_str(&row.value)
            .map(|v| DashboardConfig::from_value(&v))
            .unwrap_or_default(),
        _ => DashboardConfig::default(),
    }
}

/// Everything the DR pane draws, read in one go.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Board {
    pub model: DrModel,
    pub view: DrView,
    pub config: DashboardConfig,
    /// Each link's worst lag per bucket over the last hour (oldest first).
    pub histories: Vec<crate::store::LinkHistory>,
    /// The verdicts the engine stored on its last round.
    pub verdicts: Vec<crate::domain::dr::Readiness>,
    /// The components whose host a check could not reach, with the last connection error.
    pub reach_errors: Vec<crate::domain::ssh::ReachError>,
}

/// Read the board at `now`.
pub async fn board(store: &Store, now: i64) -> Result<Board, StoreError> {
    let model = store.dr_model().await?;
    let config = dashboard_config(store).await;
    if model.is_empty() {
        return Ok(Board {
            model,
            config,
            ..Board::default()
        });
    }
    let view = snapshot(store, &model, &config, now).await?;
    Ok(Board {
        histories: store.link_histories(now, 3_600_000).await?,
        verdicts: store.list_readiness().await?,
        reach_errors: store.reach_errors().await?,
        model,
        view,
        config,
    })
}

/// A deterministic board of `dcs` datacenters, `components` components spread over the five
/// layers, `links` links (every seventh past its RPO, every eleventh broken) with an hour of
/// history, water levels and judged directions dc-1⇄dc-2: for snapshots and the frame-time
/// benchmark. Nothing here is read from anywhere.
pub fn synthetic(dcs: usize, components: usize, links: usize, now: i64) -> Board {
    use crate::domain::dr::{
        Architecture, Datacenter, DcRole, DrPlanRef, DrSystem, LevelKind, LinkKind, LinkSample,
        LinkState, SyncLink, WaterLevel,
    };
    use crate::domain::event::Level;
    use crate::domain::{Component, Layer};
    let layers = [
        Layer::Business,
        Layer::Hub,
        Layer::Storage,
        Layer::Database,
        Layer::Physical,
    ];
    let dc_name = |i: usize| format!("dc-{}", i + 1);
    let datacenters: Vec<Datacenter> = (0..dcs)
        .map(|i| Datacenter {
            name: dc_name(i),
            zone: dc_name(i),
            city: String::new(),
            role: if i == 0 {
                DcRole::Active
            } else {
                DcRole::Standby
            },
            labels: serde_json::json!({}),
        })
        .collect();
    let plan = |from: usize, to: usize| DrPlanRef {
        from: dc_name(from),
        to: dc_name(to),
        plan: "dr-switch".into(),
        faulty_param: "faulty_dc".into(),
        available_param: "available_dc".into(),
    };
    let system = DrSystem {
        name: "orders".into(),
        architecture: Architecture::RemoteActiveStandby,
        datacenters: datacenters.iter().map(|d| d.name.clone()).collect(),
        rpo_ms: 30_000,
        rto_ms: 900_000,
        plans: if dcs >= 2 {
            vec![plan(0, 1), plan(1, 0)]
        } else {
            Vec::new()
        },
        labels: serde_json::json!({}),
    };
    let comps: Vec<Component> = (0..components)
        .map(|i| {
            let mut c = Component::new(
                &format!("c{i:05}"),
                if i % 2 == 0 { "mariadb" } else { "redis" },
                layers[i % layers.len()],
            );
            c.zone = dc_name((i / layers.len()) % dcs.max(1));
            c
        })
        .collect();
    let mut model_links = Vec::new();
    let mut samples = Vec::new();
    let mut histories = Vec::new();
    let mut levels = Vec::new();
    for i in 0..links {
        // Source in one datacenter, target in the next: components i*2 and a neighbour.
        let src = (2 * i * layers.len()) % components.max(1);
        let dst = (src + layers.len()) % components.max(1);
        let name = format!("link-{i:04}");
        model_links.push(SyncLink {
            name: name.clone(),
            kind: LinkKind::MysqlReplication,
            system: "orders".into(),
            source: comps.get(src).map(|c| c.name.clone()).unwrap_or_default(),
            target: comps.get(dst).map(|c| c.name.clone()).unwrap_or_default(),
            rpo_ms: 30_000,
            probe: None,
            value: String::new(),
        });
        let lag = if i % 7 == 3 {
            45_000
        } else {
            (i as i64 % 5) * 1000
        };
        samples.push(LinkSample {
            link: name.clone(),
            at: now,
            state: if i % 11 == 5 {
                LinkState::Broken
            } else {
                LinkState::Running
            },
            lag_ms: Some(lag),
            bytes: Some(lag * 40),
            message: if i % 11 == 5 {
                "SQL thread stopped".into()
            } else {
                "IO and SQL threads running".into()
            },
            detail: serde_json::Value::Null,
        });
        histories.push(crate::store::LinkHistory {
            link: name,
            points: (0..crate::store::HISTORY_BUCKETS as i64)
                .map(|b| Some((b * 997 + i as i64 * 131) % 40_000))
                .collect(),
        });
        if let Some(c) = comps
            .get(dst)
            .filter(|c| !levels.iter().any(|l: &WaterLevel| l.component == c.name))
        {
            levels.push(WaterLevel {
                component: c.name.clone(),
                kind: if i % 2 == 0 {
                    LevelKind::Connections
                } else {
                    LevelKind::Memory
                },
                at: now,
                used: (i as i64 * 37) % 100,
                max: 100,
            });
        }
    }
    let events = comps
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 13 == 0)
        .map(|(i, c)| crate::domain::dr::OpenEvent {
            id: i as i64 + 1,
            component: c.name.clone(),
            level: Level::ALL[i % 4],
            title: format!("{} check failed", c.name),
            source: "inspection".into(),
        })
        .collect::<Vec<_>>();
    let model = DrModel {
        datacenters,
        systems: vec![system],
        links: model_links,
    };
    let view = DrView {
        at: now,
        urgent: events
            .iter()
            .filter(|e| e.level.is_urgent())
            .map(|e| (e.component.clone(), e.level, e.title.clone()))
            .collect(),
        components: comps,
        events,
        links: samples,
        levels,
        // dc-1 serves three quarters, dc-2 the rest; the others have no figure.
        traffic: [1200.0, 400.0]
            .iter()
            .take(dcs)
            .enumerate()
            .map(|(i, v)| crate::domain::dr::Traffic {
                zone: dc_name(i),
                at: now,
                value: *v,
            })
            .collect(),
        plans: vec![RunStats {
            plan: "dr-switch".into(),
            est_ms: 120_000,
            basis: "sum of step timeouts".into(),
        }],
        running: Vec::new(),
    };
    let config = DashboardConfig::default();
    let verdicts = model
        .directions()
        .iter()
        .map(|d| crate::domain::dr::assess(d, &view.input(&model, &config), now))
        .collect();
    Board {
        model,
        view,
        config,
        histories,
        verdicts,
        reach_errors: Vec::new(),
    }
}
