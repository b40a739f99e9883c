//! The DR dashboard's tables: the model (`dr_datacenters`, `dr_systems`, `dr_links`, JSON
//! definitions written by `apply`), the collectors' time series (`dr_samples`) with its
//! downsampling and retention, and the readiness verdicts (`dr_readiness`).
//!
//! Every sample of one collection round carries the round's start time, so "the latest" is one
//! indexed lookup of `MAX(at)` per kind, not a per-subject scan.

mod samples;

use sqlx::Row;

use super::{Store, StoreError};
use crate::domain::dr::{Datacenter, DrModel, DrSystem, Readiness, SyncLink};

pub use samples::{HISTORY_BUCKETS, LinkHistory, SampleRow};

impl Store {
    /// The whole DR model as stored.
    pub async fn dr_model(&self) -> Result<DrModel, StoreError> {
        Ok(DrModel {
            datacenters: self.list_dr_datacenters().await?,
            systems: self.list_dr_systems().await?,
            links: self.list_dr_links().await?,
        })
    }

    pub async fn list_dr_datacenters(&self) -> Result<Vec<Datacenter>, StoreError> {
        self.list_definitions("dr_datacenters").await
    }

    pub async fn list_dr_systems(&self) -> Result<Vec<DrSystem>, StoreError> {
        self.list_definitions("dr_systems").await
    }

    pub async fn list_dr_links(&self) -> Result<Vec<SyncLink>, StoreError> {
        self.list_definitions("dr_links").await
    }

    /// Upsert one definition of a DR table (`dr_datacenters`, `dr_systems`, `dr_links`) in `tx`.
    pub(super) async fn upsert_dr_in(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        table: &'static str,
        name: &str,
        definition: String,
        builtin: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        let q = self.dialect.upsert(
            table,
            &["name", "definition", "builtin", "updated_at"],
            &["name"],
            &["definition", "builtin", "updated_at"],
        );
        sqlx::query(self.sql(&q))
            .bind(name.to_owned())
            .bind(definition)
            .bind(i64::from(builtin))
            .bind(now)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Store the verdicts of one round (one row per direction, replaced).
    pub async fn put_readiness(&self, verdicts: &[Readiness]) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let q = self.dialect.upsert(
            "dr_readiness",
            &["direction", "verdict", "at"],
            &["direction"],
            &["verdict", "at"],
        );
        for r in verdicts {
            sqlx::query(self.sql(&q))
                .bind(format!("{}→{}", r.from, r.to))
                .bind(serde_json::to_string(r).unwrap_or_default())
                .bind(r.at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every stored verdict, by direction.
    pub async fn list_readiness(&self) -> Result<Vec<Readiness>, StoreError> {
        let rows = sqlx::query(self.sql("SELECT verdict FROM dr_readiness ORDER BY direction"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let text: String = r.try_get("verdict")?;
                serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
                    table: "dr_readiness",
                    reason: e.to_string(),
                })
            })
            .collect()
    }
}
