//! Selectors: which components a rule targets, by product, app, zone, cell, kind, layer, role and
//! labels. Every field given must match; an empty selector matches nothing (a rule must say what
//! it checks).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::Component;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selector {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

impl Selector {
    pub fn is_empty(&self) -> bool {
        *self == Selector::default()
    }

    /// Whether `c` is selected.
    pub fn matches(&self, c: &Component) -> bool {
        if self.is_empty() {
            return false;
        }
        let field = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        field(&self.name, &c.name)
            && field(&self.product, &c.product)
            && field(&self.app, &c.app)
            && field(&self.zone, &c.zone)
            && field(&self.cell, &c.cell)
            && field(&self.kind, &c.kind)
            && field(&self.layer, &c.layer.to_string())
            && field(&self.role, &c.role)
            && self
                .labels
                .iter()
                .all(|(k, v)| c.labels.get(k).and_then(|x| x.as_str()) == Some(v.as_str()))
    }
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&serde_json::to_string(self).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Layer;

    #[test]
    fn every_given_field_must_match() {
        let mut c = Component::new("redis-a", "redis", Layer::Database);
        c.zone = "dc1".into();
        c.labels = serde_json::json!({"team": "cache"});
        let sel = |s: &str| -> Selector { toml::from_str(s).unwrap() };
        assert!(sel("kind = \"redis\"").matches(&c));
        assert!(sel("kind = \"redis\"\nzone = \"dc1\"\nlabels = { team = \"cache\" }").matches(&c));
        assert!(!sel("kind = \"redis\"\nzone = \"dc2\"").matches(&c));
        assert!(!sel("labels = { team = \"db\" }").matches(&c));
        assert!(!Selector::default().matches(&c), "empty selects nothing");
        assert!(sel("layer = \"database\"").matches(&c));
    }
}
