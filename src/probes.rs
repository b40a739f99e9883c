//! Inspection probes: take one measurement of one target and return named values.
//!
//! A probe measures; it never decides. The condition DSL (`[STATUS] == 200`, `[VALUE] > 80`,
//! windows and thresholds) evaluates the [`ProbeOutput::values`] a probe returns. So a probe
//! reports what it saw (a refused TCP connection is `CONNECTED = false`, an HTTP 500 is
//! `STATUS = 500`) and returns an error only when it could not measure at all.
//!
//! Every probe runs under [`run`]'s deadline (`tokio::time::timeout`) *and* passes the same
//! deadline to its own client (HTTP client timeout, connect timeout, killing a script's process
//! group), so nothing outlives the call. Text output is bounded ([`output::MAX_OUTPUT`]).
//!
//! Value names (upper-case, the condition placeholders), per probe; see each probe's module:
//!
//! | probe | values |
//! |---|---|
//! | host | `CPU`, `MEMORY`, `DISK` (fullest mount), `DISK[/mount]`, `LOAD1`, `LOAD5`, `LOAD15`, `CPU_COUNT` |
//! | http | `STATUS`, `RESPONSE_TIME`, `BODY`, `CERT_EXPIRES_DAYS` (https), `MATCHED`/`MATCH` (regex) |
//! | page | `STATUS`, `MATCHED`, `COUNT`, `RESPONSE_TIME` |
//! | tcp | `CONNECTED`, `RESPONSE_TIME` |
//! | process | `COUNT` |
//! | command | `EXIT_CODE`, plus the fields of a JSON-object stdout |
//! | sql | `VALUE`, `ROWS`, `ROW` |
//! | redis | `ROLE`, `CONNECTED_SLAVES`, `CONNECTED_REPLICAS`, `MASTER_LINK_STATUS`, numeric fields |
//! | prometheus | `VALUE`, `SERIES`, `LABELS` |
//!
//! `RESPONSE_TIME` is in milliseconds, percentages are 0–100. This module does no scheduling, no
//! storage and no pass/fail; the database part of the sql probe lives in `store::target` (only
//! `store` names `sqlx`).

mod clients;
mod command;
mod host;
mod http;
mod output;
mod page;
mod process;
mod prometheus;
mod redis;
mod remote;
mod sql;
mod target;
mod tcp;
mod tls_cert;

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub use clients::ProbeContext;
pub(crate) use command::GroupKill;
pub use command::{CommandSpec, Interpreter};
pub use host::HostSpec;
pub use http::HttpSpec;
pub(crate) use output::bounded_to;
pub use output::{MAX_OUTPUT, ProbeOutput, TRUNCATED, bounded};
pub use page::{LoginSpec, PageSpec};
pub use process::ProcessSpec;
pub use prometheus::PrometheusSpec;
pub use redis::RedisSpec;
pub use remote::On;
pub use sql::SqlSpec;
pub use target::Target;
pub use tcp::TcpSpec;

/// Why a probe could not measure. A measured failure (HTTP 500, port closed, exit code 1) is not
/// an error: it is a value for the conditions to judge.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The probe did not finish within its deadline.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The probe ran but could not get a measurement (connection refused by a database, bad
    /// credentials, an unparsable answer). The message names the target, secrets masked.
    #[error("{0}")]
    Failed(String),
    /// The probe's configuration cannot work (a missing URL, a bad regex, an unknown placeholder).
    #[error("probe configuration: {0}")]
    Config(String),
    /// The target's host could not be reached over SSH (`on = "target"`): not a failed check,
    /// its own verdict ("cannot reach host").
    #[error("cannot reach host: {0}")]
    Unreachable(String),
    /// The component's own port took no connection (refused, reset, no route). An inspection
    /// counts it as a failed check (`error`), as before; a diagnosis tree follows its `unreach`
    /// branch ("the master does not answer").
    #[error("{0}")]
    NoConnection(String),
}

/// What to measure: one variant per probe kind, tagged by `kind` in TOML/JSON
/// (`{ kind = "http", url = "…" }`). Unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ProbeSpec {
    /// CPU, memory, disk and load of the machine nightwatch runs on.
    Host(HostSpec),
    /// An HTTP(S) request.
    Http(HttpSpec),
    /// A web page, optionally after a login, matched by text or CSS selector.
    Page(PageSpec),
    /// A TCP connect.
    Tcp(TcpSpec),
    /// Processes present on the local machine, by name or command line.
    Process(ProcessSpec),
    /// A shell or python3 script.
    Command(CommandSpec),
    /// A SQL query against a MySQL/MariaDB, PostgreSQL or SQLite target.
    Sql(SqlSpec),
    /// `INFO replication` of a Redis server.
    Redis(RedisSpec),
    /// An instant PromQL query.
    Prometheus(PrometheusSpec),
}

impl ProbeSpec {
    /// The kind's name, as written in `kind = "…"`.
    pub fn kind(&self) -> &'static str {
        match self {
            ProbeSpec::Host(_) => "host",
            ProbeSpec::Http(_) => "http",
            ProbeSpec::Page(_) => "page",
            ProbeSpec::Tcp(_) => "tcp",
            ProbeSpec::Process(_) => "process",
            ProbeSpec::Command(_) => "command",
            ProbeSpec::Sql(_) => "sql",
            ProbeSpec::Redis(_) => "redis",
            ProbeSpec::Prometheus(_) => "prometheus",
        }
    }
}

/// Run one probe against one target within `timeout`, with a fresh [`ProbeContext`].
/// `duration_ms` of the result is filled here.
pub async fn run(
    spec: &ProbeSpec,
    target: &Target,
    timeout: Duration,
) -> Result<ProbeOutput, ProbeError> {
    run_in(&ProbeContext::new(), spec, target, timeout).await
}

/// [`run`] sharing `ctx`'s HTTP connection pools (what a scheduler running many probes uses).
pub async fn run_in(
    ctx: &ProbeContext,
    spec: &ProbeSpec,
    target: &Target,
    timeout: Duration,
) -> Result<ProbeOutput, ProbeError> {
    let started = Instant::now();
    let work = async {
        match spec {
            ProbeSpec::Host(s) if s.on == On::Target => remote::host(ctx, s, target, timeout).await,
            ProbeSpec::Host(s) => host::run(s, timeout).await,
            ProbeSpec::Http(s) => http::run(ctx, s, target, timeout).await,
            ProbeSpec::Page(s) => page::run(s, target, timeout).await,
            ProbeSpec::Tcp(s) => tcp::run(s, target, timeout).await,
            ProbeSpec::Process(s) if s.on == On::Target => {
                remote::process(ctx, s, target, timeout).await
            }
            ProbeSpec::Process(s) => process::run(s).await,
            ProbeSpec::Command(s) => command::run(ctx, s, target, timeout).await,
            ProbeSpec::Sql(s) => sql::run(s, target, timeout).await,
            ProbeSpec::Redis(s) => redis::run(s, target, timeout).await,
            ProbeSpec::Prometheus(s) => prometheus::run(ctx, s, target, timeout).await,
        }
    };
    // Why both this and the probes' own timeouts: the clients' timeouts give the precise message
    // and clean up (a killed process group), this one guarantees the deadline whatever a client
    // does. Dropping the future on expiry drops every socket and child handle it owns.
    let mut out = match tokio::time::timeout(timeout, work).await {
        Ok(result) => result?,
        Err(_) => return Err(remote::timed_out(ctx, spec, target, timeout)),
    };
    out.duration_ms = elapsed_ms(started);
    Ok(out)
}

/// Milliseconds since `start`, saturating.
pub(crate) fn elapsed_ms(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_from_toml_and_refuse_unknown_fields() {
        let s: ProbeSpec = toml::from_str("kind = \"tcp\"\nport = 80").unwrap();
        assert_eq!(s.kind(), "tcp");
        let e = toml::from_str::<ProbeSpec>("kind = \"tcp\"\nprot = 80").unwrap_err();
        assert!(e.to_string().contains("unknown field `prot`"), "{e}");
        let e = toml::from_str::<ProbeSpec>("kind = \"ftp\"").unwrap_err();
        assert!(e.to_string().contains("unknown variant `ftp`"), "{e}");
        let s: ProbeSpec = toml::from_str("kind = \"http\"\nurl = \"http://{host}/\"").unwrap();
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["kind"], "http");
        assert_eq!(serde_json::from_value::<ProbeSpec>(json).unwrap(), s);
    }
}
