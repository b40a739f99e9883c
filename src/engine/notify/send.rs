//! One HTTP delivery to one channel, and what its answer means. Decides nothing about retries
//! (the caller's backoff does) and never writes the channel URL into an error, a log line or a
//! message: a robot URL carries its access token.

use serde_json::Value;

use super::{format, sign};
use crate::domain::notify::{Channel, ChannelKind, Message};

/// Most of an answer's body kept for the error message (the rest is not read).
const MAX_BODY: usize = 2_048;

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Worth trying again later (network, timeout, 5xx, a refusal that may pass).
    Retry(String),
    /// Will never succeed as configured (bad URL, corrupt payload, channel gone).
    Permanent(String),
}

/// Send the outbox `payload` (a `Notification` or `RunNotice` JSON) to `channel` at `now_ms`.
pub async fn deliver(
    client: &reqwest::Client,
    channel: &Channel,
    payload: &str,
    now_ms: i64,
) -> Outcome {
    let message = match Message::parse(payload) {
        Ok(m) => m,
        Err(e) => return Outcome::Permanent(format!("corrupt outbox payload: {e}")),
    };
    let url = if channel.kind == ChannelKind::Dingtalk && !channel.secret.is_empty() {
        sign::signed_url(&channel.url, &channel.secret, now_ms)
    } else {
        url::Url::parse(&channel.url)
    };
    // `ParseError` names the defect, never the text it parsed.
    let url = match url {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        Ok(u) => {
            return Outcome::Permanent(format!(
                "channel URL scheme {:?} is not http(s)",
                u.scheme()
            ));
        }
        Err(e) => return Outcome::Permanent(format!("channel URL is invalid: {e}")),
    };
    let request = match channel.kind {
        ChannelKind::Dingtalk => client.post(url).json(&match &message {
            Message::Event(n) => format::dingtalk(n),
            Message::Run(r) => format::dingtalk_run(r),
            Message::Text(t) => format::dingtalk_text(t),
        }),
        ChannelKind::Slack => client.post(url).json(&match &message {
            Message::Event(n) => format::slack(n),
            Message::Run(r) => format::slack_run(r),
            Message::Text(t) => format::slack_text(t),
        }),
        ChannelKind::Webhook => client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(payload.to_owned()),
    };
    let mut response = match request.send().await {
        Ok(r) => r,
        Err(e) => return Outcome::Retry(describe(e)),
    };
    let status = response.status();
    let body = read_some(&mut response).await;
    if !status.is_success() {
        return Outcome::Retry(format!("HTTP {}: {}", status.as_u16(), body.trim()));
    }
    if channel.kind == ChannelKind::Dingtalk {
        return dingtalk_answer(&body);
    }
    Outcome::Delivered
}

/// DingTalk answers 200 even when it refuses (bad signature, keyword, rate limit): only
/// `errcode == 0` means the message was posted.
fn dingtalk_answer(body: &str) -> Outcome {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    match v.get("errcode").and_then(Value::as_i64) {
        Some(0) => Outcome::Delivered,
        Some(code) => {
            let msg = v.get("errmsg").and_then(Value::as_str).unwrap_or("");
            Outcome::Retry(format!("DingTalk errcode {code}: {msg}"))
        }
        None => Outcome::Retry(format!("DingTalk answer without errcode: {}", body.trim())),
    }
}

/// The start of the body (enough to explain a refusal; a huge page is not worth reading).
async fn read_some(response: &mut reqwest::Response) -> String {
    let mut buf = Vec::new();
    while buf.len() < MAX_BODY {
        match response.chunk().await {
            Ok(Some(chunk)) => buf.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    buf.truncate(MAX_BODY);
    String::from_utf8_lossy(&buf).into_owned()
}

/// The error with its causes, the URL removed (reqwest prints it otherwise).
fn describe(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else {
        "request failed"
    };
    let e = e.without_url();
    let mut out = format!("{kind}: {e}");
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dingtalk_refusals_are_retried_with_their_message() {
        assert_eq!(
            dingtalk_answer(r#"{"errcode":0,"errmsg":"ok"}"#),
            Outcome::Delivered
        );
        assert_eq!(
            dingtalk_answer(r#"{"errcode":310000,"errmsg":"sign not match"}"#),
            Outcome::Retry("DingTalk errcode 310000: sign not match".into())
        );
        assert!(matches!(dingtalk_answer("<html>"), Outcome::Retry(_)));
    }

    #[tokio::test]
    async fn bad_urls_and_payloads_fail_for_good_without_echoing_the_url() {
        let client = reqwest::Client::new();
        let ch = |url: &str| Channel {
            name: "c".into(),
            kind: ChannelKind::Dingtalk,
            url: url.into(),
            secret: "s3cret".into(),
            levels: vec![],
            sources: vec![],
            resolved: true,
        };
        let out = deliver(&client, &ch("ftp://host/?access_token=TOKEN"), "{}", 0).await;
        assert!(
            matches!(&out, Outcome::Permanent(m) if !m.contains("TOKEN")),
            "{out:?}"
        );
        let out = deliver(&client, &ch("https://h/?access_token=TOKEN"), "not json", 0).await;
        assert!(
            matches!(&out, Outcome::Permanent(m) if m.contains("corrupt")),
            "{out:?}"
        );
    }

    #[tokio::test]
    async fn connection_errors_do_not_name_the_url() {
        let client = reqwest::Client::new();
        // A port nothing listens on (bound, then released).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let ch = Channel {
            name: "c".into(),
            kind: ChannelKind::Webhook,
            url: format!("http://127.0.0.1:{port}/hook?token=TOKEN"),
            secret: String::new(),
            levels: vec![],
            sources: vec![],
            resolved: true,
        };
        let payload = serde_json::to_string(&super::super::format::tests::sample()).unwrap();
        match deliver(&client, &ch, &payload, 0).await {
            Outcome::Retry(m) => assert!(!m.contains("TOKEN") && !m.contains("/hook"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}
