//! `system_config` + `system_config_history`: every save is a new version; nothing is overwritten.
//!
//! Saves use optimistic concurrency: the caller names the version its edit is based on, and the
//! conditional UPDATE (or the INSERT of version 1) succeeds only if that is still the current one.
//! Values arrive here already validated, with secrets already encrypted and the audit entry's
//! before/after already masked: this module never sees a secret in clear.

use sqlx::Row;

use super::{NewAudit, Store, StoreError};

/// One stored version of a key (current or historical).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredConfig {
    pub key: String,
    /// JSON text, secrets sealed.
    pub value: String,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: i64,
    pub reason: String,
    /// `set`, `rollback`, `import`, `generate` (history rows only; empty for the current row).
    pub action: String,
}

/// A save to perform.
#[derive(Debug, Clone)]
pub struct ConfigSave<'a> {
    pub key: &'a str,
    pub value: &'a str,
    /// The version the edit started from (0: the key was never saved).
    pub base_version: i64,
    pub actor: &'a str,
    pub reason: &'a str,
    pub action: &'a str,
    pub audit: NewAudit,
}

fn stored(row: &sqlx::any::AnyRow, with_action: bool) -> Result<StoredConfig, sqlx::Error> {
    Ok(StoredConfig {
        key: row.try_get("config_key")?,
        value: row.try_get("value")?,
        version: row.try_get("version")?,
        updated_by: row.try_get("updated_by")?,
        updated_at: row.try_get("updated_at")?,
        reason: row.try_get("reason")?,
        action: if with_action {
            row.try_get("action")?
        } else {
            String::new()
        },
    })
}

const CURRENT: &str =
    "SELECT config_key, value, version, updated_by, updated_at, reason FROM system_config";
const HISTORY: &str = "SELECT config_key, value, version, updated_by, updated_at, reason, action FROM system_config_history";

impl Store {
    /// Every saved key (keys never saved are at their defaults and have no row).
    pub async fn list_config(&self) -> Result<Vec<StoredConfig>, StoreError> {
        let q = format!("{CURRENT} ORDER BY config_key");
        let rows = sqlx::query(self.sql(&q)).fetch_all(&self.pool).await?;
        Ok(rows
            .iter()
            .map(|r| stored(r, false))
            .collect::<Result<_, _>>()?)
    }

    /// The current version of a key, if it was ever saved.
    pub async fn get_config(&self, key: &str) -> Result<Option<StoredConfig>, StoreError> {
        let q = format!("{CURRENT} WHERE config_key = ?");
        let row = sqlx::query(self.sql(&q))
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| stored(&r, false)).transpose()?)
    }

    /// Every version of a key, newest first.
    pub async fn config_history(&self, key: &str) -> Result<Vec<StoredConfig>, StoreError> {
        let q = format!("{HISTORY} WHERE config_key = ? ORDER BY version DESC");
        let rows = sqlx::query(self.sql(&q))
            .bind(key)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| stored(r, true))
            .collect::<Result<_, _>>()?)
    }

    /// One version of a key.
    pub async fn config_version(
        &self,
        key: &str,
        version: i64,
    ) -> Result<Option<StoredConfig>, StoreError> {
        let q = format!("{HISTORY} WHERE config_key = ? AND version = ?");
        let row = sqlx::query(self.sql(&q))
            .bind(key)
            .bind(version)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| stored(&r, true)).transpose()?)
    }

    /// A cheap fingerprint of the whole configuration: the newest history id. It grows with every
    /// save of any key, which is what the engine polls for.
    pub async fn config_stamp(&self) -> Result<i64, StoreError> {
        let v: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM system_config_history")
            .fetch_one(&self.pool)
            .await?;
        Ok(v.unwrap_or(0))
    }

    /// Save a new version. On a stale `base_version` nothing is written and the error names who
    /// saved the current version and when.
    pub async fn save_config(&self, s: &ConfigSave<'_>) -> Result<StoredConfig, StoreError> {
        let now = crate::domain::time::now_ms();
        let version = s.base_version + 1;
        let mut tx = self.begin_write().await?;
        let won = if s.base_version == 0 {
            let q = self.dialect.insert_ignore(
                "system_config",
                &[
                    "config_key",
                    "value",
                    "version",
                    "updated_by",
                    "updated_at",
                    "reason",
                ],
            );
            sqlx::query(self.sql(&q))
                .bind(s.key)
                .bind(s.value)
                .bind(version)
                .bind(s.actor)
                .bind(now)
                .bind(s.reason)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1
        } else {
            let q = "UPDATE system_config SET value = ?, version = ?, updated_by = ?, updated_at = ?, \
                     reason = ? WHERE config_key = ? AND version = ?";
            sqlx::query(self.sql(q))
                .bind(s.value)
                .bind(version)
                .bind(s.actor)
                .bind(now)
                .bind(s.reason)
                .bind(s.key)
                .bind(s.base_version)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1
        };
        if !won {
            tx.rollback().await?;
            let current = self.get_config(s.key).await?;
            return Err(StoreError::VersionConflict {
                key: s.key.to_owned(),
                base: s.base_version,
                current: current.as_ref().map_or(0, |c| c.version),
                by: current
                    .as_ref()
                    .map_or_else(String::new, |c| c.updated_by.clone()),
                at: current.map_or(0, |c| c.updated_at),
            });
        }
        let q = "INSERT INTO system_config_history \
                 (config_key, version, value, updated_by, updated_at, reason, action) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)";
        sqlx::query(self.sql(q))
            .bind(s.key)
            .bind(version)
            .bind(s.value)
            .bind(s.actor)
            .bind(now)
            .bind(s.reason)
            .bind(s.action)
            .execute(&mut *tx)
            .await?;
        self.insert_audit_in(&mut tx, &s.audit).await?;
        tx.commit().await?;
        Ok(StoredConfig {
            key: s.key.to_owned(),
            value: s.value.to_owned(),
            version,
            updated_by: s.actor.to_owned(),
            updated_at: now,
            reason: s.reason.to_owned(),
            action: s.action.to_owned(),
        })
    }

    /// Record what an engine applied (`{"KEY": version}` JSON), next to its heartbeat row.
    pub async fn set_applied(&self, instance_id: &str, applied: &str) -> Result<(), StoreError> {
        sqlx::query(self.sql("UPDATE nw_component SET applied = ? WHERE id = ?"))
            .bind(applied)
            .bind(instance_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// (instance id, started_at, applied JSON) of every live engine.
    pub async fn engines_applied(
        &self,
        alive_after: i64,
    ) -> Result<Vec<(String, i64, String)>, StoreError> {
        let q = "SELECT id, started_at, applied FROM nw_component WHERE role = 'engine' AND heartbeat_at > ?";
        let rows = sqlx::query(self.sql(q))
            .bind(alive_after)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let applied: Option<String> = r.try_get("applied")?;
                Ok((
                    r.try_get("id")?,
                    r.try_get("started_at")?,
                    applied.unwrap_or_default(),
                ))
            })
            .collect()
    }
}
