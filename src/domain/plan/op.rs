//! The atomic operations a step performs (issue 6): command, http, sql, redis, wait, wait-until,
//! manual, notify. Each is tagged by `kind` in TOML/JSON; unknown fields are refused. This module
//! describes an operation and its expectations; `crate::ops` performs it.
//!
//! What the executor reports back for a step (its [`super::StepResult`]): `status`, `output`
//! (captured text, bounded) and `values` (named values, upper-case, as `crate::ops` gives them):
//! command → `EXIT_CODE`, `OUTPUT` and the fields of a JSON-object stdout; http → `STATUS` (the
//! HTTP code), `BODY`, `OUTPUT`; sql → `AFFECTED` (per statement), `ROWS`; redis → `REPLY`,
//! `OUTPUT`; wait_until → the probe's last values and `ATTEMPTS`. Later steps read them as
//! `{{steps.ID.values.KEY}}` and, in `when`, `[ID.values.KEY]` (or `[ID.KEY]`, except that
//! `[ID.status]` and `[ID.output]` always mean the step's own status and output).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::duration::ms_text;

/// One atomic operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Op {
    /// A script on the machine the engine runs on (`ssh host …` inside the script reaches others).
    Command(CommandOp),
    /// An HTTP request, expecting a status.
    Http(HttpOp),
    /// SQL statements in ONE transaction, each optionally expecting a number of rows.
    Sql(SqlOp),
    /// One Redis command, optionally expecting a reply.
    Redis(RedisOp),
    /// A pause.
    Wait(WaitOp),
    /// The verification gate: probe until a condition holds, or fail at the deadline.
    WaitUntil(WaitUntilOp),
    /// A person does something and confirms it is done.
    Manual(ManualOp),
    /// A message to notification channels.
    Notify(NotifyOp),
}

/// Which interpreter runs a command's script.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Interpreter {
    /// `sh -c SCRIPT` (default).
    #[default]
    Sh,
    /// `bash -c SCRIPT`.
    Bash,
    /// `python3 -c SCRIPT`.
    Python3,
}

impl Interpreter {
    pub fn as_str(self) -> &'static str {
        match self {
            Interpreter::Sh => "sh",
            Interpreter::Bash => "bash",
            Interpreter::Python3 => "python3",
        }
    }
}

/// `kind = "command"`: succeeds when the script exits 0.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandOp {
    pub script: String,
    #[serde(default)]
    pub interpreter: Interpreter,
    /// Environment variables. Pass parameters here (`DIR = "{{params.dir}}"`, then `"$DIR"` in
    /// the script) rather than into the script text: the shell then never parses their values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Where it runs: here (default), `"target"` (the step's target component's host) or a
    /// component's name, over that component's `ssh` endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<String>,
}

/// `kind = "http"`: succeeds when the status is expected.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpOp {
    /// Default: the target's `url` endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default = "get")]
    pub method: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Accepted statuses; empty means any 2xx. Redirects are not followed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expect_status: Vec<u16>,
}

fn get() -> String {
    "GET".to_owned()
}

impl HttpOp {
    /// Whether `status` counts as success.
    pub fn status_ok(&self, status: u16) -> bool {
        if self.expect_status.is_empty() {
            (200..300).contains(&status)
        } else {
            self.expect_status.contains(&status)
        }
    }
}

/// One SQL statement of a `sql` op.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqlStatement {
    /// The statement, with `?` where a value goes. Never a template: values are `args`.
    pub sql: String,
    /// Rows the statement must affect (rows returned, for a query: see [`SqlStatement::is_query`]).
    /// A mismatch rolls the whole transaction back and fails the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_rows: Option<u64>,
    /// Values bound to the statement's `?` placeholders, in order (`["{{params.pod_id}}", 3]`):
    /// the database receives them as data, never as SQL text. A template that is exactly one
    /// reference keeps the value's type (an integer parameter binds as an integer).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<Value>,
}

/// `kind = "sql"`: every statement runs in ONE transaction, committed only when every
/// expectation holds. Written either `statement = "…"` (+ `expect_rows`, `args`) or
/// `statements = [{ sql = "…", expect_rows = 1, args = […] }, …]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "SqlOpDoc")]
pub struct SqlOp {
    pub statements: Vec<SqlStatement>,
    /// Database URL. Default: the target's `dsn` endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dsn: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SqlOpDoc {
    #[serde(default)]
    statement: Option<String>,
    #[serde(default)]
    expect_rows: Option<u64>,
    #[serde(default)]
    args: Option<Vec<Value>>,
    #[serde(default)]
    statements: Option<Vec<SqlStatement>>,
    #[serde(default)]
    dsn: Option<String>,
}

impl TryFrom<SqlOpDoc> for SqlOp {
    type Error = String;

    fn try_from(d: SqlOpDoc) -> Result<SqlOp, String> {
        let statements = match (d.statement, d.statements) {
            (Some(sql), None) => vec![SqlStatement {
                sql,
                expect_rows: d.expect_rows,
                args: d.args.unwrap_or_default(),
            }],
            (None, Some(list))
                if d.expect_rows.is_none() && d.args.is_none() && !list.is_empty() =>
            {
                list
            }
            (None, Some(list)) if list.is_empty() => return Err("statements is empty".into()),
            (None, Some(_)) => {
                return Err(
                    "expect_rows and args go inside each entry of statements = [{ sql = \"…\", expect_rows = 1, args = [\"…\"] }]"
                        .into(),
                );
            }
            _ => {
                return Err(
                    "give statement = \"…\" or statements = [{ sql = \"…\", expect_rows = 1 }, …] (exactly one)"
                        .into(),
                );
            }
        };
        Ok(SqlOp {
            statements,
            dsn: d.dsn,
        })
    }
}

/// `kind = "redis"`: one command, e.g. `["REPLICAOF", "NO", "ONE"]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisOp {
    pub command: Vec<String>,
    /// `host:port`. Default: the target's `host` and `port` endpoints; the password is always the
    /// target's `password` endpoint, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addr: Option<String>,
    /// The reply that counts as success (`OK`); any non-error reply when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<String>,
}

/// `kind = "wait"`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitOp {
    #[serde(rename = "duration", with = "ms_text")]
    pub duration_ms: u64,
}

/// `kind = "wait_until"`: the verification gate. The probe (a `crate::probes::ProbeSpec` table,
/// run against the step's target) is repeated every `interval` until `condition` (the inspection
/// condition DSL over the probe's values) holds, or fails the step at `deadline`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitUntilOp {
    pub probe: Value,
    pub condition: String,
    #[serde(rename = "deadline", with = "ms_text")]
    pub deadline_ms: u64,
    #[serde(rename = "interval", with = "ms_text", default = "five_s")]
    pub interval_ms: u64,
}

fn five_s() -> u64 {
    5_000
}

/// `kind = "manual"`: the run waits (status `waiting`) until a person confirms.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualOp {
    pub instructions: String,
}

/// `kind = "notify"`: a message through the outbox.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyOp {
    /// Names of `NOTIFY_CHANNELS` entries; empty means every channel.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<String>,
    pub message: String,
}

impl Op {
    /// The kind's name, as written in `kind = "…"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Op::Command(_) => "command",
            Op::Http(_) => "http",
            Op::Sql(_) => "sql",
            Op::Redis(_) => "redis",
            Op::Wait(_) => "wait",
            Op::WaitUntil(_) => "wait_until",
            Op::Manual(_) => "manual",
            Op::Notify(_) => "notify",
        }
    }

    /// Whether the step must state its danger: operations that can change something (command,
    /// http, sql, redis). Waits, gates, manual steps and notifications default to G1.
    pub fn needs_explicit_danger(&self) -> bool {
        matches!(
            self,
            Op::Command(_) | Op::Http(_) | Op::Sql(_) | Op::Redis(_)
        )
    }

    /// The step timeout when none is written. A wait ends after its duration and a gate at its
    /// deadline, so theirs is that (and `timeout` is refused on them).
    pub fn default_timeout_ms(&self) -> u64 {
        match self {
            Op::Command(_) => 300_000,
            Op::Http(_) | Op::Notify(_) => 30_000,
            Op::Sql(_) => 60_000,
            Op::Redis(_) => 10_000,
            Op::Wait(w) => w.duration_ms,
            Op::WaitUntil(w) => w.deadline_ms,
            Op::Manual(_) => 86_400_000,
        }
    }

    /// The same op with every text field passed through `f(field, text)` (used to render
    /// templates and to check them). Keys of maps (env names, headers) and `kind`-like fields
    /// (interpreter, method) are not texts.
    pub fn try_map_strings<E>(
        &self,
        f: &mut dyn FnMut(&str, &str) -> Result<String, E>,
    ) -> Result<Op, E> {
        let opt = |field: &str,
                   v: &Option<String>,
                   f: &mut dyn FnMut(&str, &str) -> Result<String, E>| {
            v.as_deref().map(|s| f(field, s)).transpose()
        };
        let map = |prefix: &str,
                   m: &BTreeMap<String, String>,
                   f: &mut dyn FnMut(&str, &str) -> Result<String, E>| {
            m.iter()
                .map(|(k, v)| Ok((k.clone(), f(&format!("{prefix}.{k}"), v)?)))
                .collect::<Result<BTreeMap<_, _>, E>>()
        };
        Ok(match self {
            Op::Command(c) => Op::Command(CommandOp {
                script: f("script", &c.script)?,
                interpreter: c.interpreter,
                env: map("env", &c.env, f)?,
                on: opt("on", &c.on, f)?,
            }),
            Op::Http(h) => Op::Http(HttpOp {
                url: opt("url", &h.url, f)?,
                method: h.method.clone(),
                headers: map("headers", &h.headers, f)?,
                body: opt("body", &h.body, f)?,
                expect_status: h.expect_status.clone(),
            }),
            Op::Sql(s) => Op::Sql(SqlOp {
                statements: s
                    .statements
                    .iter()
                    .enumerate()
                    .map(|(i, st)| {
                        Ok(SqlStatement {
                            sql: f(&format!("statements[{i}]"), &st.sql)?,
                            expect_rows: st.expect_rows,
                            args: st
                                .args
                                .iter()
                                .enumerate()
                                .map(|(j, a)| map_json(&format!("statements[{i}].args[{j}]"), a, f))
                                .collect::<Result<_, E>>()?,
                        })
                    })
                    .collect::<Result<_, E>>()?,
                dsn: opt("dsn", &s.dsn, f)?,
            }),
            Op::Redis(r) => Op::Redis(RedisOp {
                command: r
                    .command
                    .iter()
                    .enumerate()
                    .map(|(i, a)| f(&format!("command[{i}]"), a))
                    .collect::<Result<_, E>>()?,
                addr: opt("addr", &r.addr, f)?,
                expect: opt("expect", &r.expect, f)?,
            }),
            Op::Wait(w) => Op::Wait(w.clone()),
            Op::WaitUntil(w) => Op::WaitUntil(WaitUntilOp {
                probe: map_json("probe", &w.probe, f)?,
                condition: f("condition", &w.condition)?,
                deadline_ms: w.deadline_ms,
                interval_ms: w.interval_ms,
            }),
            Op::Manual(m) => Op::Manual(ManualOp {
                instructions: f("instructions", &m.instructions)?,
            }),
            Op::Notify(n) => Op::Notify(NotifyOp {
                channels: n.channels.clone(),
                message: f("message", &n.message)?,
            }),
        })
    }
}

/// Every string leaf of a JSON value through `f` (the probe table of a gate; `kind` excluded).
fn map_json<E>(
    at: &str,
    v: &Value,
    f: &mut dyn FnMut(&str, &str) -> Result<String, E>,
) -> Result<Value, E> {
    Ok(match v {
        Value::String(s) => Value::String(f(at, s)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, x)| map_json(&format!("{at}[{i}]"), x, f))
                .collect::<Result<_, E>>()?,
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| {
                    let y = if k == "kind" {
                        x.clone()
                    } else {
                        map_json(&format!("{at}.{k}"), x, f)?
                    };
                    Ok((k.clone(), y))
                })
                .collect::<Result<_, E>>()?,
        ),
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(toml_text: &str) -> Result<Op, String> {
        let v: toml::Value = toml::from_str(toml_text).map_err(|e| e.to_string())?;
        v.try_into().map_err(|e: toml::de::Error| e.to_string())
    }

    #[test]
    fn ops_parse_by_kind_and_refuse_unknown_fields() {
        let o = op("kind = \"command\"\nscript = \"uptime\"").unwrap();
        assert!(matches!(&o, Op::Command(c) if c.interpreter == Interpreter::Sh));
        let e = op("kind = \"command\"\nscirpt = \"uptime\"").unwrap_err();
        assert!(e.contains("unknown field `scirpt`"), "{e}");
        let e = op("kind = \"ftp\"").unwrap_err();
        assert!(e.contains("unknown variant `ftp`"), "{e}");
        let o = op("kind = \"wait\"\nduration = \"30s\"").unwrap();
        assert_eq!(
            o,
            Op::Wait(WaitOp {
                duration_ms: 30_000
            })
        );
        assert_eq!(o.default_timeout_ms(), 30_000);
        let e = op("kind = \"wait\"\nduration = \"soon\"").unwrap_err();
        assert!(e.contains("is not a duration"), "{e}");
        let o = op("kind = \"wait_until\"\nprobe = { kind = \"tcp\" }\ncondition = \"[CONNECTED] == true\"\ndeadline = \"2m\"").unwrap();
        assert!(
            matches!(o, Op::WaitUntil(w) if w.interval_ms == 5_000 && w.deadline_ms == 120_000)
        );
    }

    #[test]
    fn sql_takes_one_statement_or_a_list() {
        let o = op("kind = \"sql\"\nstatement = \"update t set a = 1\"\nexpect_rows = 1").unwrap();
        let Op::Sql(s) = &o else { panic!() };
        assert_eq!(s.statements[0].expect_rows, Some(1));
        let o = op("kind = \"sql\"\nstatements = [{ sql = \"delete from a\" }, { sql = \"select 1\", expect_rows = 1 }]").unwrap();
        let Op::Sql(s) = &o else { panic!() };
        assert_eq!(s.statements.len(), 2);
        let e = op("kind = \"sql\"\nstatements = [{ sql = \"x\" }]\nexpect_rows = 1").unwrap_err();
        assert!(e.contains("inside each entry"), "{e}");
        let e = op("kind = \"sql\"\ndsn = \"x\"").unwrap_err();
        assert!(e.contains("exactly one"), "{e}");
        // The stored (JSON) form reads back.
        let json = serde_json::to_value(&o).unwrap();
        assert_eq!(serde_json::from_value::<Op>(json).unwrap(), o);
    }

    #[test]
    fn http_expectations() {
        let h = HttpOp::default();
        assert!(h.status_ok(204) && !h.status_ok(301) && !h.status_ok(500));
        let h = HttpOp {
            expect_status: vec![401],
            ..HttpOp::default()
        };
        assert!(h.status_ok(401) && !h.status_ok(200));
    }

    #[test]
    fn map_strings_reaches_every_text_but_probe_kind() {
        let o = op("kind = \"wait_until\"\nprobe = { kind = \"sql\", query = \"q\" }\ncondition = \"c\"\ndeadline = \"1m\"").unwrap();
        let mut seen = Vec::new();
        let up = o
            .try_map_strings::<()>(&mut |field, s| {
                seen.push(field.to_owned());
                Ok(s.to_uppercase())
            })
            .unwrap();
        assert_eq!(seen, vec!["probe.query", "condition"]);
        let Op::WaitUntil(w) = up else { panic!() };
        assert_eq!(w.probe["kind"], "sql");
        assert_eq!(w.probe["query"], "Q");
    }
}
