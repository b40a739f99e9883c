//! Problems of one operation in its step: fields each kind needs, values that are code
//! ([`super::super::code`]), SQL that writes where only reading is allowed or without G3.

use super::super::redis::{READ_HINT, redis_read_only};
use super::super::sql::{SqlClass, SqlFlavor, classify, placeholder_count};
use super::super::{Op, Phase, Step};
use super::{Condition, Danger, is_ident};

/// Problems of one operation in its step (and phase: checks only read).
pub(super) fn op_problems(op: &Op, s: &Step, phase: Phase) -> Vec<String> {
    let mut out = super::super::code::op_code_problems(op);
    let check = matches!(phase, Phase::Precheck | Phase::Postcheck);
    match op {
        Op::Command(c) => {
            if c.script.trim().is_empty() {
                out.push("command: script is empty".into());
            }
            for k in c.env.keys() {
                if !is_ident(k, false) || k.contains('-') {
                    out.push(format!("command: env {k:?} is not a variable name"));
                } else if super::super::code::reserved_env(k) {
                    out.push(format!(
                        "command: env {k}: NIGHTWATCH_* names are reserved for the engine and never reach a child; rename it (the engine gives NW_RUN_ID, NW_PLAN, NW_TARGET and NW_DRY_RUN)"
                    ));
                }
            }
        }
        Op::Http(h) => {
            if h.url.is_none() && s.target.is_none() {
                out.push("http: give url, or a target whose url endpoint to use".into());
            }
            if h.method.is_empty() || !h.method.chars().all(|c| c.is_ascii_uppercase()) {
                out.push(format!(
                    "http: method {:?}: write it in capitals (GET, POST, …)",
                    h.method
                ));
            }
            if check && !matches!(h.method.as_str(), "GET" | "HEAD" | "OPTIONS") {
                out.push(format!(
                    "http: method {}: a {phase} only reads; use GET or HEAD, or move the request to a [[plan.step]]",
                    h.method
                ));
            }
            if let Some(bad) = h.expect_status.iter().find(|c| !(100..600).contains(*c)) {
                out.push(format!("http: expect_status {bad} is not an HTTP status"));
            }
        }
        Op::Sql(q) => {
            if q.dsn.is_none() && s.target.is_none() {
                out.push("sql: give dsn, or a target whose dsn endpoint to use".into());
            }
            for (i, st) in q.statements.iter().enumerate() {
                if st.sql.trim().is_empty() {
                    out.push(format!("sql: statement {} is empty", i + 1));
                } else if st.has_several() {
                    out.push(format!(
                        "sql: statement {} holds several statements; write one per entry of statements = [{{ sql = \"…\" }}, …] (they run in one transaction)",
                        i + 1
                    ));
                }
            }
            let flavors = q
                .dsn
                .as_deref()
                .and_then(SqlFlavor::from_url)
                .map_or_else(|| SqlFlavor::ALL.to_vec(), |f| vec![f]);
            for (i, st) in q.statements.iter().enumerate() {
                if st.sql.contains("{{") {
                    continue; // refused above, with its safe form
                }
                match placeholder_count(&st.sql) {
                    Some(n) if n != st.args.len() => out.push(format!(
                        "sql: statement {} has {n} ? placeholder(s) and {} arg(s): give one value in args per ?",
                        i + 1,
                        st.args.len()
                    )),
                    _ => {}
                }
                let class = classify(&st.sql, &flavors);
                let what = match &class {
                    SqlClass::Read { .. } => continue,
                    SqlClass::Write(why) => format!("writes ({why})"),
                    SqlClass::Unparsed(why) => format!(
                        "does not parse as SQL ({why}), so it is treated as a write (fail closed)"
                    ),
                };
                if check {
                    out.push(format!(
                        "sql statement {} {what}: a {phase} only reads (it runs in a read-only transaction, also in dry runs); move the write to a [[plan.step]]",
                        i + 1
                    ));
                } else if s.danger != Danger::G3 {
                    out.push(format!(
                        "sql statement {} {what}: writing to a database directly is G3 (DOMAIN.md §3); set danger = \"G3\"",
                        i + 1
                    ));
                }
            }
        }
        Op::Redis(r) => {
            if r.command.is_empty() || r.command[0].trim().is_empty() {
                out.push(
                    "redis: command is empty; e.g. command = [\"REPLICAOF\", \"NO\", \"ONE\"]"
                        .into(),
                );
            } else if (check || s.danger == Danger::G1)
                && let Err(name) = redis_read_only(&r.command)
            {
                let (what, fix) = if check {
                    (
                        format!("a {phase} only reads (it also runs in dry runs)"),
                        "move it to a [[plan.step]]",
                    )
                } else {
                    ("a G1 step only reads".to_owned(), "raise the step's danger")
                };
                out.push(format!(
                    "redis: command {name} is not on the read-only list: {what}. Use a read-only command ({READ_HINT}), or {fix}"
                ));
            }
            if r.addr.is_none() && s.target.is_none() {
                out.push(
                    "redis: give addr, or a target whose host and port endpoints to use".into(),
                );
            }
        }
        Op::Wait(w) => {
            if w.duration_ms == 0 {
                out.push("wait: duration must be above 0".into());
            }
        }
        Op::WaitUntil(w) => {
            if !w.condition.contains("{{")
                && let Err(e) = Condition::parse(&w.condition)
            {
                out.push(format!("wait_until: condition {:?}: {e}", w.condition));
            }
            if w.deadline_ms == 0 || w.interval_ms == 0 {
                out.push("wait_until: deadline and interval must be above 0".into());
            } else if w.interval_ms > w.deadline_ms {
                out.push("wait_until: interval is longer than the deadline".into());
            }
            if !w.probe.is_object() || w.probe.get("kind").is_none() {
                out.push(
                    "wait_until: probe must be a table with a kind, e.g. { kind = \"redis\" }"
                        .into(),
                );
            }
        }
        Op::Manual(m) => {
            if m.instructions.trim().is_empty() {
                out.push("manual: instructions are empty: say what the person must do".into());
            }
        }
        Op::Notify(n) => {
            if n.message.trim().is_empty() {
                out.push("notify: message is empty".into());
            }
        }
    }
    out
}
