//! [`Target`]: where a probe points, and `{placeholder}` expansion of spec fields from it.
//!
//! Must not: guess. A placeholder that names nothing is a configuration error that names it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ProbeError;

/// Where to probe, resolved from a component: its name, its endpoints (a JSON object such as
/// `{"host": "10.0.0.5", "port": 6379, "url": "http://…", "dsn": "mysql://…", "password": "…"}`)
/// and its labels (a JSON object).
///
/// Spec fields left empty fall back to the endpoint of the same name (`url`, `host`, `port`,
/// `dsn`, `password`); string fields may use `{name}`, `{host}` (any endpoint key) and
/// `{labels.zone}` placeholders.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// The component's name.
    pub name: String,
    /// The component's endpoints, a JSON object (anything else counts as empty).
    pub endpoints: Value,
    /// The component's labels, a JSON object.
    pub labels: Value,
}

impl Target {
    /// The local machine, with no endpoints (for host, process and command probes).
    pub fn local() -> Target {
        Target {
            name: "local".to_owned(),
            endpoints: Value::Object(serde_json::Map::new()),
            labels: Value::Object(serde_json::Map::new()),
        }
    }

    /// An endpoint rendered as text (`port = 6379` gives `"6379"`), if present and not null.
    pub fn endpoint(&self, key: &str) -> Option<String> {
        match self.endpoints.get(key)? {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }

    /// Expand `{…}` placeholders in `text`. Only `{identifier}` forms are placeholders (letters,
    /// digits, `_`, `.`, `-`), so JSON bodies and PromQL matchers (`up{job="node"}`) pass through.
    pub fn expand(&self, text: &str) -> Result<String, ProbeError> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let close = after.find('}');
            let key = close.map(|c| &after[..c]).filter(|k| is_placeholder(k));
            match (key, close) {
                (Some(key), Some(c)) => {
                    out.push_str(&self.lookup(key)?);
                    rest = &after[c + 1..];
                }
                _ => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        Ok(out)
    }

    /// `spec` expanded when given, else the endpoint `key`, else a configuration error naming both.
    pub(crate) fn pick(&self, spec: Option<&str>, key: &str) -> Result<String, ProbeError> {
        match spec {
            Some(s) => self.expand(s),
            None => self.endpoint(key).ok_or_else(|| {
                ProbeError::Config(format!(
                    "no `{key}` given and target {} has no `{key}` endpoint",
                    self.name
                ))
            }),
        }
    }

    fn lookup(&self, key: &str) -> Result<String, ProbeError> {
        if key == "name" {
            return Ok(self.name.clone());
        }
        let found = match key.strip_prefix("labels.") {
            Some(label) => self.labels.get(label).map(text_of),
            None => self.endpoint(key),
        };
        found.ok_or_else(|| {
            ProbeError::Config(format!(
                "placeholder {{{key}}} names nothing on target {}",
                self.name
            ))
        })
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn is_placeholder(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t() -> Target {
        Target {
            name: "redis-a".into(),
            endpoints: json!({"host": "10.0.0.5", "port": 6379}),
            labels: json!({"zone": "z1"}),
        }
    }

    #[test]
    fn expands_known_placeholders_and_leaves_json_alone() {
        let t = t();
        assert_eq!(
            t.expand("{host}:{port}/{name}").unwrap(),
            "10.0.0.5:6379/redis-a"
        );
        assert_eq!(t.expand("{labels.zone}").unwrap(), "z1");
        assert_eq!(
            t.expand(r#"{"a": {"b": 1}}"#).unwrap(),
            r#"{"a": {"b": 1}}"#
        );
        assert_eq!(t.expand(r#"up{job="node"}"#).unwrap(), r#"up{job="node"}"#);
        assert_eq!(t.expand("{ unclosed").unwrap(), "{ unclosed");
        let e = t.expand("{hots}").unwrap_err().to_string();
        assert!(e.contains("{hots}") && e.contains("redis-a"), "{e}");
    }

    #[test]
    fn picks_spec_then_endpoint() {
        let t = t();
        assert_eq!(t.pick(Some("{host}"), "url").unwrap(), "10.0.0.5");
        assert_eq!(t.pick(None, "port").unwrap(), "6379");
        let e = t.pick(None, "dsn").unwrap_err().to_string();
        assert!(e.contains("`dsn`"), "{e}");
    }
}
