//! `audit_log`: every mutation, who, when, what, danger, reason, before/after. Append-only.

use sqlx::Row;

use super::{Store, StoreError};
use crate::domain::{AuditEntry, Danger};

/// An audit entry to write. Callers mask secrets in `before`/`after` before building it.
#[derive(Debug, Clone)]
pub struct NewAudit {
    pub actor: String,
    pub action: String,
    pub target: String,
    pub danger: Danger,
    pub reason: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
    /// The SSH client address of the acting session (see [`crate::settings::ssh_client`]).
    pub client: String,
}

impl NewAudit {
    pub fn new(actor: &str, action: &str, target: &str, danger: Danger) -> NewAudit {
        NewAudit {
            actor: actor.to_owned(),
            action: action.to_owned(),
            target: target.to_owned(),
            danger,
            reason: String::new(),
            before: serde_json::Value::Null,
            after: serde_json::Value::Null,
            client: crate::settings::ssh_client(),
        }
    }

    pub fn reason(mut self, reason: &str) -> NewAudit {
        reason.clone_into(&mut self.reason);
        self
    }

    pub fn before(mut self, v: serde_json::Value) -> NewAudit {
        self.before = v;
        self
    }

    pub fn after(mut self, v: serde_json::Value) -> NewAudit {
        self.after = v;
        self
    }
}

const INSERT: &str = "INSERT INTO audit_log (at, actor, action, target, danger, reason, before_json, after_json, client) \
                      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

impl Store {
    /// Append an audit entry on its own.
    pub async fn insert_audit(&self, e: &NewAudit) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        self.insert_audit_in(&mut tx, e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Append an audit entry inside the caller's transaction, so the mutation and its audit entry
    /// commit together or not at all.
    pub(super) async fn insert_audit_in(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        e: &NewAudit,
    ) -> Result<(), StoreError> {
        sqlx::query(self.sql(INSERT))
            .bind(crate::domain::time::now_ms())
            .bind(&e.actor)
            .bind(&e.action)
            .bind(&e.target)
            .bind(e.danger.as_str())
            .bind(&e.reason)
            .bind(e.before.to_string())
            .bind(e.after.to_string())
            .bind(&e.client)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// The newest `limit` audit entries, newest first.
    pub async fn list_audit(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let q = "SELECT id, at, actor, action, target, danger, reason, before_json, after_json, \
                 client FROM audit_log ORDER BY id DESC LIMIT ?";
        let rows = sqlx::query(self.sql(q))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let danger: String = r.try_get("danger")?;
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    target: r.try_get("target")?,
                    danger: Danger::parse(&danger).ok_or_else(|| StoreError::Corrupt {
                        table: "audit_log",
                        reason: format!("danger level {danger:?}"),
                    })?,
                    reason: r.try_get("reason")?,
                    before: r.try_get("before_json")?,
                    after: r.try_get("after_json")?,
                    client: r.try_get("client")?,
                })
            })
            .collect()
    }
}
