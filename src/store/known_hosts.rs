//! `ssh_known_hosts`: the SSH host keys every engine trusts (issue 15). Written only by
//! `nightwatch hosts trust` (audited); read by the remote executor before each new connection.

use sqlx::Row;

use super::{NewAudit, Store, StoreError};
use crate::domain::Danger;
use crate::domain::ssh::KnownHost;

impl Store {
    /// Every trusted host key, by host then key type.
    pub async fn list_known_hosts(&self) -> Result<Vec<KnownHost>, StoreError> {
        let q = "SELECT host, key_type, host_key, fingerprint, component, added_by, added_at \
                 FROM ssh_known_hosts ORDER BY host, key_type";
        let rows = sqlx::query(self.sql(q)).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(KnownHost {
                    host: r.try_get("host")?,
                    key_type: r.try_get("key_type")?,
                    key: r.try_get("host_key")?,
                    fingerprint: r.try_get("fingerprint")?,
                    component: r.try_get("component")?,
                    added_by: r.try_get("added_by")?,
                    added_at: r.try_get("added_at")?,
                })
            })
            .collect()
    }

    /// Trust `keys` for their host: every other key of the same host is replaced, in one
    /// transaction with its audit entry (G2: trusting a key decides who may run commands).
    pub async fn trust_host_keys(
        &self,
        keys: &[KnownHost],
        audit: &NewAudit,
    ) -> Result<(), StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly {
                url: self.url.clone(),
                what: "trusting a host key".into(),
            });
        }
        let mut tx = self.pool.begin().await?;
        let mut hosts: Vec<&str> = keys.iter().map(|k| k.host.as_str()).collect();
        hosts.dedup();
        for h in hosts {
            sqlx::query(self.sql("DELETE FROM ssh_known_hosts WHERE host = ?"))
                .bind(h)
                .execute(&mut *tx)
                .await?;
        }
        let q = "INSERT INTO ssh_known_hosts (host, key_type, host_key, fingerprint, component, \
                 added_by, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
        for k in keys {
            sqlx::query(self.sql(q))
                .bind(&k.host)
                .bind(&k.key_type)
                .bind(&k.key)
                .bind(&k.fingerprint)
                .bind(&k.component)
                .bind(&k.added_by)
                .bind(k.added_at)
                .execute(&mut *tx)
                .await?;
        }
        self.insert_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The audit entry of a trust decision.
pub fn trust_audit(actor: &str, component: &str, keys: &[KnownHost]) -> NewAudit {
    let after: Vec<serde_json::Value> = keys
        .iter()
        .map(|k| serde_json::json!({"host": k.host, "type": k.key_type, "fingerprint": k.fingerprint}))
        .collect();
    NewAudit::new(actor, "hosts.trust", component, Danger::G2).after(serde_json::json!(after))
}
