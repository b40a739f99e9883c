//! `apply` refuses a template in every field that is code — a script, a SQL statement, a probe's
//! query, a PromQL query, a Redis command name or Lua script, a URL's host or path, a database URL
//! — naming file:line and the step and showing the safe form; a write in a check (a precheck,
//! a postcheck, a probe), including SQL it cannot parse (fail closed); a Redis command off the
//! read-only list in a check or a G1 step; and a `NIGHTWATCH_*` name in a step's `env`. Nothing
//! is applied.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;
mod safe;

use safe::Env;

/// `apply` refuses a template in each field that is code, with file:line, the step, and the safe
/// form; and a write in a check, including one it cannot parse (fail closed).
#[test]
fn apply_refuses_templates_in_code_and_writes_in_checks() {
    let env = Env::new();
    let text = r#"
[[plan]]
name = "bad"
[[plan.param]]
name = "s"
kind = "string"

[[plan.precheck]]
id = "check-write"
danger = "G1"
op = { kind = "sql", dsn = "sqlite:///tmp/x.db", statement = "delete from t where id = 1" }

[[plan.precheck]]
id = "check-cte"
danger = "G1"
op = { kind = "sql", dsn = "postgres://h/db", statement = "with d as (delete from t returning id) select count(*) from d" }

[[plan.precheck]]
id = "check-garbage"
danger = "G1"
op = { kind = "sql", dsn = "mysql://h/db", statement = "selec id frm t" }

[[plan.precheck]]
id = "gate-query"
op = { kind = "wait_until", probe = { kind = "sql", dsn = "sqlite:///tmp/x.db", query = "select count(*) from t where name = '{{params.s}}'" }, condition = "[VALUE] == 0", deadline = "5s", interval = "1s" }

[[plan.precheck]]
id = "check-flush"
danger = "G1"
op = { kind = "redis", addr = "127.0.0.1:6379", command = ["FLUSHALL"] }

[[plan.step]]
id = "g1-config-set"
danger = "G1"
op = { kind = "redis", addr = "127.0.0.1:6379", command = ["CONFIG", "SET", "maxmemory", "1"] }

[[plan.step]]
id = "env-nightwatch"
danger = "G2"
op = { kind = "command", script = "true", env = { NIGHTWATCH_SECRET_KEY = "x" } }

[[plan.step]]
id = "script"
danger = "G2"
op = { kind = "command", script = "echo raw=[{{params.s}}]" }

[[plan.step]]
id = "statement"
danger = "G3"
op = { kind = "sql", dsn = "sqlite:///tmp/x.db", statement = "delete from t where name = '{{params.s}}'" }

[[plan.step]]
id = "redis-name"
danger = "G2"
op = { kind = "redis", addr = "127.0.0.1:6379", command = ["{{params.s}}", "k"] }

[[plan.step]]
id = "redis-lua"
danger = "G2"
op = { kind = "redis", addr = "127.0.0.1:6379", command = ["EVAL", "return '{{params.s}}'", "0"] }

[[plan.step]]
id = "url-host"
danger = "G2"
op = { kind = "http", url = "http://{{params.s}}/restart" }

[[plan.step]]
id = "dsn"
danger = "G3"
op = { kind = "sql", dsn = "mysql://u@{{params.s}}/db", statement = "update t set a = 1" }

[[plan.step]]
id = "sql-g2"
danger = "G2"
op = { kind = "sql", dsn = "sqlite:///tmp/x.db", statement = "update t set name = ? where id = 1", args = ["{{params.s}}"] }

[[rule]]
name = "rule-write"
probe = { kind = "sql", query = "update t set name = 'x'" }
condition = "[VALUE] == 0"
targets = { kind = "host" }

[[rule]]
name = "rule-promql"
probe = { kind = "prometheus", url = "http://127.0.0.1:9090", query = "up{instance=\"{{event.labels.instance}}\"}" }
condition = "[VALUE] == 1"
targets = { kind = "host" }
"#;
    let (ok, out) = env.try_apply("bad.toml", text);
    assert!(!ok, "{out}");
    let path = env.path("bad.toml");
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let expect = |needle: &str, wants: &[&str]| {
        let at = format!("{}:{}: ", path.display(), line_of(needle));
        let line = out
            .lines()
            .find(|l| l.starts_with(&at) && wants.iter().all(|w| l.contains(w)))
            .unwrap_or_else(|| panic!("wanted {at}… {wants:?} in:\n{out}"));
        line.to_owned()
    };
    expect(
        "statement = \"delete from t where id = 1\"",
        &[
            "step check-write",
            "writes (DELETE FROM t)",
            "a precheck only reads",
        ],
    );
    expect(
        "with d as (delete",
        &["step check-cte", "writes", "a precheck only reads"],
    );
    expect(
        "selec id frm t",
        &[
            "step check-garbage",
            "does not parse as SQL",
            "treated as a write (fail closed)",
        ],
    );
    expect(
        "from t where name = '{{params.s}}'\" }",
        &[
            "step gate-query",
            "probe: query uses {{params.s}}",
            "query = \"select count(*) from t where name = ?\" with args = [\"{{params.s}}\"]",
        ],
    );
    expect(
        "command = [\"FLUSHALL\"]",
        &[
            "step check-flush",
            "redis: command FLUSHALL is not on the read-only list",
            "a precheck only reads",
            "CONFIG GET",
        ],
    );
    expect(
        "command = [\"CONFIG\", \"SET\"",
        &[
            "step g1-config-set",
            "command CONFIG SET is not on the read-only list",
            "a G1 step only reads",
        ],
    );
    expect(
        "NIGHTWATCH_SECRET_KEY = \"x\"",
        &[
            "step env-nightwatch",
            "env NIGHTWATCH_SECRET_KEY: NIGHTWATCH_* names are reserved",
            "NW_RUN_ID",
        ],
    );
    expect(
        "echo raw=[{{params.s}}]",
        &[
            "step script",
            "script uses {{params.s}}",
            "Safe form: env = { S = \"{{params.s}}\" }",
            "echo raw=[\\\"${S}\\\"]",
        ],
    );
    expect(
        "delete from t where name = '{{params.s}}'",
        &[
            "step statement",
            "statement uses {{params.s}}",
            "delete from t where name = ?",
            "args = [\"{{params.s}}\"]",
        ],
    );
    expect(
        "command = [\"{{params.s}}\", \"k\"]",
        &[
            "step redis-name",
            "command[0] uses {{params.s}}",
            "the command name is code",
        ],
    );
    expect(
        "command = [\"EVAL\"",
        &["step redis-lua", "command[1] uses {{params.s}}", "ARGV[1]"],
    );
    expect(
        "url = \"http://{{params.s}}/restart\"",
        &[
            "step url-host",
            "url uses {{params.s}} in its scheme, host or path",
            "?name={{params.s}}",
        ],
    );
    expect(
        "dsn = \"mysql://u@{{params.s}}/db\"",
        &["step dsn", "dsn uses {{params.s}}", "target = "],
    );
    // A missing G3 is reported at the step's danger line.
    let at = format!(
        "{}:{}: plan \"bad\": step sql-g2: sql statement 1 writes (UPDATE t SET)",
        path.display(),
        line_of("update t set name = ? where id = 1") - 1
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with(&at) && l.contains("set danger = \"G3\"")),
        "{at} in {out}"
    );
    expect(
        "update t set name = 'x'",
        &[
            "rule \"rule-write\"",
            "a probe only reads, and this statement writes",
        ],
    );
    expect(
        "kind = \"prometheus\"",
        &[
            "rule \"rule-promql\"",
            "query uses {{event.labels.instance}}",
        ],
    );
    assert!(out.contains("nothing applied"), "{out}");
    assert_eq!(
        env.json(&["plan", "list", "-o", "json"])
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["name"] == "bad")
            .count(),
        0
    );
}
