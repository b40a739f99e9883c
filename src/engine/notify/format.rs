//! What a notification says on each kind of channel: DingTalk robot markdown and Slack text (the
//! generic webhook gets the `Notification` JSON itself). Pure. Only event fields appear here:
//! never a channel URL, token or secret.

use serde_json::{Value, json};

use crate::domain::notify::{Notification, RunNotice, TextNotice};
use crate::domain::time::format_utc;

/// Longest summary quoted (characters): DingTalk refuses messages over 20,000 bytes.
const MAX_SUMMARY: usize = 1_000;

/// `FIRING`, `RESOLVED`, or the kind as given.
fn headline(n: &Notification) -> String {
    let e = &n.event;
    let flap = if e.flapping { " (flapping)" } else { "" };
    format!(
        "[{}] {}{flap}: {}",
        e.level.as_str(),
        n.kind.to_uppercase(),
        e.title
    )
}

/// The facts every format lists, as (label, value); empty values are left out.
fn facts(n: &Notification) -> Vec<(&'static str, String)> {
    let e = &n.event;
    let source = if e.ds_type.is_empty() {
        e.source.clone()
    } else {
        format!("{} · {}", e.source, e.ds_type)
    };
    let mut out = vec![
        ("Status", e.status.as_str().to_owned()),
        ("Component", e.component.clone()),
        ("Source", source),
        ("Count", e.count.to_string()),
        ("First seen", format!("{} UTC", format_utc(e.first_seen))),
        ("Last seen", format!("{} UTC", format_utc(e.last_seen))),
    ];
    if e.level != e.original_level {
        out.push(("Graded from", e.original_level.as_str().to_owned()));
    }
    out.retain(|(_, v)| !v.is_empty());
    out
}

fn summary(n: &Notification) -> &str {
    let s = n.event.summary.trim();
    s.char_indices()
        .nth(MAX_SUMMARY)
        .map_or(s, |(i, _)| &s[..i])
}

/// A link worth showing: only http(s), so a stored label cannot smuggle another scheme in.
fn link(n: &Notification) -> Option<&str> {
    let u = n.event.source_url.trim();
    (u.starts_with("https://") || u.starts_with("http://")).then_some(u)
}

/// The DingTalk robot body: `{"msgtype":"markdown","markdown":{"title","text"}}`.
pub fn dingtalk(n: &Notification) -> Value {
    let mut text = format!("#### {}\n\n", headline(n));
    for (k, v) in facts(n) {
        text.push_str(&format!("- **{k}**: {v}\n"));
    }
    let s = summary(n);
    if !s.is_empty() {
        text.push_str(&format!("\n{s}\n"));
    }
    if let Some(u) = link(n) {
        text.push_str(&format!("\n[Open in source]({u})\n"));
    }
    json!({"msgtype": "markdown", "markdown": {"title": headline(n), "text": text}})
}

/// Slack's three control characters in `mrkdwn` text.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The Slack incoming-webhook body: `{"text": …}` in Slack's `mrkdwn`.
pub fn slack(n: &Notification) -> Value {
    let mut text = format!("*{}*\n", slack_escape(&headline(n)));
    for (k, v) in facts(n) {
        text.push_str(&format!("• {k}: {}\n", slack_escape(&v)));
    }
    let s = summary(n);
    if !s.is_empty() {
        text.push_str(&format!("{}\n", slack_escape(s)));
    }
    if let Some(u) = link(n) {
        text.push_str(&format!("<{}|Open in source>\n", slack_escape(u)));
    }
    json!({ "text": text })
}

/// A run summary's headline: `[inspection] host-basics: FAILED (2 failed, 0 errors of 12)`;
/// checks that could not reach their host are counted apart when there are any.
fn run_headline(r: &RunNotice) -> String {
    let total = r.pass + r.warn + r.fail + r.error + r.unreach;
    let unreach = if r.unreach > 0 {
        format!("{} cannot reach host, ", r.unreach)
    } else {
        String::new()
    };
    format!(
        "[inspection] {}: {} ({} failed, {unreach}{} errors, {} warnings of {total} checks)",
        r.task,
        r.status.to_uppercase(),
        r.fail,
        r.error,
        r.warn
    )
}

/// The failed checks as lines `rule on target: verdict: message`, the message bounded.
fn run_lines(r: &RunNotice) -> Vec<String> {
    r.failures
        .iter()
        .map(|f| {
            let m = f.message.trim();
            let m = m.char_indices().nth(200).map_or(m, |(i, _)| &m[..i]);
            format!("{} on {}: {}: {m}", f.rule, f.target, f.verdict)
        })
        .collect()
}

fn run_facts(r: &RunNotice) -> Vec<(&'static str, String)> {
    vec![
        ("Run", r.run_id.to_string()),
        ("Started", format!("{} UTC", format_utc(r.started_at))),
        ("Finished", format!("{} UTC", format_utc(r.finished_at))),
        (
            "Checks",
            format!(
                "{} pass, {} warn, {} fail, {} error{}",
                r.pass,
                r.warn,
                r.fail,
                r.error,
                if r.unreach > 0 {
                    format!(", {} unreach", r.unreach)
                } else {
                    String::new()
                }
            ),
        ),
    ]
}

/// The DingTalk robot body of a run summary.
pub fn dingtalk_run(r: &RunNotice) -> Value {
    let mut text = format!("#### {}\n\n", run_headline(r));
    for (k, v) in run_facts(r) {
        text.push_str(&format!("- **{k}**: {v}\n"));
    }
    let lines = run_lines(r);
    if !lines.is_empty() {
        text.push('\n');
        for l in lines {
            text.push_str(&format!("- {l}\n"));
        }
    }
    json!({"msgtype": "markdown", "markdown": {"title": run_headline(r), "text": text}})
}

/// The Slack body of a run summary.
pub fn slack_run(r: &RunNotice) -> Value {
    let mut text = format!("*{}*\n", slack_escape(&run_headline(r)));
    for (k, v) in run_facts(r) {
        text.push_str(&format!("• {k}: {}\n", slack_escape(&v)));
    }
    for l in run_lines(r) {
        text.push_str(&format!("> {}\n", slack_escape(&l)));
    }
    json!({ "text": text })
}

/// The DingTalk robot body of a free message.
pub fn dingtalk_text(t: &TextNotice) -> Value {
    let text = format!("#### {}\n\n{}\n", t.title, t.text);
    json!({"msgtype": "markdown", "markdown": {"title": t.title, "text": text}})
}

/// The Slack body of a free message.
pub fn slack_text(t: &TextNotice) -> Value {
    json!({ "text": format!("*{}*\n{}", slack_escape(&t.title), slack_escape(&t.text)) })
}

#[cfg(test)]
pub(super) mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::domain::event::{Event, Level, Status};

    pub(in crate::engine::notify) fn sample() -> Notification {
        Notification {
            kind: "firing".into(),
            event: Event {
                id: 7,
                fingerprint: "f".into(),
                source: "alertmanager".into(),
                ds_type: "STACK#rds".into(),
                level: Level::P1,
                title: "disk <full> & slow".into(),
                summary: "98% used".into(),
                labels: BTreeMap::new(),
                annotations: BTreeMap::new(),
                component: "db-1".into(),
                status: Status::Open,
                firing: true,
                first_seen: 0,
                last_seen: 60_000,
                count: 3,
                flapping: false,
                assignee: String::new(),
                original_level: Level::P1,
                source_url: "http://prom/graph?g0=1".into(),
                updated_at: 60_000,
            },
        }
    }

    #[test]
    fn dingtalk_markdown_lists_the_facts() {
        let v = dingtalk(&sample());
        assert_eq!(v["msgtype"], "markdown");
        assert_eq!(v["markdown"]["title"], "[P1] FIRING: disk <full> & slow");
        let text = v["markdown"]["text"].as_str().unwrap();
        for want in [
            "**Count**: 3",
            "**Component**: db-1",
            "alertmanager · STACK#rds",
            "98% used",
        ] {
            assert!(text.contains(want), "{want} in {text}");
        }
        assert!(text.contains("1970-01-01 00:01:00 UTC"), "{text}");
        assert!(
            text.contains("[Open in source](http://prom/graph?g0=1)"),
            "{text}"
        );
    }

    #[test]
    fn slack_text_is_escaped_and_links_only_http() {
        let mut n = sample();
        let t = slack(&n)["text"].as_str().unwrap().to_owned();
        assert!(
            t.starts_with("*[P1] FIRING: disk &lt;full&gt; &amp; slow*"),
            "{t}"
        );
        assert!(t.contains("<http://prom/graph?g0=1|Open in source>"), "{t}");
        n.event.source_url = "javascript:alert(1)".into();
        assert!(!slack(&n)["text"].as_str().unwrap().contains("javascript"));
    }

    #[test]
    fn run_summaries_name_the_task_counts_and_failures() {
        use crate::domain::notify::{FailedCheck, RUN_NOTICE_KIND};
        let r = RunNotice {
            kind: RUN_NOTICE_KIND.into(),
            task: "redis-health".into(),
            run_id: 42,
            status: "failed".into(),
            pass: 3,
            warn: 0,
            fail: 1,
            error: 1,
            unreach: 0,
            started_at: 0,
            finished_at: 2_000,
            failures: vec![FailedCheck {
                rule: "redis-replication".into(),
                target: "redis-1".into(),
                verdict: "fail".into(),
                message: "[CONNECTED_SLAVES] >= 1 is false <&>".into(),
            }],
        };
        let d = dingtalk_run(&r);
        let title = d["markdown"]["title"].as_str().unwrap();
        assert_eq!(
            title,
            "[inspection] redis-health: FAILED (1 failed, 1 errors, 0 warnings of 5 checks)"
        );
        let text = d["markdown"]["text"].as_str().unwrap();
        assert!(text.contains("**Run**: 42"), "{text}");
        assert!(
            text.contains("- redis-replication on redis-1: fail: [CONNECTED_SLAVES] >= 1"),
            "{text}"
        );
        let s = slack_run(&r)["text"].as_str().unwrap().to_owned();
        assert!(s.contains("is false &lt;&amp;&gt;"), "{s}");
        let mut u = r.clone();
        u.unreach = 2;
        let d = dingtalk_run(&u);
        assert_eq!(
            d["markdown"]["title"].as_str().unwrap(),
            "[inspection] redis-health: FAILED (1 failed, 2 cannot reach host, 1 errors, 0 warnings of 7 checks)"
        );
        let text = d["markdown"]["text"].as_str().unwrap();
        assert!(text.contains("1 error, 2 unreach"), "{text}");
    }
}
