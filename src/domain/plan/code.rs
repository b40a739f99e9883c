//! Values are data, never code. A template value (`{{params.x}}`, `{{event.labels.x}}`, a step's
//! output or values) may reach a shell only as an environment variable (or a separate argv
//! element), SQL only as a bound parameter (`?` + `args`), a Redis command only as a separate
//! argument, and a URL only as a percent-encoded query value. The fields that ARE code — a
//! script, a SQL statement, a probe's query, a Redis command name or Lua script, a URL's host and
//! path, a database URL — must therefore hold no template: the value would become code.
//!
//! [`op_code_problems`] and [`probe_code_problems`] are the one check for that, used by `apply`
//! for plan steps (every phase), gates' probes and inspection rules' probes; anything else that
//! runs operations or probes (diagnosis trees, drills) is checked with the same two functions.
//! Each message names the field and the reference, and shows the safe form.
//!
//! Also here, because a probe only ever reads: a sql probe's query must be a read-only statement
//! (decided by parsing it, see [`super::sql`]).

use serde_json::Value;

use super::sql::{SqlClass, SqlFlavor, classify};
use super::template::{Piece, parse};
use super::{Op, Ref, refs};

/// Whether a child's own variable name (a step's `env`, a command probe's `params`) is reserved
/// for the engine: `NIGHTWATCH_*`, in any case. `crate::child` refuses it again at start.
pub fn reserved_env(name: &str) -> bool {
    name.get(..11)
        .is_some_and(|p| p.eq_ignore_ascii_case("NIGHTWATCH_"))
}

/// The first reference (or template error) in `text`, if it holds one.
fn template_in(text: &str) -> Option<String> {
    match refs(text) {
        Ok(rs) => rs.first().map(Ref::to_string),
        Err(e) => Some(e.message),
    }
}

/// `sql` with each reference (and the quotes around it, `'{{params.s}}'`) replaced by `?`, and
/// the references in order: the safe form of a statement.
fn sql_safe_form(sql: &str) -> (String, Vec<String>) {
    let Ok(pieces) = parse(sql) else {
        return (sql.to_owned(), Vec::new());
    };
    let mut out = String::new();
    let mut args = Vec::new();
    let mut strip_next_quote = false;
    for p in pieces {
        match p {
            Piece::Text(t) => {
                let t = if strip_next_quote {
                    t.strip_prefix('\'').unwrap_or(t)
                } else {
                    t
                };
                out.push_str(t);
                strip_next_quote = false;
            }
            Piece::Ref(r) => {
                if out.ends_with('\'') {
                    out.pop();
                    strip_next_quote = true;
                }
                out.push('?');
                args.push(format!("\"{r}\""));
            }
        }
    }
    (out, args)
}

/// `script` with each reference replaced by `${NAME}`, and the `env` entries to add.
fn script_safe_form(script: &str, python: bool) -> (String, Vec<String>) {
    let Ok(pieces) = parse(script) else {
        return (script.to_owned(), Vec::new());
    };
    let mut out = String::new();
    let mut env: Vec<String> = Vec::new();
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Ref(r) => {
                let name = r.env_name();
                if python {
                    out.push_str(&format!("os.environ[\"{name}\"]"));
                } else {
                    out.push_str(&format!("\"${{{name}}}\""));
                }
                let entry = format!("{name} = \"{r}\"");
                if !env.contains(&entry) {
                    env.push(entry);
                }
            }
        }
    }
    (out, env)
}

fn one_line(s: &str) -> String {
    let flat: String = s
        .trim()
        .chars()
        .map(|c| if c == '\n' { '⏎' } else { c })
        .collect();
    if flat.chars().count() > 160 {
        let mut cut: String = flat.chars().take(157).collect();
        cut.push('…');
        cut
    } else {
        flat
    }
}

fn script_problem(field: &str, script: &str, python: bool, env_field: &str) -> Option<String> {
    let found = template_in(script)?;
    let (safe, env) = script_safe_form(script, python);
    let how = if python {
        "read it with os.environ in the script"
    } else {
        "use it double-quoted in the script"
    };
    Some(format!(
        "{field} uses {found}: a value may reach a shell only as an environment variable, never inside the script's text (it would run as code). Safe form: {env_field} = {{ {} }} and {how}: {field} = {:?}",
        env.join(", "),
        one_line(&safe)
    ))
}

fn sql_problem(field: &str, sql: &str, args_field: &str) -> Option<String> {
    let found = template_in(sql)?;
    let (safe, args) = sql_safe_form(sql);
    Some(format!(
        "{field} uses {found}: a value may reach SQL only as a bound parameter, never inside the statement's text (it would run as SQL). Safe form: {field} = {:?} with {args_field} = [{}]",
        one_line(&safe),
        args.join(", ")
    ))
}

fn dsn_problem(field: &str, dsn: &str) -> Option<String> {
    let found = template_in(dsn)?;
    Some(format!(
        "{field} uses {found}: a database URL says where SQL runs and may not be chosen by a value. Safe form: target = \"{found}\" (a component whose dsn endpoint is used), or a literal {field}"
    ))
}

/// A URL template: references only in the query (after `?`), where they are percent-encoded.
fn url_problem(field: &str, url: &str) -> Option<String> {
    let found = template_in(url)?;
    let Ok(pieces) = parse(url) else {
        return Some(format!("{field}: {found}"));
    };
    let mut in_query = false;
    for p in pieces {
        match p {
            Piece::Text(t) => in_query |= t.contains('?'),
            Piece::Ref(r) if !in_query => {
                return Some(format!(
                    "{field} uses {r} in its scheme, host or path: a value may stand in a URL only as a query value, which is percent-encoded (e.g. {field} = \"https://host/path?name={r}\"). To choose the server, give target = \"{r}\" (a component whose url endpoint is used)"
                ));
            }
            Piece::Ref(_) => {}
        }
    }
    None
}

/// Redis: the command name is code, and so is the Lua script of `EVAL`/`EVAL_RO`/`FUNCTION
/// LOAD`; every other element is one argument, sent as such.
fn redis_problems(command: &[String], out: &mut Vec<String>) {
    if let Some(found) = command.first().and_then(|c| template_in(c)) {
        out.push(format!(
            "command[0] uses {found}: the command name is code and may not come from a value. Safe form: a literal command with the value as a later element, e.g. command = [\"GET\", \"{found}\"]"
        ));
    }
    let name = command.first().map(|c| c.to_ascii_uppercase());
    let script_at = match name.as_deref() {
        Some("EVAL" | "EVAL_RO" | "SCRIPT") => Some(1),
        Some("FUNCTION") => Some(2),
        _ => None,
    };
    if let Some(i) = script_at
        && let Some(found) = command.get(i).and_then(|c| template_in(c))
    {
        out.push(format!(
            "command[{i}] uses {found}: it is a Lua script, which is code. Safe form: pass the value as an argument and read it as ARGV[1]: command = [\"EVAL\", \"return redis.call('GET', ARGV[1])\", \"0\", \"{found}\"]"
        ));
    }
}

/// Whether a probe/op string field names a URL (`url`, `login.url`).
fn is_url_key(key: &str) -> bool {
    key == "url"
}

/// Problems of an operation: a template inside a field that is code. Messages name the field
/// (`script`, `statements[0].sql`, …) and show the safe form; the caller adds the step.
pub fn op_code_problems(op: &Op) -> Vec<String> {
    let mut out = Vec::new();
    match op {
        Op::Command(c) => {
            let python = c.interpreter == super::Interpreter::Python3;
            out.extend(script_problem("script", &c.script, python, "env"));
        }
        Op::Http(h) => {
            if let Some(u) = &h.url {
                out.extend(url_problem("url", u));
            }
        }
        Op::Sql(s) => {
            let single = s.statements.len() == 1;
            for (i, st) in s.statements.iter().enumerate() {
                let (field, args) = if single {
                    ("statement".to_owned(), "args".to_owned())
                } else {
                    (
                        format!("statements[{i}].sql"),
                        format!("statements[{i}].args"),
                    )
                };
                out.extend(sql_problem(&field, &st.sql, &args));
            }
            if let Some(d) = &s.dsn {
                out.extend(dsn_problem("dsn", d));
            }
        }
        Op::Redis(r) => redis_problems(&r.command, &mut out),
        Op::WaitUntil(w) => {
            out.extend(
                probe_code_problems(&w.probe)
                    .into_iter()
                    .map(|m| format!("probe: {m}")),
            );
            if let Some(found) = template_in(&w.condition) {
                out.push(format!(
                    "condition uses {found}: a value may not become part of a condition (it could change what the condition says). Compare with a literal, or read the value in the probe (sql: args = [\"{found}\"])"
                ));
            }
        }
        Op::Wait(_) | Op::Manual(_) | Op::Notify(_) => {}
    }
    out
}

/// Problems of a probe spec (JSON form, as in a rule or a gate): a template inside a field that is
/// code (a command's script, a sql or prometheus query, a database URL, a URL's host or path),
/// and a sql query that is not read-only. Messages name the field and show the safe form.
pub fn probe_code_problems(probe: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let kind = probe.get("kind").and_then(Value::as_str).unwrap_or("");
    let text = |key: &str| probe.get(key).and_then(Value::as_str);
    match kind {
        "command" => {
            let python = text("interpreter") == Some("python3");
            if let Some(s) = text("script") {
                out.extend(script_problem("script", s, python, "params"));
            }
            for k in probe
                .get("params")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|m| m.keys())
                .filter(|k| reserved_env(k))
            {
                out.push(format!(
                    "params {k}: NIGHTWATCH_* names are reserved for the engine and never reach a child; rename it (the engine gives NW_TARGET and NW_ENDPOINTS)"
                ));
            }
        }
        "sql" => {
            if let Some(q) = text("query") {
                out.extend(sql_problem("query", q, "args"));
                if template_in(q).is_none() {
                    let flavors = text("dsn")
                        .and_then(SqlFlavor::from_url)
                        .map_or_else(|| SqlFlavor::ALL.to_vec(), |f| vec![f]);
                    match classify(q, &flavors) {
                        SqlClass::Read { .. } => {}
                        SqlClass::Write(why) => out.push(format!(
                            "query {}: a probe only reads, and this statement writes ({why}); a probe's query runs in a read-only transaction",
                            one_line(q)
                        )),
                        SqlClass::Unparsed(why) => out.push(format!(
                            "query {}: does not parse as SQL ({why}), so it is treated as a write (fail closed) and refused: a probe only reads",
                            one_line(q)
                        )),
                    }
                }
            }
            if let Some(d) = text("dsn") {
                out.extend(dsn_problem("dsn", d));
            }
        }
        "prometheus" => {
            if let Some(found) = text("query").and_then(template_in) {
                out.push(format!(
                    "query uses {found}: a PromQL query is code and may not hold a value; write the query literally (label matchers included)"
                ));
            }
        }
        _ => {}
    }
    // URLs of any probe kind (http, page, prometheus; a page's login form).
    for (key, v) in probe.as_object().into_iter().flatten() {
        if let (true, Some(u)) = (is_url_key(key), v.as_str()) {
            out.extend(url_problem(key, u));
        }
        if key == "login"
            && let Some(u) = v.get("url").and_then(Value::as_str)
        {
            out.extend(url_problem("login.url", u));
        }
    }
    out
}

#[cfg(test)]
mod tests;
