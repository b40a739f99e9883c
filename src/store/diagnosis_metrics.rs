//! Detection, diagnosis and repair times per scenario (DOMAIN.md §1; issue 16): for each episode
//! the engine diagnosed by itself, MTTD (the source's first sighting → nightwatch's event), the
//! diagnosis time (queued → concluded), MTTR (the event → resolved) and whether a self-heal
//! healed it. Read from the runs, the events and their timelines; nothing extra is written.

use std::collections::BTreeMap;

use sqlx::Row;

use super::{Store, StoreError};

/// One scenario's figures over a window. Means in ms; `None` when nothing to average.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ScenarioMetrics {
    pub scenario: String,
    /// Episodes diagnosed by the engine.
    pub diagnosed: i64,
    pub mttd_ms: Option<i64>,
    pub diagnosis_ms: Option<i64>,
    /// Episodes resolved since.
    pub resolved: i64,
    pub mttr_ms: Option<i64>,
    /// Episodes a self-heal healed, and their MTTR; the others' MTTR.
    pub healed: i64,
    pub mttr_healed_ms: Option<i64>,
    pub mttr_other_ms: Option<i64>,
}

#[derive(Default)]
struct Sums {
    m: ScenarioMetrics,
    mttd: Vec<i64>,
    diag: Vec<i64>,
    mttr: Vec<i64>,
    healed_mttr: Vec<i64>,
    other_mttr: Vec<i64>,
}

fn mean(v: &[i64]) -> Option<i64> {
    (!v.is_empty()).then(|| v.iter().sum::<i64>() / i64::try_from(v.len()).unwrap_or(1))
}

impl Store {
    /// Per scenario, the episodes the engine diagnosed since `since` (ms).
    pub async fn scenario_metrics(&self, since: i64) -> Result<Vec<ScenarioMetrics>, StoreError> {
        let q = "SELECT d.scenario, d.created_at, d.finished_at, e.first_seen, l.at AS opened, \
                 l.kind AS how, \
                 (SELECT MIN(r.at) FROM event_log r WHERE r.event_id = d.event_id \
                  AND r.kind = 'resolved' AND r.at >= l.at) AS resolved_at, \
                 (SELECT COUNT(*) FROM self_heals h WHERE h.diagnosis_id = d.id \
                  AND h.status = 'healed') AS healed \
                 FROM diagnoses d JOIN risk_events e ON e.id = d.event_id \
                 JOIN event_log l ON l.id = d.source_log \
                 WHERE d.requested_by = 'engine' AND d.status = 'done' AND d.created_at >= ? \
                 ORDER BY d.id";
        let rows = sqlx::query(self.sql(q))
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
        let mut by: BTreeMap<String, Sums> = BTreeMap::new();
        for r in rows {
            let scenario: String = r.try_get("scenario")?;
            let s = by.entry(scenario.clone()).or_default();
            s.m.scenario = scenario;
            s.m.diagnosed += 1;
            let (created, finished, first_seen, opened): (i64, i64, i64, i64) = (
                r.try_get("created_at")?,
                r.try_get("finished_at")?,
                r.try_get("first_seen")?,
                r.try_get("opened")?,
            );
            let how: String = r.try_get("how")?;
            if how == "received" && first_seen > 0 && opened >= first_seen {
                s.mttd.push(opened - first_seen);
            }
            if finished >= created {
                s.diag.push(finished - created);
            }
            let healed: i64 = r.try_get("healed")?;
            if healed > 0 {
                s.m.healed += 1;
            }
            if let Some(at) = r.try_get::<Option<i64>, _>("resolved_at")? {
                s.m.resolved += 1;
                s.mttr.push(at - opened);
                if healed > 0 {
                    s.healed_mttr.push(at - opened);
                } else {
                    s.other_mttr.push(at - opened);
                }
            }
        }
        Ok(by
            .into_values()
            .map(|s| ScenarioMetrics {
                mttd_ms: mean(&s.mttd),
                diagnosis_ms: mean(&s.diag),
                mttr_ms: mean(&s.mttr),
                mttr_healed_ms: mean(&s.healed_mttr),
                mttr_other_ms: mean(&s.other_mttr),
                ..s.m
            })
            .collect())
    }
}
