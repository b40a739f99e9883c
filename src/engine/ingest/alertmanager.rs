//! The Alertmanager webhook payload (version 4). Unknown fields are tolerated.

use std::collections::BTreeMap;

use serde::Deserialize;

/// `POST` body Alertmanager sends to a webhook receiver. Group-level fields (`status`,
/// `groupLabels`, `commonLabels`, `commonAnnotations`, `externalURL`) repeat what every alert
/// carries, so only the ones used are read; unknown fields are ignored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payload {
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub receiver: String,
    #[serde(default)]
    pub group_key: String,
    /// Alerts Alertmanager dropped because of the receiver's `max_alerts`.
    #[serde(default)]
    pub truncated_alerts: u64,
    pub alerts: Vec<Alert>,
}

/// One alert of the group.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub status: String,
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub starts_at: Option<String>,
    /// `0001-01-01T00:00:00Z` (year 1) while the alert is still firing.
    #[serde(default)]
    pub ends_at: Option<String>,
    #[serde(default, rename = "generatorURL")]
    pub generator_url: String,
    #[serde(default)]
    pub fingerprint: String,
}
