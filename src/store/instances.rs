//! `nw_component` (the instance registry, with heartbeats) and `nw_master_vote` (the master lease).

use sqlx::Row;

use super::{NewAudit, Store, StoreError};
use crate::domain::{Danger, Instance, MasterLease};

const INSTANCE_COLS: &str =
    "id, hostname, ip, pid, role, version, listen, started_at, heartbeat_at";

fn instance(row: &sqlx::any::AnyRow) -> Result<Instance, sqlx::Error> {
    Ok(Instance {
        id: row.try_get("id")?,
        hostname: row.try_get("hostname")?,
        ip: row.try_get("ip")?,
        pid: row.try_get("pid")?,
        role: row.try_get("role")?,
        version: row.try_get("version")?,
        listen: row.try_get("listen")?,
        started_at: row.try_get("started_at")?,
        heartbeat_at: row.try_get("heartbeat_at")?,
    })
}

impl Store {
    /// Register (or refresh) this instance; the same call is the heartbeat.
    pub async fn upsert_instance(&self, i: &Instance) -> Result<(), StoreError> {
        let cols: Vec<&str> = INSTANCE_COLS.split(", ").collect();
        let q = self.dialect.upsert(
            "nw_component",
            &cols,
            &["id"],
            &[
                "hostname",
                "ip",
                "pid",
                "role",
                "version",
                "listen",
                "heartbeat_at",
            ],
        );
        sqlx::query(self.sql(&q))
            .bind(&i.id)
            .bind(&i.hostname)
            .bind(&i.ip)
            .bind(i.pid)
            .bind(&i.role)
            .bind(&i.version)
            .bind(&i.listen)
            .bind(i.started_at)
            .bind(i.heartbeat_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every registered instance, newest heartbeat first.
    pub async fn list_instances(&self) -> Result<Vec<Instance>, StoreError> {
        let q = format!("SELECT {INSTANCE_COLS} FROM nw_component ORDER BY heartbeat_at DESC, id");
        let rows = sqlx::query(self.sql(&q)).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(instance).collect::<Result<_, _>>()?)
    }

    /// Remove an instance on clean shutdown.
    pub async fn remove_instance(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query(self.sql("DELETE FROM nw_component WHERE id = ?"))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forget an instance whose heartbeat is older than `stale_before` (a crashed process). Live
    /// instances are refused (`Ok(false)`). Audited as a G1 operation.
    pub async fn forget_stale_instance(
        &self,
        id: &str,
        stale_before: i64,
        actor: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done =
            sqlx::query(self.sql("DELETE FROM nw_component WHERE id = ? AND heartbeat_at < ?"))
                .bind(id)
                .bind(stale_before)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
        if done {
            let entry = NewAudit::new(actor, "instance.forget", id, Danger::G1)
                .before(serde_json::json!({ "id": id }));
            self.insert_audit_in(&mut tx, &entry).await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    /// [`Store::forget_stale_instance`] with the staleness threshold the console uses: no heartbeat
    /// for three default lease periods (45 s).
    pub async fn forget_instance(&self, id: &str, actor: &str) -> Result<bool, StoreError> {
        let stale_before = crate::domain::time::now_ms() - 45_000;
        self.forget_stale_instance(id, stale_before, actor).await
    }

    /// Take or renew the lease for `role` for `ttl_ms` by the database's clock. Returns the lease
    /// when `holder` holds it after the call.
    ///
    /// One conditional UPDATE decides, so two engines racing can never both win: the row changes
    /// hands only when the caller already holds it or the current lease has expired. Expiry is
    /// judged and set by the database server's clock (never the engine's: an engine whose clock
    /// runs ahead would take a healthy master's lease, and one behind would keep a dead one's).
    /// The term (a fencing token) grows whenever the holder changes.
    pub async fn acquire_lease(
        &self,
        role: &str,
        holder: &Instance,
        ttl_ms: i64,
    ) -> Result<Option<MasterLease>, StoreError> {
        let cols = ["role", "holder", "ip", "hostname", "term", "expires_at"];
        sqlx::query(self.sql(&self.dialect.insert_ignore("nw_master_vote", &cols)))
            .bind(role)
            .bind("")
            .bind("")
            .bind("")
            .bind(0_i64)
            .bind(0_i64)
            .execute(&self.pool)
            .await?;
        // `term` is assigned first: MySQL evaluates SET left to right with the new values.
        let now = self.dialect.now_ms();
        let q = format!(
            "UPDATE nw_master_vote SET \
             term = CASE WHEN holder = ? THEN term ELSE term + 1 END, \
             holder = ?, ip = ?, hostname = ?, expires_at = {now} + ? \
             WHERE role = ? AND (holder = ? OR expires_at < {now})"
        );
        let won = sqlx::query(self.sql(&q))
            .bind(&holder.id)
            .bind(&holder.id)
            .bind(&holder.ip)
            .bind(&holder.hostname)
            .bind(ttl_ms)
            .bind(role)
            .bind(&holder.id)
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1;
        if won {
            self.get_lease(role).await
        } else {
            Ok(None)
        }
    }

    /// The database server's clock (epoch ms), the one leases are judged by.
    pub async fn db_now_ms(&self) -> Result<i64, StoreError> {
        let q = format!("SELECT {}", self.dialect.now_ms());
        Ok(sqlx::query_scalar(self.sql(&q))
            .fetch_one(&self.pool)
            .await?)
    }

    /// Give the lease up (clean shutdown), so another engine can take it at once.
    pub async fn release_lease(&self, role: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query(
            self.sql("UPDATE nw_master_vote SET expires_at = 0 WHERE role = ? AND holder = ?"),
        )
        .bind(role)
        .bind(holder)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The current lease row for `role`, if any (it may be expired).
    pub async fn get_lease(&self, role: &str) -> Result<Option<MasterLease>, StoreError> {
        let q = "SELECT role, holder, ip, hostname, term, expires_at FROM nw_master_vote WHERE role = ?";
        let row = sqlx::query(self.sql(q))
            .bind(role)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(MasterLease {
            role: row.try_get("role")?,
            holder: row.try_get("holder")?,
            ip: row.try_get("ip")?,
            hostname: row.try_get("hostname")?,
            term: row.try_get("term")?,
            expires_at: row.try_get("expires_at")?,
        }))
    }

    /// Number of rows in `nw_master_vote` (DOMAIN.md: exactly one after start-up).
    pub async fn count_leases(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM nw_master_vote")
            .fetch_one(&self.pool)
            .await?)
    }
}
