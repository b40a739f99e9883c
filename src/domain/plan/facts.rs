//! What an event, its component and the topology determine about where to act: the host, port,
//! instance, topology component (`target`) and zone of the event, and for a replicated component
//! its peer (the replica a switch would promote, or the primary a replica follows). Scenario
//! parameters read them as `{{event.host}}`, `{{event.port}}`, `{{event.instance}}`,
//! `{{event.target}}`, `{{event.app}}`, `{{event.zone}}`, `{{event.peer}}`,
//! `{{event.peer_host}}`, `{{event.peer_port}}` so a launch form opens filled.
//!
//! Pure: the components are given. Labels win over the topology (they name the alerting target
//! itself); the topology fills what the labels leave out. A fact nothing determines is absent,
//! so a template reading it leaves its parameter for the operator, named as unfilled.

use std::collections::BTreeMap;

use crate::domain::Component;
use crate::domain::event::Event;

/// The fact names `{{event.NAME}}` may read besides the event's own fields.
pub const FACTS: &[&str] = &[
    "host",
    "port",
    "instance",
    "target",
    "app",
    "zone",
    "peer",
    "peer_host",
    "peer_port",
];

/// Labels naming the host of the alerting target, in the order they are trusted.
const HOST_LABELS: &[&str] = &["host", "hostname", "node", "nodename"];

/// Roles of a component that can take over from its primary.
const STANDBY_ROLES: &[&str] = &["standby", "replica", "slave", "secondary", "mirror"];

/// Roles of a component others replicate from.
const PRIMARY_ROLES: &[&str] = &["primary", "master"];

/// Split `host:port` (also `[v6]:port`); a bare host has no port.
fn split_instance(instance: &str) -> (String, Option<String>) {
    let s = instance.trim();
    let s = s
        .split_once("://")
        .map_or(s, |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default();
    if let Some(rest) = s.strip_prefix('[')
        && let Some((host, tail)) = rest.split_once(']')
    {
        let port = tail.strip_prefix(':').filter(|p| is_port(p));
        return (host.to_owned(), port.map(str::to_owned));
    }
    match s.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && is_port(port) => {
            (host.to_owned(), Some(port.to_owned()))
        }
        _ => (s.to_owned(), None),
    }
}

fn is_port(p: &str) -> bool {
    !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
}

/// An endpoint field as text (`host`, `port`).
pub fn endpoint(c: &Component, key: &str) -> Option<String> {
    match c.endpoints.get(key)? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The topology component the event is about: by name (the event's component, its `target`
/// label, the instance's host), else by the instance's `host:port` among the endpoints.
pub fn component_of<'a>(event: &Event, components: &'a [Component]) -> Option<&'a Component> {
    let instance = event.labels.get("instance").map(String::as_str);
    let (host, port) = instance.map(split_instance).unwrap_or_default();
    let (chost, cport) = split_instance(&event.component);
    let names = [
        Some(event.component.as_str()),
        event.labels.get("component").map(String::as_str),
        event.labels.get("target").map(String::as_str),
        Some(chost.as_str()),
        Some(host.as_str()),
    ];
    for name in names.into_iter().flatten().filter(|n| !n.is_empty()) {
        if let Some(c) = components.iter().find(|c| c.name == name) {
            return Some(c);
        }
    }
    let wanted = [(host, port), (chost, cport)];
    components.iter().find(|c| {
        wanted.iter().any(|(h, p)| {
            !h.is_empty()
                && endpoint(c, "host").as_deref() == Some(h.as_str())
                && (p.is_none() || endpoint(c, "port") == *p)
        })
    })
}

/// The other side of `c`'s replication: same kind (and app), another name; for a standby its
/// primary, for anything else a standby (the one a switch would promote); the first by name
/// among equals.
pub fn peer_of<'a>(c: &Component, components: &'a [Component]) -> Option<&'a Component> {
    let wanted = if STANDBY_ROLES.contains(&c.role.as_str()) {
        PRIMARY_ROLES
    } else {
        STANDBY_ROLES
    };
    let mut peers: Vec<&Component> = components
        .iter()
        .filter(|p| p.name != c.name && p.kind == c.kind && p.app == c.app)
        .collect();
    peers.sort_by_key(|p| (!wanted.contains(&p.role.as_str()), p.name.clone()));
    peers.first().copied()
}

/// Every fact the event, its component and the topology determine (absent when unknown).
pub fn event_facts(event: &Event, components: &[Component]) -> BTreeMap<String, String> {
    let mut facts = BTreeMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.trim().is_empty()) {
            facts.entry(k.to_owned()).or_insert(v);
        }
    };
    let instance = event.labels.get("instance").cloned();
    let (ihost, iport) = instance.as_deref().map(split_instance).unwrap_or_default();
    let comp = component_of(event, components);
    put("instance", instance.clone());
    put("host", Some(ihost));
    for label in HOST_LABELS {
        put(
            "host",
            event.labels.get(*label).map(|h| split_instance(h).0),
        );
    }
    put("port", iport);
    put("app", event.labels.get("app").cloned());
    put("zone", event.labels.get("zone").cloned());
    put("zone", event.labels.get("datacenter").cloned());
    if let Some(c) = comp {
        put("target", Some(c.name.clone()));
        put("app", Some(c.app.clone()));
        put("host", endpoint(c, "host"));
        put("port", endpoint(c, "port"));
        put("zone", Some(c.zone.clone()));
        if let Some(h) = endpoint(c, "host") {
            let at = endpoint(c, "port").map_or(h.clone(), |p| format!("{h}:{p}"));
            put("instance", Some(at));
        }
        if let Some(p) = peer_of(c, components) {
            put("peer", Some(p.name.clone()));
            put("peer_host", endpoint(p, "host"));
            put("peer_port", endpoint(p, "port"));
        }
    } else {
        // Without a topology component the event's own component text may still be host:port.
        let (h, p) = split_instance(&event.component);
        if p.is_some() {
            put("host", Some(h));
            put("port", p);
        }
    }
    facts
}

/// Whether an empty value of `p` means the machine nightwatch runs on (its description says so:
/// "(empty: this machine)" or "(empty: the machine nightwatch runs on)"): such a parameter is
/// named so on the form and the confirmation, never left to look like "no target".
pub fn local_when_empty(p: &super::Param) -> bool {
    let d = p.description.to_lowercase();
    d.contains("empty: this machine") || d.contains("empty: the machine nightwatch runs on")
}

/// Where a launch acts, for the confirmation's header: the value of a parameter whose empty
/// value means this machine (`this machine (HOST)` when empty), else the host of the plan's
/// topology target parameter, else of a topology parameter; `None` when nothing says.
pub fn target_host(
    plan: &super::Plan,
    params: &BTreeMap<String, serde_json::Value>,
    components: &[Component],
    this_machine: &str,
) -> Option<String> {
    let text = |name: &str| {
        params
            .get(name)
            .map(super::Param::text_of)
            .filter(|v| !v.trim().is_empty())
    };
    if let Some(p) = plan.params.iter().find(|p| local_when_empty(p)) {
        return Some(match text(&p.name) {
            Some(v) => format!("{v} ({})", p.name),
            None => format!("THIS MACHINE {this_machine} ({} empty)", p.name),
        });
    }
    let topo = plan
        .params
        .iter()
        .filter(|p| matches!(p.kind, super::ParamKind::Topology { .. }))
        .map(|p| p.name.as_str());
    let first = plan.target_param.iter().map(String::as_str).chain(topo);
    first.into_iter().find_map(|name| {
        let v = text(name)?;
        let c = components.iter().find(|c| c.name == v)?;
        let host = endpoint(c, "host")?;
        Some(match endpoint(c, "port") {
            Some(port) => format!("{host}:{port} ({name} {v})"),
            None => format!("{host} ({name} {v})"),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Layer;
    use crate::domain::event::{Level, Status};
    use serde_json::json;

    fn event(component: &str, labels: &[(&str, &str)]) -> Event {
        Event {
            id: 1,
            fingerprint: "f".into(),
            source: "alertmanager".into(),
            ds_type: "alertmanager".into(),
            level: Level::P0,
            title: "t".into(),
            summary: String::new(),
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            annotations: BTreeMap::new(),
            component: component.into(),
            status: Status::Open,
            firing: true,
            first_seen: 0,
            last_seen: 0,
            count: 1,
            flapping: false,
            assignee: String::new(),
            original_level: Level::P0,
            source_url: String::new(),
            updated_at: 0,
        }
    }

    fn redis(name: &str, role: &str, port: u16) -> Component {
        let mut c = Component::new(name, "redis", Layer::Storage);
        c.role = role.into();
        c.zone = "dc1".into();
        c.endpoints = json!({"host": "127.0.0.1", "port": port});
        c
    }

    #[test]
    fn the_instance_label_gives_host_and_port_without_a_topology() {
        let e = event("web-18:9100", &[("instance", "web-18:9100")]);
        let f = event_facts(&e, &[]);
        assert_eq!(f["host"], "web-18");
        assert_eq!(f["port"], "9100");
        assert_eq!(f["instance"], "web-18:9100");
        assert!(!f.contains_key("peer") && !f.contains_key("zone"));
        let v6 = event_facts(&event("", &[("instance", "[::1]:6379")]), &[]);
        assert_eq!((v6["host"].as_str(), v6["port"].as_str()), ("::1", "6379"));
    }

    #[test]
    fn the_component_is_found_by_endpoint_and_its_standby_is_the_peer() {
        let topo = [
            redis("redis-a", "primary", 16379),
            redis("redis-c", "", 16381),
            redis("redis-b", "replica", 16380),
        ];
        // Alertmanager's component is the instance text; the topology knows it by endpoint.
        let e = event("127.0.0.1:16379", &[("instance", "127.0.0.1:16379")]);
        assert_eq!(
            component_of(&e, &topo).map(|c| c.name.as_str()),
            Some("redis-a")
        );
        let f = event_facts(&e, &topo);
        assert_eq!(f["peer"], "redis-b", "a standby role is preferred");
        assert_eq!(f["peer_port"], "16380");
        assert_eq!(f["peer_host"], "127.0.0.1");
        assert_eq!(f["zone"], "dc1");
        assert_eq!(f["target"], "redis-a");
        // By name, as inspection events carry it; a replica's peer is its primary.
        let e = event("redis-b", &[("target", "redis-b")]);
        let f = event_facts(&e, &topo);
        assert_eq!(
            (f["host"].as_str(), f["port"].as_str()),
            ("127.0.0.1", "16380")
        );
        assert_eq!(f["peer"], "redis-a");
        assert!(!event_facts(&event("x", &[]), &topo).contains_key("target"));
    }
}
