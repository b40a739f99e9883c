//! The generic event JSON (`POST /api/v1/events`, and the body of `/api/monitor/rms/alert`): one
//! object or a list of them. Documented in the README.

use std::collections::BTreeMap;

use serde::Deserialize;

/// One event as a script, Grafana or the monitoring system posts it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenericEvent {
    pub title: String,
    /// P0..P3. When absent, `labels.severity` is mapped through `ingest.severity`.
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default, alias = "dsType")]
    pub ds_type: Option<String>,
    /// `firing` (default) or `resolved`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub fingerprint: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, Scalar>,
    #[serde(default)]
    pub annotations: BTreeMap<String, Scalar>,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub component: String,
    #[serde(default)]
    pub source_url: String,
    /// RFC 3339.
    #[serde(default)]
    pub starts_at: Option<String>,
}

/// A label value: strings, numbers and booleans are accepted (and stored as text).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Text(String),
    Number(serde_json::Number),
    Bool(bool),
}

impl Scalar {
    pub fn into_text(self) -> String {
        match self {
            Scalar::Text(s) => s,
            Scalar::Number(n) => n.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}
