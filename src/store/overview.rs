//! The Overview read: everything the first pane and `info` show, in one round of queries, and the
//! cheap change stamp that lets a poll skip it when nothing changed.

use sqlx::Row;
use strum::IntoEnumIterator;

use super::{Store, StoreError};
use crate::domain::{Layer, Overview, OverviewStamp};

impl Store {
    /// Database, instances, master lease, components per layer, audit size.
    pub async fn overview(&self) -> Result<Overview, StoreError> {
        self.overview_after(None).await
    }

    /// What tells whether the Overview changed: the audit log's highest id (its primary key),
    /// the components' count and newest update, the instances' heartbeats and the master lease
    /// (one row each). No query here grows with the audit log or the events.
    pub async fn overview_stamp(&self) -> Result<OverviewStamp, StoreError> {
        let audit_last_id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM audit_log")
            .fetch_one(&self.pool)
            .await?;
        let (n, t): (i64, Option<i64>) =
            sqlx::query("SELECT COUNT(*) AS n, MAX(updated_at) AS t FROM components")
                .fetch_one(&self.pool)
                .await
                .and_then(|r| Ok((r.try_get("n")?, r.try_get("t")?)))?;
        let instances = self
            .list_instances()
            .await?
            .into_iter()
            .map(|i| (i.id, i.heartbeat_at))
            .collect();
        let lease = self
            .get_lease("master")
            .await?
            .map(|l| (l.holder, l.term, l.expires_at));
        Ok(OverviewStamp {
            audit_last_id: audit_last_id.unwrap_or(0),
            components: (n, t.unwrap_or(0)),
            instances,
            lease,
        })
    }

    /// The Overview, reusing `known_audit` = (the audit log's highest id, its count) from an
    /// earlier read when the log has not grown since: the count is the only scan here, and the
    /// audit log only grows.
    pub async fn overview_after(
        &self,
        known_audit: Option<(i64, i64)>,
    ) -> Result<Overview, StoreError> {
        // The stamp first: a change landing during the read shows as a new stamp next time.
        let change = self.overview_stamp().await?;
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
        let (audit_total, audit_last): (i64, Option<i64>) = match known_audit {
            Some((last_id, total)) if last_id == change.audit_last_id => {
                let at: Option<i64> =
                    sqlx::query_scalar(self.sql("SELECT at FROM audit_log WHERE id = ?"))
                        .bind(last_id)
                        .fetch_optional(&self.pool)
                        .await?;
                (total, at)
            }
            _ => sqlx::query("SELECT COUNT(*) AS n, MAX(at) AS t FROM audit_log")
                .fetch_one(&self.pool)
                .await
                .and_then(|r| Ok((r.try_get("n")?, r.try_get("t")?)))?,
        };
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
            change,
        })
    }
}
