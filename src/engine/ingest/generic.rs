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

/// A label value: strings, numbers and booleans are accepted (and stored as text). A number is
/// kept as the sender wrote it (`123456789012345678901234567890` stays those digits, never
/// `1.2345678901234568e+29`): it is read as raw JSON text, not through a float.
#[derive(Debug)]
pub enum Scalar {
    Text(String),
    Number(String),
    Bool(bool),
}

impl<'de> serde::Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let raw = Box::<serde_json::value::RawValue>::deserialize(d)?;
        let text = raw.get().trim();
        match text.as_bytes().first() {
            Some(b'"') => serde_json::from_str(text)
                .map(Scalar::Text)
                .map_err(D::Error::custom),
            Some(b't' | b'f') => serde_json::from_str(text)
                .map(Scalar::Bool)
                .map_err(D::Error::custom),
            // Raw text of a number serde_json has already checked is one.
            Some(b'-' | b'0'..=b'9') => Ok(Scalar::Number(text.to_owned())),
            _ => Err(D::Error::custom("expected a string, number or boolean")),
        }
    }
}

impl Scalar {
    pub fn into_text(self) -> String {
        match self {
            Scalar::Text(s) | Scalar::Number(s) => s,
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_numbers_keep_their_digits_and_other_scalars_their_value() {
        let body = r#"{"title": "t", "labels": {"big": 123456789012345678901234567890,
            "neg": -1.50e3, "s": "x\u00e9", "b": true}}"#;
        let e: GenericEvent = serde_json::from_str(body).unwrap();
        let text = |k: &str| match &e.labels[k] {
            Scalar::Text(s) | Scalar::Number(s) => s.clone(),
            Scalar::Bool(b) => b.to_string(),
        };
        assert_eq!(text("big"), "123456789012345678901234567890");
        assert_eq!(text("neg"), "-1.50e3");
        assert_eq!(text("s"), "x\u{e9}");
        assert_eq!(text("b"), "true");
        let bad = serde_json::from_str::<GenericEvent>(r#"{"title": "t", "labels": {"o": {}}}"#);
        assert!(bad.is_err());
    }
}
