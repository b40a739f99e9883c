//! The prometheus probe: an instant PromQL query through `GET /api/v1/query`.
//!
//! Values: `VALUE` (the first sample, a number; `NaN`/`±Inf` stay text), `SERIES` (how many
//! samples came back), `LABELS` (the first sample's labels, an object). A scalar result is one
//! sample without labels. An empty result is [`ProbeError::Failed`] ("no series"): write
//! `… or vector(0)` when absence should count as zero. Must not: run range queries.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::clients::http_error;
use super::http::read_body;
use super::{ProbeContext, ProbeError, ProbeOutput, Target, bounded};

/// Options of the prometheus probe.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PrometheusSpec {
    /// Base URL of the Prometheus server (`http://prom:9090`); may use placeholders.
    /// Default: endpoint `prometheus`, else endpoint `url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The PromQL expression; may use placeholders (`node_load1{instance="{host}:9100"}`: label
    /// matchers with quotes are left alone).
    pub query: String,
    /// Accept invalid or self-signed certificates.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure: bool,
}

pub(super) async fn run(
    ctx: &ProbeContext,
    spec: &PrometheusSpec,
    target: &Target,
    timeout: Duration,
) -> Result<ProbeOutput, ProbeError> {
    let base = match (&spec.url, target.endpoint("prometheus")) {
        (Some(u), _) => target.expand(u)?,
        (None, Some(p)) => p,
        (None, None) => target.pick(None, "url")?,
    };
    let query = target.expand(&spec.query)?;
    let endpoint = format!("{}/api/v1/query", base.trim_end_matches('/'));
    let mut url = url::Url::parse(&endpoint)
        .map_err(|e| ProbeError::Config(format!("prometheus URL {base:?}: {e}")))?;
    url.query_pairs_mut().append_pair("query", &query);
    let shown = url.to_string();
    let client = ctx.http(spec.insecure, true)?;
    let mut resp = client
        .get(url)
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| http_error(&e, &shown, timeout))?;
    let status = resp.status();
    let body = read_body(&mut resp, &shown, timeout).await?;
    let failed =
        |what: String| ProbeError::Failed(format!("prometheus {base}, query {query}: {what}"));
    let doc: Value = serde_json::from_str(&body)
        .map_err(|_| failed(format!("HTTP {status}, not JSON: {}", bounded(&body))))?;
    if doc["status"] != "success" {
        return Err(failed(format!(
            "{} {}",
            doc["errorType"].as_str().unwrap_or("error"),
            doc["error"].as_str().unwrap_or(&body)
        )));
    }
    let data = &doc["data"];
    let samples: Vec<(Value, &Value)> = match data["resultType"].as_str() {
        Some("scalar") | Some("string") => {
            vec![(Value::Object(Default::default()), &data["result"])]
        }
        Some("vector") => data["result"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|s| (s["metric"].clone(), &s["value"]))
                    .collect()
            })
            .unwrap_or_default(),
        other => {
            return Err(failed(format!(
                "result type {other:?} is not an instant value"
            )));
        }
    };
    let Some((labels, pair)) = samples.first() else {
        return Err(failed(
            "no series (an empty result; add `or vector(0)` to count absence as 0)".into(),
        ));
    };
    let raw = pair[1].as_str().unwrap_or_default();
    let value = raw
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or_else(|| Value::from(raw), Value::Number);
    let mut out = ProbeOutput::new(format!("{raw} ({} series)", samples.len()))
        .with("VALUE", value)
        .with("SERIES", samples.len())
        .with("LABELS", labels.clone());
    out.output = bounded(&body);
    Ok(out)
}
