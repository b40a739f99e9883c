//! Conclusion templates: `{{event.NAME}}` and `{{node.ID.KEY}}`, rendered as text.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Visit;

/// What `{{event.NAME}}` reads: the event's fields (`id`, `level`, `title`, `component`,
/// `labels.KEY`) and the facts its component and the topology determine (`target`, `host`,
/// `port`, `peer`, `peer_host`, …).
pub type Facts = BTreeMap<String, String>;

/// Render `template`; returns the text and the references nothing on the path determines (they
/// are left in the text as written, so a reader sees what is missing).
pub fn render(template: &str, facts: &Facts, path: &[Visit]) -> (String, Vec<String>) {
    let mut out = String::with_capacity(template.len());
    let mut missing = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return (out, missing);
        };
        let name = after[..end].trim();
        match lookup(name, facts, path) {
            Some(v) => out.push_str(&v),
            None => {
                out.push_str(&rest[start..start + 2 + end + 2]);
                missing.push(name.to_owned());
            }
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    (out, missing)
}

fn lookup(name: &str, facts: &Facts, path: &[Visit]) -> Option<String> {
    if let Some(k) = name.strip_prefix("event.") {
        return facts.get(k).filter(|v| !v.is_empty()).cloned();
    }
    let (id, key) = name.strip_prefix("node.")?.split_once('.')?;
    let v = path.iter().rev().find(|v| v.node == id)?;
    let text = match key {
        "target" => v.target.clone(),
        "host" => v.host.clone(),
        "port" => v.port.clone(),
        "message" => v.message.clone(),
        "outcome" => v.outcome.as_str().to_owned(),
        // A value, or a field of one (`ROW.dead_node`: the sql probe's first row by column).
        k => {
            let mut parts = k.split('.');
            let mut at = v.values.get(parts.next()?)?;
            for field in parts {
                at = at.get(field)?;
            }
            match at {
                Value::String(s) => s.clone(),
                Value::Null => return None,
                other => other.to_string(),
            }
        }
    };
    (!text.is_empty()).then_some(text)
}

/// The references of a template (`event.host`, `node.replica.ROLE`), for validation.
pub fn refs(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        out.push(after[..end].trim().to_owned());
        rest = &after[end + 2..];
    }
    out
}
