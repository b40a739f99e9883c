//! A read-only summary for run lists: how many steps of each recent run are finished. One
//! grouped query instead of reading every run's steps (the console's runs list shows `n/m`).

use sqlx::Row;

use super::{Store, StoreError};

impl Store {
    /// `(run id, finished steps, all steps)` for every run with an id of at least `min_id`.
    /// Finished: succeeded, failed or skipped. `COUNT` (not `SUM`) so every backend answers an
    /// integer.
    pub async fn plan_run_progress(&self, min_id: i64) -> Result<Vec<(i64, i64, i64)>, StoreError> {
        let rows = sqlx::query(self.sql(
            "SELECT run_id, COUNT(*) AS total, \
             COUNT(CASE WHEN status IN ('succeeded', 'failed', 'skipped') THEN 1 END) AS done \
             FROM plan_run_steps WHERE run_id >= ? GROUP BY run_id",
        ))
        .bind(min_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get("run_id")?;
                let total: i64 = r.try_get("total")?;
                let done: i64 = r.try_get("done")?;
                Ok((id, done, total))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}
