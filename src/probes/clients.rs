//! [`ProbeContext`]: what probes share between runs, today the HTTP clients (connection pools).
//!
//! Must not: hold per-target state. A context belongs to one tokio runtime: pooled connections
//! are driven by tasks of the runtime that opened them, so a context must not outlive it or move
//! to another one.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::ProbeError;

/// Shared state for many probe runs (the scheduler keeps one; [`super::run`] makes a fresh one).
/// Cheap to create; clients are built on first use and reuse their connections afterwards.
#[derive(Debug, Default)]
pub struct ProbeContext {
    /// Index: `insecure as usize * 2 + follow_redirects as usize`.
    http: [OnceLock<reqwest::Client>; 4],
    /// The SSH executor for probes with `on = "target"` (none: they fail with a config error).
    remote: Option<Arc<crate::remote::Executor>>,
}

impl ProbeContext {
    /// An empty context.
    pub fn new() -> ProbeContext {
        ProbeContext::default()
    }

    /// This context with an SSH executor for probes on the target's host.
    pub fn with_remote(mut self, executor: Arc<crate::remote::Executor>) -> ProbeContext {
        self.remote = Some(executor);
        self
    }

    /// The SSH executor, if this context has one.
    pub fn remote(&self) -> Option<&Arc<crate::remote::Executor>> {
        self.remote.as_ref()
    }

    /// The HTTP client for these options. Per-request deadlines are set on each request.
    pub(crate) fn http(&self, insecure: bool, follow: bool) -> Result<reqwest::Client, ProbeError> {
        let slot = &self.http[usize::from(insecure) * 2 + usize::from(follow)];
        if let Some(c) = slot.get() {
            return Ok(c.clone());
        }
        let client = builder(insecure)
            .redirect(if follow {
                reqwest::redirect::Policy::limited(10)
            } else {
                reqwest::redirect::Policy::none()
            })
            .build()
            .map_err(|e| ProbeError::Failed(format!("cannot build an HTTP client: {e}")))?;
        Ok(slot.get_or_init(|| client).clone())
    }
}

/// The common client settings: our user agent, TLS details on responses (for the certificate's
/// expiry), a bounded connect time, invalid certificates accepted only when asked.
pub(crate) fn builder(insecure: bool) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(concat!("nightwatch/", env!("CARGO_PKG_VERSION")))
        .tls_info(true)
        .tls_danger_accept_invalid_certs(insecure)
        .connect_timeout(Duration::from_secs(30))
        .pool_idle_timeout(Duration::from_secs(30))
}

/// A reqwest error as one line with its causes (reqwest's own text hides them), mapped to
/// [`ProbeError::Timeout`] when it was the deadline.
pub(crate) fn http_error(e: &reqwest::Error, url: &str, timeout: Duration) -> ProbeError {
    if e.is_timeout() {
        return ProbeError::Timeout(timeout);
    }
    let mut text = format!("{url}: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    if e.is_connect() {
        ProbeError::NoConnection(text)
    } else {
        ProbeError::Failed(text)
    }
}
