//! The Overview read: everything the first pane and `info` show, in one round of queries.

use sqlx::Row;
use strum::IntoEnumIterator;

use super::{Store, StoreError};
use crate::domain::{Layer, Overview};

impl Store {
    /// Database, instances, master lease, components per layer, audit size.
    pub async fn overview(&self) -> Result<Overview, StoreError> {
        let mut db = self.db_info();
        db.schema_version = self.schema_version().await?;
        let instances = self.list_instances().await?;
        let master = self.get_lease("master").await?;
        let rows = sqlx::query(
            "SELECT layer, COUNT(*) AS n, MAX(updated_at) AS t FROM components GROUP BY layer",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut by_layer: Vec<(String, i64)> = Layer::iter().map(|l| (l.to_string(), 0)).collect();
        let mut stamp = 0_i64;
        for row in &rows {
            let layer: String = row.try_get("layer")?;
            let n: i64 = row.try_get("n")?;
            let t: Option<i64> = row.try_get("t")?;
            stamp = stamp.max(t.unwrap_or(0));
            match by_layer.iter_mut().find(|(l, _)| *l == layer) {
                Some(slot) => slot.1 = n,
                None => by_layer.push((layer, n)),
            }
        }
        let (audit_total, audit_last): (i64, Option<i64>) =
            sqlx::query("SELECT COUNT(*) AS n, MAX(at) AS t FROM audit_log")
                .fetch_one(&self.pool)
                .await
                .and_then(|r| Ok((r.try_get("n")?, r.try_get("t")?)))?;
        stamp = stamp.max(audit_last.unwrap_or(0));
        for i in &instances {
            stamp = stamp.max(i.heartbeat_at);
        }
        if let Some(m) = &master {
            stamp = stamp.max(m.expires_at);
        }
        Ok(Overview {
            db,
            instances,
            master,
            components_total: by_layer.iter().map(|(_, n)| n).sum(),
            components_by_layer: by_layer,
            audit_total,
            stamp,
        })
    }
}
