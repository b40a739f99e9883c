//! Notification channels (`NOTIFY_CHANNELS`) and which events each one wants. Pure.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::event::Level;

/// How a channel is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// DingTalk robot: markdown; signed with HMAC-SHA256 when `secret` is set.
    Dingtalk,
    /// Slack incoming webhook: `{"text": …}`.
    Slack,
    /// Any HTTP endpoint: the notification JSON as the body.
    Webhook,
}

/// One configured channel (secrets in clear: only the engine holds these). Unknown fields are
/// refused (a misspelt `levelz` would otherwise silently notify on the default levels).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    pub name: String,
    pub kind: ChannelKind,
    pub url: String,
    #[serde(default)]
    pub secret: String,
    /// Levels that notify; empty means P0 and P1.
    #[serde(default)]
    pub levels: Vec<Level>,
    /// Sources that notify; empty means all.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Also notify when an event resolves (default true).
    #[serde(default = "yes")]
    pub resolved: bool,
}

fn yes() -> bool {
    true
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL of a robot carries its access token: never print it.
        f.debug_struct("Channel")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Channel {
    /// Whether an event of `level` from `source` goes to this channel.
    pub fn wants(&self, level: Level, source: &str) -> bool {
        let level_ok = if self.levels.is_empty() {
            level.is_urgent()
        } else {
            self.levels.contains(&level)
        };
        let source_ok = self.sources.is_empty() || self.sources.iter().any(|s| s == source);
        level_ok && source_ok
    }
}

/// The channels of a `NOTIFY_CHANNELS` value (invalid entries are skipped with a reason).
pub fn parse_channels(value: &Value) -> (Vec<Channel>, Vec<String>) {
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    for (i, c) in value
        .get("channels")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        match serde_json::from_value::<Channel>(c.clone()) {
            Ok(ch) => ok.push(ch),
            Err(e) => errors.push(format!("/channels/{i}: {e}")),
        }
    }
    (ok, errors)
}

/// What the outbox carries for one delivery about an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// `firing` (new or re-opened) or `resolved`.
    pub kind: String,
    pub event: super::event::Event,
}

/// The `kind` of a [`RunNotice`] payload.
pub const RUN_NOTICE_KIND: &str = "inspection-run";

/// Most failed checks listed in a run summary (the counts always cover all of them).
pub const MAX_NOTICE_FAILURES: usize = 20;

/// The summary of one finished inspection run, pushed to the task's `notify` channels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunNotice {
    /// Always [`RUN_NOTICE_KIND`]: what tells this payload from an event's.
    pub kind: String,
    pub task: String,
    pub run_id: i64,
    /// `passed` or `failed`.
    pub status: String,
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub error: usize,
    /// Checks whose target's host could not be reached ("cannot reach host").
    #[serde(default)]
    pub unreach: usize,
    pub started_at: i64,
    pub finished_at: i64,
    /// The failed, errored and unreachable checks, at most [`MAX_NOTICE_FAILURES`].
    pub failures: Vec<FailedCheck>,
}

/// One failed or errored check of a run, as a summary lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedCheck {
    pub rule: String,
    pub target: String,
    pub verdict: String,
    pub message: String,
}

/// The `kind` of a [`TextNotice`] payload.
pub const TEXT_NOTICE_KIND: &str = "text";

/// A free message (a plan's `notify` step): a title and a text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextNotice {
    /// Always [`TEXT_NOTICE_KIND`].
    pub kind: String,
    pub title: String,
    pub text: String,
}

/// An outbox payload: about an event, an inspection run's summary, or a free message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Event(Notification),
    Run(RunNotice),
    Text(TextNotice),
}

impl Message {
    /// Parse an outbox payload, told apart by its `kind`.
    pub fn parse(payload: &str) -> Result<Message, serde_json::Error> {
        let v: Value = serde_json::from_str(payload)?;
        match v.get("kind").and_then(Value::as_str) {
            Some(RUN_NOTICE_KIND) => serde_json::from_value(v).map(Message::Run),
            Some(TEXT_NOTICE_KIND) => serde_json::from_value(v).map(Message::Text),
            _ => serde_json::from_value(v).map(Message::Event),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn channels_parse_and_match() {
        let v = json!({"channels": [
            {"name": "ding", "kind": "dingtalk", "url": "https://x", "secret": "s"},
            {"name": "all", "kind": "webhook", "url": "https://y", "levels": ["P0","P1","P2","P3"], "sources": ["inspection"]},
            {"name": "bad", "kind": "pager", "url": "https://z"}
        ]});
        let (chs, errs) = parse_channels(&v);
        assert_eq!(chs.len(), 2);
        assert!(errs[0].starts_with("/channels/2"), "{errs:?}");
        assert!(
            chs[0].wants(Level::P1, "alertmanager") && !chs[0].wants(Level::P2, "alertmanager")
        );
        assert!(chs[1].wants(Level::P3, "inspection") && !chs[1].wants(Level::P0, "alertmanager"));
        assert!(
            !format!("{:?}", chs[0]).contains("https://x"),
            "Debug hides the URL"
        );
    }

    #[test]
    fn payloads_are_told_apart_by_kind() {
        let run = RunNotice {
            kind: RUN_NOTICE_KIND.into(),
            task: "t".into(),
            run_id: 3,
            status: "failed".into(),
            pass: 1,
            warn: 0,
            fail: 1,
            error: 0,
            unreach: 0,
            started_at: 0,
            finished_at: 1,
            failures: vec![],
        };
        let text = serde_json::to_string(&run).unwrap();
        assert_eq!(Message::parse(&text).unwrap(), Message::Run(run));
        let e = Message::parse(r#"{"kind":"firing","event":{}}"#).unwrap_err();
        assert!(e.to_string().contains("missing field"), "{e}");
        assert!(Message::parse("not json").is_err());
    }
}
