//! Which parts of a value are secret, and masking them. Masking is applied to everything shown:
//! console, CLI output, history diffs, exports, logs and audit entries.
//!
//! Secret are: the key spec's pointers; fields whose names look secret ([`is_secret_field`]) at
//! any depth; the pointers a user key declares in its own top-level `"$secrets"` array
//! ([`DECLARED`]); and the password in the userinfo of any URL-valued string
//! (`mysql://u:pw@h/db`): only that part is sealed and masked (`mysql://u:******@h/db`).

use serde_json::Value;

use super::KeySpec;

/// What a secret looks like when shown. Saving a value that still holds the mask at a secret
/// field keeps the stored secret (see [`restore_masked`]).
pub const MASK: &str = "******";

/// The top-level field of a JSON object value that declares its secret paths: an array of JSON
/// pointers (`["/db/pass", "/hooks/*/url"]`, `*` = any key or index). For keys of one's own
/// (`config set --new KEY VALUE --secret-path /db/pass` writes it).
pub const DECLARED: &str = "$secrets";

/// Name fragments that make a field secret wherever they appear in its name (compared without
/// case, `_`, `-` or `.`: `api_key`, `apiKey` and `API-KEY` are all `apikey`).
const SECRET_FRAGMENTS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "privatekey",
    "credential",
    "accesskeyinfo",
];

/// Words that make a field secret when they are a whole word of its name (`sk`, `basic_auth`,
/// `authHeader`; not `task`, `author`).
const SECRET_WORDS: &[&str] = &["sk", "pwd", "auth", "authorization"];

/// Field names that are secret whatever key they appear in (user keys included).
pub fn is_secret_field(name: &str) -> bool {
    let compact: String = name
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | '.' | ' '))
        .collect::<String>()
        .to_ascii_lowercase();
    SECRET_FRAGMENTS.iter().any(|w| compact.contains(w))
        || words(name)
            .iter()
            .any(|w| SECRET_WORDS.contains(&w.as_str()))
}

/// The words of a field name: split at `_`, `-`, `.`, spaces and lower→upper case changes.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if matches!(c, '_' | '-' | '.' | ' ') {
            out.push(std::mem::take(&mut cur));
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    out.push(cur);
    out.retain(|w| !w.is_empty());
    out
}

/// The byte range of the password in the userinfo of a URL-looking string
/// (`scheme://user:PASSWORD@host…`), when there is a non-empty one.
fn password_range(s: &str) -> Option<std::ops::Range<usize>> {
    let start = s.find("://")? + 3;
    let scheme = &s[..start - 3];
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    let authority_end = s[start..]
        .find(['/', '?', '#'])
        .map_or(s.len(), |i| start + i);
    let at = s[start..authority_end].rfind('@')? + start;
    let colon = s[start..at].find(':')? + start;
    (colon + 1 < at).then_some(colon + 1..at)
}

/// The password in the userinfo of a URL-valued string, as written (percent-encoded or not).
pub fn url_password(s: &str) -> Option<String> {
    password_range(s).map(|r| s[r].to_owned())
}

/// `s` with the password of its URL userinfo replaced by `with` (unchanged when it has none).
pub fn replace_url_password(s: &str, with: &str) -> String {
    match password_range(s) {
        Some(r) => format!("{}{with}{}", &s[..r.start], &s[r.end..]),
        None => s.to_owned(),
    }
}

/// JSON pointers of string leaves that are URLs with a password in their userinfo, outside the
/// leaves that are secret as a whole.
pub fn url_secret_pointers(spec: Option<&KeySpec>, value: &Value) -> Vec<String> {
    let whole = secret_pointers(spec, value);
    if whole.iter().any(String::is_empty) {
        return Vec::new();
    }
    let mut out = Vec::new();
    leaves(value, String::new(), &mut |p, v| {
        if v.as_str().and_then(url_password).is_some()
            && !whole
                .iter()
                .any(|w| p == w || p.starts_with(&format!("{w}/")))
        {
            out.push(p.to_owned());
        }
    });
    out
}

fn leaves(v: &Value, at: String, f: &mut impl FnMut(&str, &Value)) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                leaves(x, format!("{at}/{}", escape(k)), f);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                leaves(x, format!("{at}/{i}"), f);
            }
        }
        _ => f(&at, v),
    }
}

fn escape(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

/// The pointers a value declares secret in its top-level [`DECLARED`] array; an error names the
/// bad entry and the fix.
pub fn declared_pointers(value: &Value) -> Result<Vec<String>, String> {
    let Some(d) = value.get(DECLARED) else {
        return Ok(Vec::new());
    };
    let fix = "give an array of JSON pointers such as [\"/db/password\", \"/hooks/*/url\"]";
    let items = d
        .as_array()
        .ok_or_else(|| format!("{DECLARED} must be an array: {fix}"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, p)| match p.as_str() {
            Some(s) if s.starts_with('/') && s.len() > 1 => Ok(s.to_owned()),
            _ => Err(format!(
                "{DECLARED}[{i}] = {p} is not a JSON pointer to a field: {fix}"
            )),
        })
        .collect()
}

/// JSON pointers of every secret leaf present in `value`: the spec's explicit ones plus fields whose
/// names look secret, at any depth.
pub fn secret_pointers(spec: Option<&KeySpec>, value: &Value) -> Vec<String> {
    let mut out: Vec<String> = spec
        .map(|s| s.secrets.iter().flat_map(|p| expand(p, value)).collect())
        .unwrap_or_default();
    for p in declared_pointers(value).unwrap_or_default() {
        out.extend(expand(&p, value));
    }
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

/// `value` with every non-empty secret leaf replaced by [`MASK`], and the password of every URL
/// replaced by it. An empty secret stays empty, so the operator can see it is unset.
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
    for p in url_secret_pointers(spec, value) {
        if let Some(leaf) = out.pointer_mut(&p)
            && let Some(s) = leaf.as_str()
        {
            *leaf = Value::String(replace_url_password(s, MASK));
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
    for p in url_secret_pointers(spec, edited) {
        let old = stored
            .pointer(&p)
            .and_then(Value::as_str)
            .and_then(url_password);
        if let (Some(old), Some(leaf)) = (old, out.pointer_mut(&p))
            && let Some(s) = leaf.as_str()
            && url_password(s).as_deref() == Some(MASK)
        {
            *leaf = Value::String(replace_url_password(s, &old));
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
    fn the_secret_field_rule_covers_every_documented_name_and_spares_lookalikes() {
        for name in [
            "passwd",
            "password",
            "dbPassword",
            "secret",
            "client_secret",
            "token",
            "accessToken",
            "api_key",
            "apikey",
            "API-KEY",
            "apiKey",
            "private_key",
            "privateKey",
            "credential",
            "credentials",
            "auth",
            "basic_auth",
            "authHeader",
            "Authorization",
            "sk",
            "pwd",
        ] {
            assert!(is_secret_field(name), "{name} must be secret");
        }
        for name in [
            "ak", "task", "author", "oauthUrl", "host", "user", "skip", "desk",
        ] {
            assert!(!is_secret_field(name), "{name} must not be secret");
        }
    }

    #[test]
    fn url_userinfo_passwords_are_masked_in_place_and_kept_on_save() {
        let v = json!({"dsn": "mysql://u:pw%40x@db:3306/app", "plain": "https://h/p?q=1",
                       "nested": [{"to": "redis://:r3d1s@cache:6379"}], "mail": "a@b.c"});
        let m = mask(None, &v);
        assert_eq!(m["dsn"], "mysql://u:******@db:3306/app");
        assert_eq!(m["nested"][0]["to"], "redis://:******@cache:6379");
        assert_eq!(m["plain"], "https://h/p?q=1");
        assert_eq!(m["mail"], "a@b.c");
        assert_eq!(url_password("postgres://u@h/db"), None);
        assert_eq!(url_password("not a url u:p@h"), None);
        let mut edited = m.clone();
        edited["plain"] = json!("https://h/p?q=2");
        let saved = restore_masked(None, &edited, &v);
        assert_eq!(saved["dsn"], "mysql://u:pw%40x@db:3306/app");
        assert_eq!(saved["nested"][0]["to"], "redis://:r3d1s@cache:6379");
        assert_eq!(saved["plain"], "https://h/p?q=2");
    }

    #[test]
    fn a_user_key_declares_its_secret_paths() {
        let v = json!({"$secrets": ["/db/pin", "/hooks/*/url"], "db": {"pin": "1234", "host": "h"},
                       "hooks": [{"url": "https://x/y"}]});
        let m = mask(None, &v);
        assert_eq!(m["db"]["pin"], MASK);
        assert_eq!(m["db"]["host"], "h");
        assert_eq!(m["hooks"][0]["url"], MASK);
        assert_eq!(m[DECLARED], v[DECLARED], "the declaration itself is shown");
        let bad = declared_pointers(&json!({"$secrets": ["db"]})).unwrap_err();
        assert!(
            bad.contains("$secrets[0]") && bad.contains("JSON pointer"),
            "{bad}"
        );
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
