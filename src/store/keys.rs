//! The estate's key verifier (`nw_key_verifier`) and key rotation: every sealed value of the
//! configuration and its history re-sealed in one transaction.

use sqlx::Row;

use super::{NewAudit, Store, StoreError};
use crate::domain::Danger;

/// The one verifier row.
const ESTATE: &str = "estate";

/// The marker every sealed leaf starts with (see `sysconfig::secretbox`).
const SEALED: &str = "%enc:v1:%";

impl Store {
    /// The sealed verifier text, if the estate has one yet.
    pub async fn key_verifier(&self) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(self.sql("SELECT verifier FROM nw_key_verifier WHERE id = ?"))
            .bind(ESTATE)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("verifier")).transpose()?)
    }

    /// Record the verifier unless one exists (the first writer wins; the caller re-reads and
    /// checks its key against whatever is there).
    pub async fn init_key_verifier(&self, verifier: &str, by: &str) -> Result<(), StoreError> {
        let q = self.dialect.insert_ignore(
            "nw_key_verifier",
            &["id", "verifier", "created_by", "updated_at"],
        );
        sqlx::query(self.sql(&q))
            .bind(ESTATE)
            .bind(verifier)
            .bind(by)
            .bind(crate::domain::time::now_ms())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// One stored configuration value holding a sealed secret, if any: (key, value text).
    pub async fn any_sealed_config(&self) -> Result<Option<(String, String)>, StoreError> {
        let q =
            "SELECT config_key, value FROM system_config WHERE value LIKE ? ORDER BY config_key";
        let row = sqlx::query(self.sql(q))
            .bind(SEALED)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Some((r.try_get("config_key")?, r.try_get("value")?)),
            None => None,
        })
    }

    /// Re-seal every sealed configuration value and history version with `reseal(key, text)` and
    /// replace the verifier, all in one transaction: either every secret moves to the new key or
    /// none does. Returns how many values were re-sealed. Audited (G3: a wrong key loses secrets).
    pub async fn rotate_key(
        &self,
        verifier: &str,
        actor: &str,
        reseal: &(dyn Fn(&str, &str) -> Result<String, String> + Sync),
    ) -> Result<usize, StoreError> {
        let mut tx = self.begin_write().await?;
        let corrupt = |reason: String| StoreError::Corrupt {
            table: "system_config",
            reason,
        };
        let mut n = 0;
        let rows = sqlx::query(self.sql(
            "SELECT config_key, value FROM system_config WHERE value LIKE ? ORDER BY config_key",
        ))
        .bind(SEALED)
        .fetch_all(&mut *tx)
        .await?;
        for r in &rows {
            let key: String = r.try_get("config_key")?;
            let value: String = r.try_get("value")?;
            let new = reseal(&key, &value).map_err(corrupt)?;
            sqlx::query(self.sql("UPDATE system_config SET value = ? WHERE config_key = ?"))
                .bind(&new)
                .bind(&key)
                .execute(&mut *tx)
                .await?;
            n += 1;
        }
        let rows = sqlx::query(self.sql(
            "SELECT id, config_key, value FROM system_config_history WHERE value LIKE ? ORDER BY id",
        ))
        .bind(SEALED)
        .fetch_all(&mut *tx)
        .await?;
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            let key: String = r.try_get("config_key")?;
            let value: String = r.try_get("value")?;
            let new = reseal(&key, &value).map_err(corrupt)?;
            sqlx::query(self.sql("UPDATE system_config_history SET value = ? WHERE id = ?"))
                .bind(&new)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            n += 1;
        }
        let q = self.dialect.upsert(
            "nw_key_verifier",
            &["id", "verifier", "created_by", "updated_at"],
            &["id"],
            &["verifier", "created_by", "updated_at"],
        );
        sqlx::query(self.sql(&q))
            .bind(ESTATE)
            .bind(verifier)
            .bind(actor)
            .bind(crate::domain::time::now_ms())
            .execute(&mut *tx)
            .await?;
        let entry = NewAudit::new(actor, "key.rotate", "secret key", Danger::G3)
            .after(serde_json::json!({ "resealed": n }));
        self.insert_audit_in(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(n)
    }
}
