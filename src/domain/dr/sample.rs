//! What one collection measures of a sync link, and zone traffic.

use serde::{Deserialize, Serialize};

/// Whether a link replicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::Display)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum LinkState {
    /// Both ends answer and replication threads/streams run.
    Running,
    /// Replication is stopped, paused or disconnected (the detail says which).
    Broken,
    /// An end did not answer: nothing is known.
    Unknown,
}

impl LinkState {
    pub fn parse(s: &str) -> LinkState {
        match s {
            "running" => LinkState::Running,
            "broken" => LinkState::Broken,
            _ => LinkState::Unknown,
        }
    }
}

/// Ok / warn / critical: of a water level, a link against its RPO, a datacenter cell.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, strum::Display,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Severity {
    Ok,
    Unknown,
    Warn,
    Critical,
}

impl Severity {
    pub fn parse(s: &str) -> Severity {
        match s {
            "ok" => Severity::Ok,
            "warn" => Severity::Warn,
            "critical" => Severity::Critical,
            _ => Severity::Unknown,
        }
    }
}

/// One measurement of a link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkSample {
    pub link: String,
    pub at: i64,
    pub state: LinkState,
    /// Replication lag, ms (`None`: unknown).
    pub lag_ms: Option<i64>,
    /// Data not yet applied on the target, bytes (`None`: unknown or not measurable).
    pub bytes: Option<i64>,
    /// Why the state is what it is, in words (`IO thread stopped`, `replay paused`).
    pub message: String,
    /// What the servers reported, as read (threads, positions, offsets): for the detail view.
    pub detail: serde_json::Value,
}

impl LinkSample {
    /// A sample saying nothing is known, with the reason.
    pub fn unknown(link: &str, at: i64, message: String) -> LinkSample {
        LinkSample {
            link: link.to_owned(),
            at,
            state: LinkState::Unknown,
            lag_ms: None,
            bytes: None,
            message,
            detail: serde_json::Value::Null,
        }
    }

    /// Whether this sample breaches `rpo_ms`: broken, unknown, or lagging past the RPO.
    pub fn breach(&self, rpo_ms: i64) -> Option<String> {
        let over = match self.lag_ms {
            Some(l) if l > rpo_ms => {
                Some(format!("lag {} > RPO {}", secs_text(l), secs_text(rpo_ms)))
            }
            _ => None,
        };
        match (self.state, over) {
            (LinkState::Broken, None) => Some(format!("broken ({})", self.message)),
            (LinkState::Broken, Some(o)) => Some(format!("broken ({}), {o}", self.message)),
            (LinkState::Unknown, _) => Some(format!("not measured ({})", self.message)),
            (LinkState::Running, over) => over,
        }
    }
}

/// Lag is compared and shown in whole seconds (`45 s`), as operators state RPOs.
pub fn secs_text(ms: i64) -> String {
    format!("{} s", ms / 1000)
}

/// Traffic per zone, as the configured PromQL query returned it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Traffic {
    pub zone: String,
    pub at: i64,
    pub value: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_breaches_when_broken_unknown_or_past_its_rpo() {
        let mut s = LinkSample::unknown("l", 0, "timeout".into());
        assert!(s.breach(30_000).unwrap_or_default().contains("timeout"));
        s.state = LinkState::Running;
        s.lag_ms = Some(30_000);
        assert_eq!(s.breach(30_000), None);
        s.lag_ms = Some(45_500);
        assert_eq!(s.breach(30_000).as_deref(), Some("lag 45 s > RPO 30 s"));
        s.state = LinkState::Broken;
        s.message = "IO thread stopped".into();
        assert_eq!(
            s.breach(30_000).as_deref(),
            Some("broken (IO thread stopped), lag 45 s > RPO 30 s")
        );
        s.lag_ms = Some(1_000);
        assert_eq!(
            s.breach(30_000).as_deref(),
            Some("broken (IO thread stopped)")
        );
    }
}
