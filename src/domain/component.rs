//! Monitored components: the things inspections probe and plans act on (DESIGN.md §4).

use serde::{Deserialize, Serialize};

/// The DR dashboard layer a component belongs to (DOMAIN.md §1).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    strum::EnumIter,
    strum::Display,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Layer {
    Business,
    Hub,
    Storage,
    Database,
    Physical,
}

impl Layer {
    pub fn parse(s: &str) -> Option<Layer> {
        use strum::IntoEnumIterator;
        Layer::iter().find(|l| l.to_string() == s)
    }
}

/// One monitored thing: a host, a database, a Redis, an application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Component {
    pub name: String,
    pub product: String,
    pub app: String,
    pub kind: String,
    /// Datacenter.
    pub zone: String,
    /// Logical unit.
    pub cell: String,
    pub layer: Layer,
    /// primary / standby / mirror / backup, or empty.
    pub role: String,
    /// Free labels, JSON object text.
    pub labels: serde_json::Value,
    /// Endpoints, JSON object text.
    pub endpoints: serde_json::Value,
    pub builtin: bool,
    pub updated_at: i64,
}

impl Component {
    /// A component with only the identifying fields set (the rest empty), for tests and content.
    pub fn new(name: &str, kind: &str, layer: Layer) -> Component {
        Component {
            name: name.to_owned(),
            product: String::new(),
            app: String::new(),
            kind: kind.to_owned(),
            zone: String::new(),
            cell: String::new(),
            layer,
            role: String::new(),
            labels: serde_json::json!({}),
            endpoints: serde_json::json!({}),
            builtin: false,
            updated_at: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_round_trip_through_their_names() {
        use strum::IntoEnumIterator;
        for l in Layer::iter() {
            assert_eq!(Layer::parse(&l.to_string()), Some(l));
        }
        assert_eq!(Layer::parse("network"), None);
    }
}
