//! The DR model (DOMAIN.md §1: DR dashboard, DR plans, DR architectures, RPO/RTO): datacenters,
//! the protected systems with their architecture and targets, the sync links between components,
//! what a collection measures (link state and lag, water levels, zone traffic) and the switchover
//! readiness of each direction. Pure: no IO; the engine measures, the store keeps, the console and
//! the CLI render.

mod config;
mod level;
mod load;
mod readiness;
mod sample;
mod view;

use serde::{Deserialize, Serialize};

pub use config::{DashboardConfig, default_dashboard_config};
pub use level::bytes_text;
pub use level::{LevelKind, Threshold, Thresholds, WaterLevel};
pub use load::{Projection, dc_traffic, project, traffic_text};
pub use readiness::{Direction, Readiness, ReadinessInput, RunStats, assess};
pub use sample::{LinkSample, LinkState, Severity, Traffic, secs_text};
pub use view::{Cell, DrView, OpenEvent};

/// What a datacenter does in normal operation.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumIter, strum::Display,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum DcRole {
    /// Serves traffic.
    Active,
    /// Carries no traffic until a switchover (warm).
    Standby,
    /// A remote cold standby (two-site three-center).
    Cold,
}

impl DcRole {
    pub fn parse(s: &str) -> Option<DcRole> {
        use strum::IntoEnumIterator;
        DcRole::iter().find(|r| r.to_string() == s)
    }
}

/// One datacenter (a zone): components name it in their `zone`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Datacenter {
    pub name: String,
    /// The zone name monitoring and the cloud platform use for it (default: `name`).
    pub zone: String,
    pub city: String,
    pub role: DcRole,
    /// Metadata (tenant, cell, zone labels…), carried over as given.
    pub labels: serde_json::Value,
}

/// The DR architectures of DOMAIN.md §1.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumIter, strum::Display,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Architecture {
    /// Two datacenters < 50 km apart, both serving.
    SameCityActiveActive,
    /// > 1000 km apart; the standby carries no traffic until switchover, then switch back.
    RemoteActiveStandby,
    /// An active-active pair plus a remote cold standby.
    TwoSiteThreeCenter,
    /// Logical data centers: multi-site active units.
    Ldc,
}

impl Architecture {
    pub fn parse(s: &str) -> Option<Architecture> {
        use strum::IntoEnumIterator;
        Architecture::iter().find(|a| a.to_string() == s)
    }
}

/// The DR plan that switches one direction, and the names of its parameters that take the faulty
/// and the available datacenter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrPlanRef {
    /// The faulty datacenter (switch away from).
    pub from: String,
    /// The available datacenter (switch to).
    pub to: String,
    pub plan: String,
    pub faulty_param: String,
    pub available_param: String,
}

/// A protected system: its architecture, its datacenters, its RPO/RTO targets and its DR plans.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrSystem {
    pub name: String,
    pub architecture: Architecture,
    pub datacenters: Vec<String>,
    /// Most data loss tolerated, ms.
    pub rpo_ms: i64,
    /// Longest outage tolerated, ms.
    pub rto_ms: i64,
    pub plans: Vec<DrPlanRef>,
    pub labels: serde_json::Value,
}

impl DrSystem {
    /// The DR plan switching `from` → `to`, if described.
    pub fn plan_for(&self, from: &str, to: &str) -> Option<&DrPlanRef> {
        self.plans.iter().find(|p| p.from == from && p.to == to)
    }
}

/// How a sync link's lag is measured.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumIter, strum::Display,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum LinkKind {
    /// MariaDB/MySQL replication: `SHOW REPLICA STATUS` on the target, binlog/GTID on the source.
    MysqlReplication,
    /// PostgreSQL streaming: `pg_stat_replication` on the primary, replay timestamp on the standby.
    PostgresStreaming,
    /// Redis replication: `INFO replication` offsets on the master (and the replica's link status).
    RedisReplication,
    /// Any inspection probe; the link's `value` names the probe value holding the lag in seconds.
    Probe,
}

impl LinkKind {
    pub fn parse(s: &str) -> Option<LinkKind> {
        use strum::IntoEnumIterator;
        LinkKind::iter().find(|k| k.to_string() == s)
    }
}

/// A data-sync link from a source component to a target component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncLink {
    pub name: String,
    pub kind: LinkKind,
    pub system: String,
    pub source: String,
    pub target: String,
    /// The link's RPO, ms (the system's unless overridden).
    pub rpo_ms: i64,
    /// For `probe` links: the probe spec and the value holding the lag in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
}

/// Everything the DR dashboard is drawn from, as stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DrModel {
    pub datacenters: Vec<Datacenter>,
    pub systems: Vec<DrSystem>,
    pub links: Vec<SyncLink>,
}

impl DrModel {
    pub fn is_empty(&self) -> bool {
        self.datacenters.is_empty() && self.systems.is_empty() && self.links.is_empty()
    }

    /// Every direction a described DR plan switches, in the order described, deduplicated.
    pub fn directions(&self) -> Vec<Direction> {
        let mut out: Vec<Direction> = Vec::new();
        for p in self.systems.iter().flat_map(|s| &s.plans) {
            let d = Direction::new(&p.from, &p.to);
            if !out.contains(&d) {
                out.push(d);
            }
        }
        out
    }
}
