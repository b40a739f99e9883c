//! Text made storable before it is written, the same on every backend: NUL removed (PostgreSQL
//! refuses it in text), values bounded with a visible `…[truncated N bytes]` marker (64 KiB per
//! label/annotation value, 1 MiB per alert), short columns cut to their width with the same marker,
//! and identities that do not fit hashed, never cut (two fingerprints sharing a long prefix stay
//! two events).
//!
//! Everything here is pure: the handlers call it in the normalise step, so the writer only ever
//! sees rows every backend accepts and one alert can no longer sink its batch.

use std::collections::BTreeMap;

use sha2::Digest as _;

use crate::domain::event::Incoming;

/// The most one label or annotation value (and the summary) keeps, in bytes.
pub const VALUE_MAX: usize = 64 * 1024;
/// The most one alert keeps over all its text (title, summary, URL, labels, annotations), in bytes.
pub const ALERT_MAX: usize = 1024 * 1024;
/// A label or annotation name keeps at most this many bytes.
pub const KEY_MAX: usize = 1024;
/// The widest identity the `fingerprint` column holds (characters).
pub const FINGERPRINT_MAX: usize = 128;
/// Characters of a too-long identity kept readable in front of its hash.
const FINGERPRINT_PREFIX: usize = 56;
/// The key under which entries dropped for the 1 MiB budget are counted.
pub const DROPPED_KEY: &str = "…[truncated]";

/// NUL removed: no text column needs it and PostgreSQL refuses it (`invalid byte sequence`).
pub fn storable(s: String) -> String {
    if s.contains('\0') {
        s.replace('\0', "")
    } else {
        s
    }
}

fn marker(cut_bytes: usize) -> String {
    format!("…[truncated {cut_bytes} bytes]")
}

/// The largest char boundary of `s` that is `<= at`.
fn floor_boundary(s: &str, at: usize) -> usize {
    let mut i = at.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `s` in at most `max` bytes (marker included), cut on a char boundary with a marker that says how
/// many bytes went. Text that fits is returned as it is.
pub fn bound_bytes(s: String, max: usize) -> String {
    if s.len() <= max {
        return s;
    }
    // The marker's own length depends on the number it prints; reserve for the widest.
    let reserve = marker(s.len()).len();
    let keep = floor_boundary(&s, max.saturating_sub(reserve));
    let cut = s.len() - keep;
    let mut out = String::with_capacity(keep + reserve);
    out.push_str(&s[..keep]);
    out.push_str(&marker(cut));
    out
}

/// `s` in at most `max` characters (marker included), for the columns whose width is counted in
/// characters (VARCHAR on MySQL and PostgreSQL).
pub fn bound_chars(s: String, max: usize) -> String {
    let chars = s.chars().count();
    if chars <= max {
        return s;
    }
    let reserve = marker(s.len()).chars().count();
    let keep_chars = max.saturating_sub(reserve);
    let keep = s.char_indices().nth(keep_chars).map_or(s.len(), |(i, _)| i);
    let cut = s.len() - keep;
    let mut out = String::with_capacity(keep + reserve);
    out.push_str(&s[..keep]);
    if out.chars().count() + reserve > max {
        // Only when `max` is smaller than the marker itself: plain cut.
        return s.chars().take(max).collect();
    }
    out.push_str(&marker(cut));
    out
}

/// An identity that fits the fingerprint column: as it is when it fits and holds no NUL; otherwise
/// a readable prefix and the SHA-256 of the whole text, so two identities that differ anywhere
/// stay two, and the same identity always maps to the same row.
pub fn identity(fp: String) -> String {
    if fp.chars().count() <= FINGERPRINT_MAX && !fp.contains('\0') {
        return fp;
    }
    let digest = hex::encode(sha2::Sha256::digest(fp.as_bytes()));
    let prefix: String = fp
        .chars()
        .filter(|c| *c != '\0')
        .take(FINGERPRINT_PREFIX)
        .collect();
    format!("{prefix}#sha256:{digest}")
}

/// Clean one map: names and values storable, names bounded, values bounded to `cap` bytes.
fn clean_map(map: BTreeMap<String, String>, cap: usize) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, v) in map {
        let k = bound_bytes(storable(k), KEY_MAX);
        let v = bound_bytes(storable(v), cap);
        // Two names equal after cleaning: keep both values rather than lose one.
        match out.entry(k) {
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(v);
            }
            std::collections::btree_map::Entry::Occupied(mut e) => {
                let joined = format!("{}\n{v}", e.get());
                e.insert(bound_bytes(joined, cap));
            }
        }
    }
    out
}

fn map_bytes(map: &BTreeMap<String, String>) -> usize {
    map.iter().map(|(k, v)| k.len() + v.len()).sum()
}

fn alert_bytes(i: &Incoming) -> usize {
    i.title.len()
        + i.summary.len()
        + i.source_url.len()
        + i.component.len()
        + map_bytes(&i.labels)
        + map_bytes(&i.annotations)
}

/// Drop entries from the end of `map` until it holds at most `budget` bytes; returns how many
/// entries went and their bytes.
fn drop_over(map: &mut BTreeMap<String, String>, budget: usize) -> (usize, usize) {
    let (mut n, mut bytes) = (0, 0);
    let mut total = map_bytes(map);
    while total > budget {
        let Some((k, v)) = map.pop_last() else { break };
        n += 1;
        bytes += k.len() + v.len();
        total -= k.len() + v.len();
    }
    (n, bytes)
}

/// Make one normalised alert storable on every backend. The fingerprint must already have been
/// computed from the raw labels (identity never depends on what cleaning cut).
pub fn alert(mut i: Incoming) -> Incoming {
    i.fingerprint = identity(i.fingerprint);
    i.source = bound_chars(storable(i.source), 32);
    i.ds_type = bound_chars(storable(i.ds_type), 64);
    i.title = bound_chars(storable(i.title), 512);
    i.component = bound_chars(storable(i.component), 255);
    i.summary = bound_bytes(storable(i.summary), VALUE_MAX);
    i.source_url = bound_bytes(storable(i.source_url), VALUE_MAX);
    i.labels = clean_map(i.labels, VALUE_MAX);
    i.annotations = clean_map(i.annotations, VALUE_MAX);
    if alert_bytes(&i) <= ALERT_MAX {
        return i;
    }
    // Over the alert budget: lower one cap over every value (the largest shrink first, small
    // values stay whole) until the alert fits; the lowest cap still keeps 256 bytes of each.
    let (mut lo, mut hi) = (256, VALUE_MAX);
    let fits = |cap: usize, i: &Incoming| {
        let v = |s: &String| s.len().min(cap);
        let m = |map: &BTreeMap<String, String>| -> usize {
            map.iter().map(|(k, x)| k.len() + v(x)).sum()
        };
        i.title.len()
            + i.component.len()
            + v(&i.summary)
            + v(&i.source_url)
            + m(&i.labels)
            + m(&i.annotations)
            <= ALERT_MAX
    };
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fits(mid, &i) {
            lo = mid
        } else {
            hi = mid - 1
        }
    }
    let cap = lo;
    i.summary = bound_bytes(i.summary, cap);
    i.source_url = bound_bytes(i.source_url, cap);
    i.labels = i
        .labels
        .into_iter()
        .map(|(k, v)| (k, bound_bytes(v, cap)))
        .collect();
    i.annotations = i
        .annotations
        .into_iter()
        .map(|(k, v)| (k, bound_bytes(v, cap)))
        .collect();
    // Still over (tens of thousands of entries): drop annotations, then labels, from the end, and
    // say so in an annotation. Labels go last: the fingerprint was computed before this.
    let fixed = i.title.len() + i.component.len() + i.summary.len() + i.source_url.len() + 256;
    let room = ALERT_MAX.saturating_sub(fixed);
    let (ln, lb) = drop_over(&mut i.labels, room);
    let (an, ab) = drop_over(&mut i.annotations, room - map_bytes(&i.labels));
    let (n, bytes) = (ln + an, lb + ab);
    if n > 0 {
        i.annotations.insert(
            DROPPED_KEY.to_owned(),
            format!("{n} labels/annotations dropped ({bytes} bytes) to keep the alert under 1 MiB"),
        );
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::Level;

    fn incoming() -> Incoming {
        Incoming {
            fingerprint: "am:x".into(),
            source: "alertmanager".into(),
            ds_type: "prometheus".into(),
            level: Level::P1,
            title: "t".into(),
            summary: String::new(),
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            component: String::new(),
            firing: true,
            starts_at: 0,
            source_url: String::new(),
        }
    }

    #[test]
    fn nul_is_removed() {
        assert_eq!(storable("a\0b\0".into()), "ab");
    }

    #[test]
    fn bounded_values_say_what_went() {
        let s = "é".repeat(40_000); // 80,000 bytes
        let b = bound_bytes(s, VALUE_MAX);
        assert!(b.len() <= VALUE_MAX, "{}", b.len());
        let kept = b.split('…').next().unwrap().len();
        assert!(
            b.ends_with(&format!("…[truncated {} bytes]", 80_000 - kept)),
            "{}",
            &b[b.len() - 40..]
        );
        assert_eq!(bound_bytes("short".into(), 10), "short");
        let t = bound_chars("x".repeat(600), 512);
        assert_eq!(t.chars().count(), 512);
        assert!(t.ends_with(" bytes]"), "{t}");
    }

    #[test]
    fn long_identities_are_hashed_never_cut() {
        let common = "a".repeat(124);
        let one = identity(format!("{common}-one"));
        let two = identity(format!("{common}-two"));
        assert_ne!(one, two, "a shared prefix does not merge two identities");
        assert!(one.chars().count() <= FINGERPRINT_MAX, "{one}");
        assert_eq!(one, identity(format!("{common}-one")), "stable");
        assert_eq!(identity("am:abc".into()), "am:abc", "short ones unchanged");
        assert_ne!(
            identity("a\0b".into()),
            identity("ab".into()),
            "NUL never merges two"
        );
        assert!(!identity("a\0b".into()).contains('\0'));
    }

    #[test]
    fn an_alert_keeps_under_one_mebibyte() {
        let mut i = incoming();
        for n in 0..40 {
            i.annotations.insert(format!("a{n}"), "x".repeat(60_000));
        }
        i.labels.insert("small".into(), "keep me".into());
        let i = alert(i);
        assert!(alert_bytes(&i) <= ALERT_MAX, "{}", alert_bytes(&i));
        assert_eq!(i.labels["small"], "keep me", "small values stay whole");
        assert!(i.annotations["a0"].contains("…[truncated "));
    }

    #[test]
    fn countless_entries_are_dropped_and_counted() {
        let mut i = incoming();
        for n in 0..20_000 {
            i.annotations
                .insert(format!("annotation-{n:06}"), "y".repeat(200));
        }
        let i = alert(i);
        assert!(alert_bytes(&i) <= ALERT_MAX, "{}", alert_bytes(&i));
        assert!(
            i.annotations[DROPPED_KEY].contains("dropped"),
            "{:?}",
            i.annotations.get(DROPPED_KEY)
        );
    }
}
