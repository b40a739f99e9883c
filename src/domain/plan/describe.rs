//! What a plan would do, step by step, for a dry run and for the G3 confirmation screen: every
//! step with its operation rendered on one line (commands in full), its danger and its target.
//! Secrets are masked: passwords in URLs and DSNs, secret-looking query parameters, headers,
//! environment variables and JSON fields, Redis `AUTH` arguments. What is not known before the
//! run shows as a visible placeholder (`<output of step check>`).

use serde::Serialize;
use serde_json::Value;

use super::{OnFailure, Op, Phase, Plan, RenderCtx, render, render_op, when::when_state};
use crate::domain::Danger;
use crate::domain::sysconfig::{MASK, is_secret_field, mask};

/// One step as it would run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedOp {
    pub phase: Phase,
    /// Index of the stage within its phase; steps sharing it run in parallel.
    pub stage: usize,
    pub step: String,
    pub title: String,
    pub group: Option<String>,
    pub danger: Danger,
    /// The rendered target component name, if the step has one.
    pub target: Option<String>,
    /// The operation on one line, secrets masked.
    pub op: String,
    pub when: Option<String>,
    /// `Some(false)`: its `when` is false for these parameters, it will be skipped; `None`: decided
    /// during the run (the condition reads step results).
    pub runs: Option<bool>,
    pub on_failure: OnFailure,
    pub timeout_ms: u64,
    pub retries: u32,
    /// A template that cannot be rendered with these parameters (the run would fail here).
    pub error: Option<String>,
}

impl std::fmt::Display for ResolvedOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}/{}", self.danger, self.phase, self.step)?;
        if let Some(t) = &self.target {
            write!(f, " @ {t}")?;
        }
        write!(f, ": {}", self.op)?;
        if let Some(w) = &self.when {
            write!(f, " (when {w})")?;
        }
        if self.runs == Some(false) {
            f.write_str(" [skipped]")?;
        }
        if let Some(e) = &self.error {
            write!(f, " ERROR: {e}")?;
        }
        Ok(())
    }
}

/// Every step of every phase, in execution order (rollback last), rendered against `ctx` (use
/// [`RenderCtx::preview`] with the resolved parameters and the event, if any).
pub fn describe(plan: &Plan, ctx: &RenderCtx) -> Vec<ResolvedOp> {
    let mut out = Vec::new();
    for phase in super::outline(plan) {
        for (stage, st) in phase.stages.iter().enumerate() {
            for step in st.steps() {
                let mut error = None;
                let op = match render_op(&step.op, ctx) {
                    Ok(op) => one_line(&op),
                    Err(e) => {
                        error = Some(e.message);
                        one_line(&step.op)
                    }
                };
                let target = step.target.as_ref().map(|t| {
                    render(t, ctx).unwrap_or_else(|e| {
                        error.get_or_insert(format!("target: {}", e.message));
                        t.clone()
                    })
                });
                let runs = match when_state(step, ctx) {
                    Ok(r) => r,
                    Err(e) => {
                        error.get_or_insert(e);
                        None
                    }
                };
                out.push(ResolvedOp {
                    phase: phase.phase,
                    stage,
                    step: step.id.clone(),
                    title: step.title.clone(),
                    group: step.group.clone(),
                    danger: step.danger,
                    target,
                    op,
                    when: step.when.clone(),
                    runs,
                    on_failure: step.on_failure,
                    timeout_ms: step.timeout_ms,
                    retries: step.retries,
                    error,
                });
            }
        }
    }
    out
}

/// An operation on one line (newlines shown as ⏎), secrets masked.
pub fn one_line(op: &Op) -> String {
    let text = match op {
        Op::Command(c) => {
            let env: Vec<String> = c
                .env
                .iter()
                .map(|(k, v)| {
                    let v = if secret_name(k) { MASK } else { v.as_str() };
                    format!("{k}={v}")
                })
                .collect();
            let env = if env.is_empty() {
                String::new()
            } else {
                format!("{} ", env.join(" "))
            };
            let on =
                c.on.as_deref()
                    .map(|o| format!(" on {o}"))
                    .unwrap_or_default();
            format!("{}{}{on}: {}", env, c.interpreter.as_str(), c.script.trim())
        }
        Op::Http(h) => {
            let url = h.url.as_deref().map_or("<target url>".to_owned(), mask_url);
            let headers: Vec<String> = h
                .headers
                .iter()
                .map(|(k, v)| {
                    let v = if secret_name(k) { MASK } else { v.as_str() };
                    format!(" -H '{k}: {v}'")
                })
                .collect();
            let body = h.body.as_deref().map_or(String::new(), |b| {
                let b = match serde_json::from_str::<Value>(b) {
                    Ok(v @ Value::Object(_)) => mask(None, &v).to_string(),
                    _ => b.to_owned(),
                };
                format!(" body {b}")
            });
            let expect = if h.expect_status.is_empty() {
                "2xx".to_owned()
            } else {
                let s: Vec<String> = h.expect_status.iter().map(u16::to_string).collect();
                s.join("|")
            };
            format!(
                "{} {url}{}{body} → expect {expect}",
                h.method,
                headers.concat()
            )
        }
        Op::Sql(s) => {
            let dsn = s.dsn.as_deref().map_or("<target dsn>".to_owned(), mask_url);
            let stmts: Vec<String> = s
                .statements
                .iter()
                .map(|st| {
                    let args = if st.args.is_empty() {
                        String::new()
                    } else {
                        let a: Vec<String> = st.args.iter().map(Value::to_string).collect();
                        format!(" with ({})", a.join(", "))
                    };
                    let sql = st.sql.trim().trim_end_matches(';');
                    match st.expect_rows {
                        Some(n) => format!("{sql}{args} → expect {n} row(s)"),
                        None => format!("{sql}{args}"),
                    }
                })
                .collect();
            let tx = if s.statements.len() > 1 {
                " (one transaction)"
            } else {
                ""
            };
            format!("sql on {dsn}{tx}: {}", stmts.join("; "))
        }
        Op::Redis(r) => {
            let addr = r.addr.as_deref().unwrap_or("<target host:port>");
            let expect = r
                .expect
                .as_ref()
                .map_or(String::new(), |e| format!(" → expect {e}"));
            format!("redis {addr}: {}{expect}", redis_args(&r.command).join(" "))
        }
        Op::Wait(w) => format!("wait {}", super::duration::duration_text(w.duration_ms)),
        Op::WaitUntil(w) => {
            let probe = mask(None, &w.probe);
            format!(
                "wait until {} (probe {}, every {}, deadline {})",
                w.condition,
                probe,
                super::duration::duration_text(w.interval_ms),
                super::duration::duration_text(w.deadline_ms)
            )
        }
        Op::Manual(m) => format!("manual: {}", m.instructions.trim()),
        Op::Notify(n) => {
            let to = if n.channels.is_empty() {
                "every channel".to_owned()
            } else {
                n.channels.join(", ")
            };
            format!("notify {to}: {}", n.message.trim())
        }
    };
    mask_inline_urls(&text).replace('\n', " ⏎ ")
}

/// Names of variables and headers whose values are secret.
fn secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    is_secret_field(&n)
        || n.ends_with("pwd")
        || n.ends_with("passwd")
        || n.ends_with("_pass")
        || n.contains("authorization")
        || n.contains("cookie")
        || n.contains("api-key")
        || n.contains("apikey")
        || n.contains("api_key")
}

/// A URL or DSN with its password and secret-looking query parameters masked.
pub fn mask_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.has_host() => {
            if u.password().is_some() {
                // Cannot fail: the URL has a host, so it can carry a password.
                let _ = u.set_password(Some(MASK));
            }
            let pairs: Vec<(String, String)> = u
                .query_pairs()
                .map(|(k, v)| {
                    let v = if secret_name(&k) {
                        MASK.to_owned()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            if !pairs.is_empty() {
                u.query_pairs_mut().clear().extend_pairs(pairs);
            }
            u.to_string()
        }
        _ => mask_inline_urls(raw),
    }
}

/// Passwords of `scheme://user:password@host` anywhere in a text (scripts, statements).
fn mask_inline_urls(text: &str) -> String {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"([A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]+:)([^\s@/]+)@").ok()
    });
    match re {
        Some(re) => re.replace_all(text, format!("${{1}}{MASK}@")).into_owned(),
        None => text.to_owned(),
    }
}

/// Redis arguments with `AUTH` passwords and `CONFIG SET requirepass|masterauth` values masked.
fn redis_args(cmd: &[String]) -> Vec<String> {
    let upper: Vec<String> = cmd.iter().map(|a| a.to_ascii_uppercase()).collect();
    cmd.iter()
        .enumerate()
        .map(|(i, a)| {
            let secret = match upper.first().map(String::as_str) {
                Some("AUTH") => i >= 1,
                Some("CONFIG") => {
                    i >= 3
                        && upper.get(1).is_some_and(|s| s == "SET")
                        && upper
                            .get(i - 1)
                            .is_some_and(|k| k == "REQUIREPASS" || k == "MASTERAUTH")
                }
                _ => false,
            };
            if secret { MASK.to_owned() } else { a.clone() }
        })
        .collect()
}
