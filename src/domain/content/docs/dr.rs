//! The TOML shapes of the DR model: `[[datacenter]]`, `[[dr_system]]` (with `[[dr_system.plan]]`)
//! and `[[link]]`. Unknown fields are refused; fields that can be wrong keep their span.

use serde::Deserialize;
use toml::Spanned;

/// `[[datacenter]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatacenterDoc {
    pub name: Spanned<String>,
    /// The zone name components and monitoring use (default: the name).
    #[serde(default)]
    pub zone: String,
    #[serde(default)]
    pub city: String,
    /// active, standby or cold.
    pub role: Spanned<String>,
    #[serde(default)]
    pub labels: toml::Table,
}

/// `[[dr_system]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrSystemDoc {
    pub name: Spanned<String>,
    pub architecture: Spanned<String>,
    pub datacenters: Spanned<Vec<String>>,
    pub rpo: Spanned<String>,
    pub rto: Spanned<String>,
    #[serde(default)]
    pub plan: Vec<DrPlanDoc>,
    #[serde(default)]
    pub labels: toml::Table,
}

/// `[[dr_system.plan]]`: the DR plan for one direction.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrPlanDoc {
    pub from: Spanned<String>,
    pub to: Spanned<String>,
    pub plan: Spanned<String>,
    /// The plan parameter taking the faulty datacenter (default `faulty_dc`).
    #[serde(default)]
    pub faulty_param: Option<Spanned<String>>,
    /// The plan parameter taking the available datacenter (default `available_dc`).
    #[serde(default)]
    pub available_param: Option<Spanned<String>>,
}

/// `[[link]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkDoc {
    pub name: Spanned<String>,
    pub kind: Spanned<String>,
    pub system: Spanned<String>,
    pub source: Spanned<String>,
    pub target: Spanned<String>,
    /// Overrides the system's RPO.
    #[serde(default)]
    pub rpo: Option<Spanned<String>>,
    /// `probe` links: the probe spec.
    #[serde(default)]
    pub probe: Option<Spanned<toml::Table>>,
    /// `probe` links: the probe value holding the lag in seconds (default `VALUE`).
    #[serde(default)]
    pub value: Option<String>,
}
