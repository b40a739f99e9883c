//! `components`: the monitored estate. Upserted by content (`apply`), read by every pane.

use sqlx::Row;

use super::{Store, StoreError};
use crate::domain::{Component, Layer};

const COLS: &str = "name, product, app, kind, zone, cell, layer, role, labels, endpoints, builtin, \
                    created_at, updated_at";

fn component(row: &sqlx::any::AnyRow) -> Result<Component, StoreError> {
    let layer: String = row.try_get("layer")?;
    let json = |col: &str| -> Result<serde_json::Value, StoreError> {
        let text: String = row.try_get(col)?;
        serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
            table: "components",
            reason: format!("{col}: {e}"),
        })
    };
    Ok(Component {
        name: row.try_get("name")?,
        product: row.try_get("product")?,
        app: row.try_get("app")?,
        kind: row.try_get("kind")?,
        zone: row.try_get("zone")?,
        cell: row.try_get("cell")?,
        layer: Layer::parse(&layer).ok_or_else(|| StoreError::Corrupt {
            table: "components",
            reason: format!("layer {layer:?}"),
        })?,
        role: row.try_get("role")?,
        labels: json("labels")?,
        endpoints: json("endpoints")?,
        builtin: row.try_get::<i64, _>("builtin")? != 0,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    /// Insert or update a component by name; `updated_at` is set to `now`.
    pub async fn upsert_component(&self, c: &Component, now: i64) -> Result<(), StoreError> {
        let cols: Vec<&str> = COLS.split(", ").collect();
        let update: Vec<&str> = cols
            .iter()
            .copied()
            .filter(|c| *c != "name" && *c != "created_at")
            .collect();
        let q = self.dialect.upsert("components", &cols, &["name"], &update);
        sqlx::query(self.sql(&q))
            .bind(&c.name)
            .bind(&c.product)
            .bind(&c.app)
            .bind(&c.kind)
            .bind(&c.zone)
            .bind(&c.cell)
            .bind(c.layer.to_string())
            .bind(&c.role)
            .bind(c.labels.to_string())
            .bind(c.endpoints.to_string())
            .bind(i64::from(c.builtin))
            .bind(now)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// One component by name.
    pub async fn get_component(&self, name: &str) -> Result<Component, StoreError> {
        let q = format!("SELECT {COLS} FROM components WHERE name = ?");
        let row = sqlx::query(self.sql(&q))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("component {name:?}")))?;
        component(&row)
    }

    /// Every component, by name.
    pub async fn list_components(&self) -> Result<Vec<Component>, StoreError> {
        let q = format!("SELECT {COLS} FROM components ORDER BY name");
        let rows = sqlx::query(self.sql(&q)).fetch_all(&self.pool).await?;
        rows.iter().map(component).collect()
    }

    /// Delete a component by name; `false` when there was none.
    pub async fn delete_component(&self, name: &str) -> Result<bool, StoreError> {
        let n = sqlx::query(self.sql("DELETE FROM components WHERE name = ?"))
            .bind(name)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
    }
}
