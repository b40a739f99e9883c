//! Scrubbing output of every secret value in use before it is stored or shown.
//!
//! What a step, a probe or a notification receiver prints is not under nightwatch's control: a
//! script may `cat` a file holding the database password, a receiver may echo the token of the
//! URL it was called with. Every writer of such output (plan step output, messages and values;
//! inspection results; outbox errors) passes it through the engine's current [`Scrubber`], built
//! from the secrets in use — the sealed configuration secrets in clear (and the password and
//! query values of secret URLs), the database password, the secret key — and rebuilt whenever the
//! configuration changes. Each occurrence becomes [`MASK`].
//!
//! Values shorter than [`MIN_SECRET_LEN`] are not scrubbed: replacing every `ab` of an output
//! would destroy it and protect nothing a guess would not find.

use std::borrow::Cow;

use aho_corasick::{AhoCorasick, MatchKind};
use serde_json::Value;
use zeroize::Zeroize as _;

use crate::domain::sysconfig::{KeySpec, MASK, secret_pointers, url_password};

/// Shortest secret value that is scrubbed.
pub const MIN_SECRET_LEN: usize = 4;

/// Replaces every secret value in use. Cheap to share behind an `Arc`.
#[derive(Default)]
pub struct Scrubber {
    /// The values given, before their encoded forms were added.
    raw: Vec<String>,
    secrets: Vec<String>,
    matcher: Option<AhoCorasick>,
}

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scrubber({} secrets)", self.secrets.len())
    }
}

impl PartialEq for Scrubber {
    fn eq(&self, other: &Scrubber) -> bool {
        self.secrets == other.secrets
    }
}

impl Drop for Scrubber {
    fn drop(&mut self) {
        for s in self.secrets.iter_mut().chain(self.raw.iter_mut()) {
            s.zeroize();
        }
    }
}

impl Scrubber {
    /// From secret values (each also in its percent-encoded and -decoded form, as it appears in a
    /// URL or an environment dump).
    pub fn new(values: impl IntoIterator<Item = String>) -> Scrubber {
        let mut raw: Vec<String> = values
            .into_iter()
            .filter(|s| s.len() >= MIN_SECRET_LEN)
            .collect();
        raw.sort();
        raw.dedup();
        let mut secrets: Vec<String> = raw
            .iter()
            .cloned()
            .flat_map(|v| {
                let enc = url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
                let pct = percent_encode(&v);
                let dec = percent_decode(&v);
                [v, enc, pct, dec]
            })
            .filter(|s| s.len() >= MIN_SECRET_LEN)
            .collect();
        secrets.sort();
        secrets.dedup();
        let matcher = if secrets.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&secrets)
                .ok()
        };
        Scrubber {
            raw,
            secrets,
            matcher,
        }
    }

    /// A scrubber for these secrets plus `more`.
    pub fn extended(&self, more: impl IntoIterator<Item = String>) -> Scrubber {
        Scrubber::new(self.raw.iter().cloned().chain(more))
    }

    /// How many distinct secret forms are scrubbed.
    pub fn len(&self) -> usize {
        self.secrets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// `text` with every secret replaced by [`MASK`].
    pub fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match &self.matcher {
            Some(m) if m.is_match(text) => Cow::Owned(m.replace_all(text, &vec![MASK; self.len()])),
            _ => Cow::Borrowed(text),
        }
    }

    /// [`Scrubber::scrub`] into an owned string.
    pub fn clean(&self, text: &str) -> String {
        self.scrub(text).into_owned()
    }

    /// [`Scrubber::clean`], plus what is left of a secret where the text was cut: its beginning
    /// right before `marker` (the note that ends a cut text) or its end right after it (the note
    /// that replaces a dropped head). A cut never leaves a recognisable piece of a secret.
    pub fn clean_cut(&self, text: &str, marker: &str) -> String {
        let text = self.clean(text);
        if self.is_empty() || marker.is_empty() || !text.contains(marker) {
            return text;
        }
        let parts: Vec<&str> = text.split(marker).collect();
        let last = parts.len() - 1;
        let mut out = String::with_capacity(text.len());
        for (i, part) in parts.iter().enumerate() {
            let mut p = (*part).to_owned();
            if i < last {
                p = self.mask_tail(&p);
            }
            if i > 0 {
                p = self.mask_head(&p);
            }
            out.push_str(&p);
            if i < last {
                out.push_str(marker);
            }
        }
        out
    }

    /// `s` with a trailing beginning of a secret (at least [`MIN_SECRET_LEN`] bytes) masked.
    fn mask_tail(&self, s: &str) -> String {
        for secret in &self.secrets {
            for k in (MIN_SECRET_LEN..secret.len()).rev() {
                if secret.is_char_boundary(k) && s.ends_with(&secret[..k]) {
                    return format!("{}{MASK}", &s[..s.len() - k]);
                }
            }
        }
        s.to_owned()
    }

    /// `s` with a leading end of a secret (at least [`MIN_SECRET_LEN`] bytes) masked.
    fn mask_head(&self, s: &str) -> String {
        for secret in &self.secrets {
            for k in (1..=secret.len() - MIN_SECRET_LEN).filter(|&k| secret.is_char_boundary(k)) {
                if s.starts_with(&secret[k..]) {
                    return format!("{MASK}{}", &s[secret.len() - k..]);
                }
            }
        }
        s.to_owned()
    }

    /// Scrub every string inside a JSON value, in place.
    pub fn clean_value(&self, v: &mut Value) {
        match v {
            Value::String(s) => {
                if let Cow::Owned(c) = self.scrub(s) {
                    *s = c;
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| self.clean_value(x)),
            Value::Object(m) => m.values_mut().for_each(|x| self.clean_value(x)),
            _ => {}
        }
    }
}

/// The secret values held by a configuration value in clear: its secret leaves (strings, or the
/// JSON text of other values), and for a leaf that is a URL its password and query values; plus
/// the password of every URL anywhere in the value.
pub fn secrets_of_value(spec: Option<&KeySpec>, value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for p in secret_pointers(spec, value) {
        match value.pointer(&p) {
            Some(Value::String(s)) => {
                out.push(s.clone());
                if let Ok(u) = url::Url::parse(s) {
                    out.extend(u.query_pairs().map(|(_, v)| v.into_owned()));
                }
            }
            Some(Value::Null) | None => {}
            Some(other) => out.push(other.to_string()),
        }
    }
    fn urls(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.extend(url_password(s)),
            Value::Array(a) => a.iter().for_each(|x| urls(x, out)),
            Value::Object(m) => m.values().for_each(|x| urls(x, out)),
            _ => {}
        }
    }
    urls(value, &mut out);
    out
}

fn percent_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sysconfig::lookup;
    use serde_json::json;

    #[test]
    fn every_form_of_every_secret_is_replaced_and_short_values_are_not() {
        let s = Scrubber::new(["p@ss word/1".to_owned(), "abc".to_owned()]);
        let text = "raw=p@ss word/1 url=mysql://u:p%40ss%20word%2F1@h form=p%40ss+word%2F1 abc";
        let out = s.scrub(text);
        assert_eq!(
            out, "raw=****** url=mysql://u:******@h form=****** abc",
            "{out}"
        );
        assert!(matches!(s.scrub("nothing here"), Cow::Borrowed(_)));
        assert!(Scrubber::default().scrub("p@ss word/1").contains("p@ss"));
    }

    #[test]
    fn a_cut_never_leaves_a_piece_of_a_secret() {
        let s = Scrubber::new(["0123456789abcdef".to_owned()]);
        let cut_end = "key=0123456789\n[truncated]";
        assert_eq!(
            s.clean_cut(cut_end, "\n[truncated]"),
            "key=******\n[truncated]"
        );
        let cut_head = "[… 9 earlier bytes dropped …]\n9abcdef rest";
        assert_eq!(
            s.clean_cut(cut_head, "dropped …]\n"),
            "[… 9 earlier bytes dropped …]\n****** rest"
        );
        // Too short a piece to be the secret's, and pieces away from a cut, are left alone.
        assert_eq!(
            s.clean_cut("x=012\n[truncated]", "\n[truncated]"),
            "x=012\n[truncated]"
        );
        assert_eq!(
            s.clean_cut("0123456789 mid", "\n[truncated]"),
            "0123456789 mid"
        );
    }

    #[test]
    fn secrets_of_a_value_include_url_passwords_and_secret_url_queries() {
        let v = json!({"channels": [{"name": "a", "url": "https://oapi.dingtalk.com/robot/send?access_token=TOKEN123456"}],
                       "other": {"dsn": "mysql://u:dsn-pw@h/db"}});
        let found = secrets_of_value(lookup("NOTIFY_CHANNELS"), &v);
        assert!(found.contains(&"TOKEN123456".to_owned()), "{found:?}");
        assert!(found.contains(&"dsn-pw".to_owned()), "{found:?}");
        assert!(!found.contains(&"a".to_owned()));
    }
}
