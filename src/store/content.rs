//! `rules` and `tasks` (content as code; plans and scenarios are in `plans.rs`, the DR model in
//! `dr.rs`) and applying a validated bundle: everything of a bundle
//! is written in ONE transaction with its audit entries, or nothing is.

use sqlx::Row;

use super::{NewAudit, Store, StoreError};
use crate::domain::Danger;
use crate::domain::content::{Bundle, Rule, Task};

/// What applying a bundle changes (or would change).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ApplyPlan {
    /// (kind, name) of definitions that are new.
    pub added: Vec<(String, String)>,
    /// (kind, name) of definitions that differ from the stored ones.
    pub changed: Vec<(String, String)>,
    pub unchanged: usize,
}

impl Store {
    /// Every stored rule.
    pub async fn list_rules(&self) -> Result<Vec<Rule>, StoreError> {
        self.list_definitions("rules").await
    }

    /// Every stored task.
    pub async fn list_tasks(&self) -> Result<Vec<Task>, StoreError> {
        self.list_definitions("tasks").await
    }

    /// The JSON `definition` column of `table` (a constant: `rules`, `tasks`, `dr_*`), by name.
    pub(super) async fn list_definitions<T: serde::de::DeserializeOwned>(
        &self,
        table: &'static str,
    ) -> Result<Vec<T>, StoreError> {
        let q = format!("SELECT definition FROM {table} ORDER BY name");
        let rows = sqlx::query(self.sql(&q)).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let text: String = r.try_get("definition")?;
                serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
                    table,
                    reason: e.to_string(),
                })
            })
            .collect()
    }

    /// Compare a bundle with what is stored.
    pub async fn plan_apply(&self, b: &Bundle) -> Result<ApplyPlan, StoreError> {
        let mut plan = ApplyPlan::default();
        let components = self.list_components().await?;
        for c in &b.components {
            match components.iter().find(|x| x.name == c.name) {
                None => plan.added.push(("component".into(), c.name.clone())),
                Some(x) if strip(x) != strip(c) => {
                    plan.changed.push(("component".into(), c.name.clone()))
                }
                Some(_) => plan.unchanged += 1,
            }
        }
        let rules = self.list_rules().await?;
        for r in &b.rules {
            match rules.iter().find(|x| x.name == r.name) {
                None => plan.added.push(("rule".into(), r.name.clone())),
                Some(x) if x != r => plan.changed.push(("rule".into(), r.name.clone())),
                Some(_) => plan.unchanged += 1,
            }
        }
        let tasks = self.list_tasks().await?;
        for t in &b.tasks {
            match tasks.iter().find(|x| x.name == t.name) {
                None => plan.added.push(("task".into(), t.name.clone())),
                Some(x) if x != t => plan.changed.push(("task".into(), t.name.clone())),
                Some(_) => plan.unchanged += 1,
            }
        }
        let plans = self.list_plans().await?;
        for p in &b.plans {
            match plans.iter().find(|x| x.name == p.name) {
                None => plan.added.push(("plan".into(), p.name.clone())),
                Some(x) if x.content_hash != p.content_hash() => {
                    plan.changed.push(("plan".into(), p.name.clone()))
                }
                Some(_) => plan.unchanged += 1,
            }
        }
        let scenarios = self.scenario_definitions().await?;
        for sc in &b.scenarios {
            match scenarios.iter().find(|x| x.name == sc.name) {
                None => plan.added.push(("scenario".into(), sc.name.clone())),
                Some(x) if x != sc => plan.changed.push(("scenario".into(), sc.name.clone())),
                Some(_) => plan.unchanged += 1,
            }
        }
        let trees = self.tree_definitions().await?;
        diff(&mut plan, "tree", &b.trees, &trees, |t| &t.name);
        let dr = self.dr_model().await?;
        diff(
            &mut plan,
            "datacenter",
            &b.dr.datacenters,
            &dr.datacenters,
            |d| &d.name,
        );
        diff(&mut plan, "dr_system", &b.dr.systems, &dr.systems, |d| {
            &d.name
        });
        diff(&mut plan, "link", &b.dr.links, &dr.links, |d| &d.name);
        Ok(plan)
    }

    /// Upsert every definition of the bundle in one transaction, auditing each change.
    pub async fn apply_bundle(
        &self,
        b: &Bundle,
        builtin: bool,
        actor: &str,
        now: i64,
    ) -> Result<ApplyPlan, StoreError> {
        let plan = self.plan_apply(b).await?;
        let changed: Vec<&(String, String)> =
            plan.added.iter().chain(plan.changed.iter()).collect();
        let is_changed =
            |kind: &str, name: &str| changed.iter().any(|(k, n)| k == kind && n == name);
        let mut tx = self.begin_write().await?;
        for c in b
            .components
            .iter()
            .filter(|c| is_changed("component", &c.name))
        {
            let cols = [
                "name",
                "product",
                "app",
                "kind",
                "zone",
                "cell",
                "layer",
                "role",
                "labels",
                "endpoints",
                "builtin",
                "created_at",
                "updated_at",
            ];
            let update: Vec<&str> = cols
                .iter()
                .copied()
                .filter(|c| *c != "name" && *c != "created_at")
                .collect();
            sqlx::query(self.sql(&self.dialect.upsert("components", &cols, &["name"], &update)))
                .bind(c.name.clone())
                .bind(c.product.clone())
                .bind(c.app.clone())
                .bind(c.kind.clone())
                .bind(c.zone.clone())
                .bind(c.cell.clone())
                .bind(c.layer.to_string())
                .bind(c.role.clone())
                .bind(c.labels.to_string())
                .bind(c.endpoints.to_string())
                .bind(i64::from(builtin))
                .bind(now)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        for r in b.rules.iter().filter(|r| is_changed("rule", &r.name)) {
            let q = self.dialect.upsert(
                "rules",
                &["name", "definition", "builtin", "updated_at"],
                &["name"],
                &["definition", "builtin", "updated_at"],
            );
            sqlx::query(self.sql(&q))
                .bind(r.name.clone())
                .bind(serde_json::to_string(r).unwrap_or_default())
                .bind(i64::from(builtin))
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        for t in b.tasks.iter().filter(|t| is_changed("task", &t.name)) {
            let cols = [
                "name",
                "definition",
                "enabled",
                "builtin",
                "next_run",
                "updated_at",
            ];
            let q = self.dialect.upsert(
                "tasks",
                &cols,
                &["name"],
                &["definition", "enabled", "builtin", "updated_at"],
            );
            sqlx::query(self.sql(&q))
                .bind(t.name.clone())
                .bind(serde_json::to_string(t).unwrap_or_default())
                .bind(i64::from(t.enabled))
                .bind(i64::from(builtin))
                .bind(now)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        for p in b.plans.iter().filter(|p| is_changed("plan", &p.name)) {
            let definition = serde_json::to_string(p).unwrap_or_default();
            self.upsert_plan_in(
                &mut tx,
                &p.name,
                &definition,
                &p.content_hash(),
                p.danger().as_str(),
                builtin,
                actor,
                now,
            )
            .await?;
        }
        for sc in b
            .scenarios
            .iter()
            .filter(|s| is_changed("scenario", &s.name))
        {
            let definition = serde_json::to_string(sc).unwrap_or_default();
            self.upsert_scenario_in(&mut tx, &sc.name, &definition, builtin, now)
                .await?;
        }
        for t in b.trees.iter().filter(|t| is_changed("tree", &t.name)) {
            let definition = serde_json::to_string(t).unwrap_or_default();
            self.upsert_tree_in(&mut tx, &t.name, &definition, builtin, now)
                .await?;
        }
        for d in
            b.dr.datacenters
                .iter()
                .filter(|d| is_changed("datacenter", &d.name))
        {
            let def = serde_json::to_string(d).unwrap_or_default();
            self.upsert_dr_in(&mut tx, "dr_datacenters", &d.name, def, builtin, now)
                .await?;
        }
        for d in
            b.dr.systems
                .iter()
                .filter(|d| is_changed("dr_system", &d.name))
        {
            let def = serde_json::to_string(d).unwrap_or_default();
            self.upsert_dr_in(&mut tx, "dr_systems", &d.name, def, builtin, now)
                .await?;
        }
        for d in b.dr.links.iter().filter(|d| is_changed("link", &d.name)) {
            let def = serde_json::to_string(d).unwrap_or_default();
            self.upsert_dr_in(&mut tx, "dr_links", &d.name, def, builtin, now)
                .await?;
        }
        for (kind, name) in &changed {
            let audit = NewAudit::new(actor, &format!("content.{kind}"), name, Danger::G1).reason(
                if builtin {
                    "built-in library"
                } else {
                    "nightwatch apply"
                },
            );
            self.insert_audit_in(&mut tx, &audit).await?;
        }
        tx.commit().await?;
        Ok(plan)
    }
}

/// Sort `new` items into added / changed / unchanged against `stored`, by name.
fn diff<T: PartialEq>(
    plan: &mut ApplyPlan,
    kind: &str,
    new: &[T],
    stored: &[T],
    name: fn(&T) -> &String,
) {
    for n in new {
        match stored.iter().find(|x| name(x) == name(n)) {
            None => plan.added.push((kind.into(), name(n).clone())),
            Some(x) if x != n => plan.changed.push((kind.into(), name(n).clone())),
            Some(_) => plan.unchanged += 1,
        }
    }
}

/// A component without its bookkeeping fields, for comparison.
fn strip(c: &crate::domain::Component) -> crate::domain::Component {
    crate::domain::Component {
        updated_at: 0,
        builtin: false,
        ..c.clone()
    }
}
