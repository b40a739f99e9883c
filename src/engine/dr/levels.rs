//! Water levels of the components on sync links (connections on MariaDB/PostgreSQL, memory and
//! clients on Redis), host figures from node_exporter through Prometheus for components with a
//! `prometheus` endpoint (and an `instance` endpoint or label), and zone traffic from the
//! configured PromQL query.

use std::time::Duration;

use serde_json::Value;

use super::read::{endpoint, num, redis_info, sql_row};
use crate::domain::Component;
use crate::domain::dr::{LevelKind, LinkKind, Traffic, WaterLevel};

const MYSQL_LEVEL: &str = "SELECT (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS \
     WHERE VARIABLE_NAME = 'THREADS_CONNECTED') AS used, @@max_connections AS max";
const PG_LEVEL: &str = "SELECT (SELECT count(*) FROM pg_stat_activity) AS used, \
     current_setting('max_connections')::bigint AS max";

/// The water levels of one component read the way its link kind says; an unreachable server
/// yields none (the link's own sample says why).
pub async fn of_component(
    c: &Component,
    kind: LinkKind,
    http: &reqwest::Client,
    timeout: Duration,
    now: i64,
) -> Vec<WaterLevel> {
    let level = |kind, used, max| WaterLevel {
        component: c.name.clone(),
        kind,
        at: now,
        used,
        max,
    };
    let mut out = Vec::new();
    match kind {
        LinkKind::MysqlReplication | LinkKind::PostgresStreaming => {
            let q = if kind == LinkKind::MysqlReplication {
                MYSQL_LEVEL
            } else {
                PG_LEVEL
            };
            if let Ok(r) = sql_row(c, q, timeout).await
                && let (Some(u), Some(m)) = (num(r.get("used")), num(r.get("max")))
            {
                out.push(level(LevelKind::Connections, u, m));
            }
        }
        LinkKind::RedisReplication => {
            if let Ok(i) = redis_info(c, &["memory", "clients"], timeout).await {
                let n = |k: &str| i.get(k).and_then(|v| v.parse::<i64>().ok());
                if let (Some(u), Some(m)) = (n("used_memory"), n("maxmemory")) {
                    out.push(level(LevelKind::Memory, u, m));
                }
                if let (Some(u), Some(m)) = (n("connected_clients"), n("maxclients")) {
                    out.push(level(LevelKind::Connections, u, m));
                }
            }
        }
        LinkKind::Probe => {}
    }
    out.extend(host(c, http, timeout, now).await);
    out
}

/// Disk (`/`) and memory of the component's host from node_exporter metrics in Prometheus.
async fn host(
    c: &Component,
    http: &reqwest::Client,
    timeout: Duration,
    now: i64,
) -> Vec<WaterLevel> {
    let Ok(base) = endpoint(c, "prometheus") else {
        return Vec::new();
    };
    let instance = endpoint(c, "instance").ok().or_else(|| {
        c.labels
            .get("instance")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let Some(instance) = instance else {
        return Vec::new();
    };
    // The instance is a label value inside PromQL: quote it as a string literal.
    let inst = serde_json::to_string(&instance).unwrap_or_default();
    let pairs = [
        (
            LevelKind::Disk,
            format!(
                "node_filesystem_size_bytes{{instance={inst},mountpoint=\"/\"}} - node_filesystem_avail_bytes{{instance={inst},mountpoint=\"/\"}}"
            ),
            format!("node_filesystem_size_bytes{{instance={inst},mountpoint=\"/\"}}"),
        ),
        (
            LevelKind::Memory,
            format!(
                "node_memory_MemTotal_bytes{{instance={inst}}} - node_memory_MemAvailable_bytes{{instance={inst}}}"
            ),
            format!("node_memory_MemTotal_bytes{{instance={inst}}}"),
        ),
    ];
    let mut out = Vec::new();
    for (kind, used, max) in pairs {
        let (u, m) = tokio::join!(
            instant(http, &base, &used, timeout),
            instant(http, &base, &max, timeout)
        );
        if let (Ok(u), Ok(m)) = (u, m)
            && let (Some((_, u)), Some((_, m))) = (u.first(), m.first())
        {
            out.push(WaterLevel {
                component: c.name.clone(),
                kind,
                at: now,
                used: *u as i64,
                max: *m as i64,
            });
        }
    }
    out
}

/// Traffic per zone: the query's series by their `zone` label.
pub async fn traffic(
    http: &reqwest::Client,
    base: &str,
    query: &str,
    timeout: Duration,
    now: i64,
) -> Result<Vec<Traffic>, String> {
    Ok(instant(http, base, query, timeout)
        .await?
        .into_iter()
        .map(|(labels, value)| Traffic {
            zone: labels
                .get("zone")
                .and_then(Value::as_str)
                .unwrap_or("(no zone label)")
                .to_owned(),
            at: now,
            value,
        })
        .collect())
}

/// An instant query: every series' labels and value.
async fn instant(
    http: &reqwest::Client,
    base: &str,
    query: &str,
    timeout: Duration,
) -> Result<Vec<(Value, f64)>, String> {
    let mut url = url::Url::parse(&format!("{}/api/v1/query", base.trim_end_matches('/')))
        .map_err(|e| format!("prometheus URL {base:?}: {e}"))?;
    url.query_pairs_mut().append_pair("query", query);
    let doc: Value = http
        .get(url)
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| format!("prometheus {base}: {e}"))?
        .json()
        .await
        .map_err(|e| format!("prometheus {base}: {e}"))?;
    if doc["status"] != "success" {
        return Err(format!(
            "prometheus {base}, query {query}: {}",
            doc["error"]
        ));
    }
    Ok(doc["data"]["result"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| {
                    let v = s["value"][1].as_str()?.parse::<f64>().ok()?;
                    Some((s["metric"].clone(), v))
                })
                .collect()
        })
        .unwrap_or_default())
}
