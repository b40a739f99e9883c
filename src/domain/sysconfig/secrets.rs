//! Which parts of a value are secret, and masking them. Masking is applied to everything shown:
//! console, CLI output, history diffs, exports, logs and audit entries.

use serde_json::Value;

use super::KeySpec;

/// What a secret looks like when shown. Saving a value that still holds the mask at a secret
/// field keeps the stored secret (see [`restore_masked`]).
pub const MASK: &str = "******";

/// Field names that are secret whatever key they appear in (user keys included).
pub fn is_secret_field(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "password",
        "secret",
        "token",
        "accesskeyinfo",
        "privatekey",
        "credential",
    ]
    .iter()
    .any(|w| n.contains(w))
        || n == "sk"
        || n == "pwd"
}

/// JSON pointers of every secret leaf present in `value`: the spec's explicit ones plus fields whose
/// names look secret, at any depth.
pub fn secret_pointers(spec: Option<&KeySpec>, value: &Value) -> Vec<String> {
    let mut out: Vec<String> = spec
        .map(|s| s.secrets.iter().flat_map(|p| expand(p, value)).collect())
        .unwrap_or_default();
    if out.iter().any(String::is_empty) {
        return vec![String::new()];
    }
    walk(value, String::new(), &mut out);
    out.sort();
    out.dedup();
    out
}

/// Expand a spec pointer with `*` segments (any array index or object key) into the concrete
/// pointers present in `value`.
fn expand(pattern: &str, value: &Value) -> Vec<String> {
    if pattern.is_empty() {
        return vec![String::new()];
    }
    let mut found = vec![(String::new(), value)];
    for seg in pattern.trim_start_matches('/').split('/') {
        let mut next = Vec::new();
        for (at, v) in found {
            match (seg, v) {
                ("*", Value::Array(items)) => {
                    next.extend(
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, x)| (format!("{at}/{i}"), x)),
                    );
                }
                ("*", Value::Object(m)) => {
                    next.extend(m.iter().map(|(k, x)| (format!("{at}/{k}"), x)))
                }
                (key, Value::Object(m)) => {
                    if let Some(x) = m.get(key) {
                        next.push((format!("{at}/{key}"), x));
                    }
                }
                (idx, Value::Array(items)) => {
                    if let Some(x) = idx.parse::<usize>().ok().and_then(|i| items.get(i)) {
                        next.push((format!("{at}/{idx}"), x));
                    }
                }
                _ => {}
            }
        }
        found = next;
    }
    found.into_iter().map(|(p, _)| p).collect()
}

fn walk(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                if is_secret_field(k) && !v.is_object() && !v.is_array() {
                    out.push(p);
                } else {
                    walk(v, p, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// `value` with every non-empty secret leaf replaced by [`MASK`]. An empty secret stays empty, so
/// the operator can see it is unset.
pub fn mask(spec: Option<&KeySpec>, value: &Value) -> Value {
    let mut out = value.clone();
    for p in secret_pointers(spec, value) {
        if let Some(leaf) = out.pointer_mut(&p) {
            let empty = leaf.is_null() || leaf.as_str().is_some_and(str::is_empty);
            if !empty {
                *leaf = Value::String(MASK.to_owned());
            }
        }
    }
    out
}

/// Put the stored secrets back where an edited value still holds the mask, so an operator can edit
/// the non-secret parts of a key without ever seeing or retyping its secrets.
pub fn restore_masked(spec: Option<&KeySpec>, edited: &Value, stored: &Value) -> Value {
    let mut out = edited.clone();
    for p in secret_pointers(spec, edited) {
        let masked = out.pointer(&p).and_then(Value::as_str) == Some(MASK);
        if let (true, Some(old), Some(leaf)) = (masked, stored.pointer(&p), out.pointer_mut(&p)) {
            *leaf = old.clone();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::lookup;
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_spec_and_lookalike_fields_at_any_depth() {
        let v = json!({"iamUser": "admin", "iamUserPassword": "p4ss", "iamUserDescPassword": "",
                       "nested": {"apiToken": "t0k", "list": [{"sk": "x"}]}});
        let m = mask(lookup("IAM_CONFIG"), &v);
        assert_eq!(m["iamUser"], "admin");
        assert_eq!(m["iamUserPassword"], MASK);
        assert_eq!(m["iamUserDescPassword"], "", "empty secret shown as empty");
        assert_eq!(m["nested"]["apiToken"], MASK);
        assert_eq!(m["nested"]["list"][0]["sk"], MASK);
        let text = m.to_string();
        assert!(!text.contains("p4ss") && !text.contains("t0k"));
    }

    #[test]
    fn wildcard_pointers_reach_into_arrays() {
        let v = json!({"channels": [{"name": "a", "url": "https://x/robot?access_token=T1"}, {"name": "b", "url": ""}]});
        let m = mask(lookup("NOTIFY_CHANNELS"), &v);
        assert_eq!(m["channels"][0]["url"], MASK);
        assert_eq!(m["channels"][0]["name"], "a");
        assert_eq!(m["channels"][1]["url"], "");
    }

    #[test]
    fn whole_value_secrets() {
        let m = mask(lookup("KUBE_CONFIG"), &json!("apiVersion: v1\ntoken: abc"));
        assert_eq!(m, json!(MASK));
    }

    #[test]
    fn masked_fields_keep_the_stored_secret_on_save() {
        let spec = lookup("ASO_API_CONFIG");
        let stored = json!({"endPoint": "a", "accessKeyInfo": "real"});
        let edited = json!({"endPoint": "b", "accessKeyInfo": MASK});
        assert_eq!(
            restore_masked(spec, &edited, &stored),
            json!({"endPoint": "b", "accessKeyInfo": "real"})
        );
        let replaced = json!({"endPoint": "b", "accessKeyInfo": "new"});
        assert_eq!(
            restore_masked(spec, &replaced, &stored)["accessKeyInfo"],
            "new"
        );
    }
}
