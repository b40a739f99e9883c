//! Values are data, never code (issue 10): hostile values given as `--param`, carried by an
//! event's labels (a run launched with `--event N`) or by a component's endpoints and labels
//! reach a real shell only as environment variables and a real database (SQLite, MariaDB,
//! PostgreSQL) only as bound parameters. A marker file a shell would create never appears, the
//! target table's rows are counted before and after, and what arrived is exactly what was sent.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;
mod safe;

use std::path::Path;

use common::{Backend, TestDb, free_port, require_program};
use nightwatch::store::query_target_with;
use safe::{Env, T, assert_no_marker, count, exec, hostile, rows, rt, step, target_table};
use serde_json::{Value, json};

/// A plan that hands `{{SOURCE}}` to a shell (env), to SQL (bound args: a check, a gate's
/// probe, an insert and a delete) on the component `target-db`.
fn plan(name: &str, source: &str, dsn: &str, out: &Path) -> String {
    let v = format!("{{{{{source}}}}}");
    let out = out.display();
    format!(
        r#"
[[component]]
name = "target-db"
kind = "db"
layer = "database"
endpoints = {{ dsn = "{dsn}" }}

[[plan]]
name = "{name}"

[[plan.param]]
name = "s"
kind = "string"
required = false

[[plan.precheck]]
id = "lookup"
danger = "G1"
target = "target-db"
op = {{ kind = "sql", statement = "select id from t where name = ?", args = ["{v}"], expect_rows = 0 }}

[[plan.precheck]]
id = "gate"
target = "target-db"
op = {{ kind = "wait_until", probe = {{ kind = "sql", query = "select count(*) from t where name = ?", args = ["{v}"] }}, condition = "[VALUE] == 0", deadline = "10s", interval = "1s" }}

[[plan.step]]
id = "shell"
danger = "G2"
op = {{ kind = "command", script = 'printf "%s" "$S" > "$OUT"', env = {{ S = "{v}", OUT = "{out}" }} }}

[[plan.step]]
id = "record"
danger = "G3"
target = "target-db"
op = {{ kind = "sql", statement = "insert into seen (v) values (?)", args = ["{v}"], expect_rows = 1 }}

[[plan.step]]
id = "delete-by-name"
danger = "G3"
target = "target-db"
op = {{ kind = "sql", statement = "delete from t where name = ?", args = ["{v}"], expect_rows = 0 }}
"#
    )
}

fn seen(url: &str, v: &str) -> i64 {
    rt().block_on(query_target_with(
        url,
        "select count(*) from seen where v = ?",
        &[Value::from(v)],
        T,
    ))
    .unwrap()
    .rows[0][0]
        .as_i64()
        .unwrap()
}

fn names(url: &str) -> Vec<Vec<Value>> {
    rows(url, "select id, name from t order by id")
}

fn hostile_params(backend: Backend) {
    let Some(db) = rt().block_on(TestDb::create(backend)) else {
        return;
    };
    target_table(&db.url);
    exec(&db.url, &["create table seen (v text)"]);
    let before = names(&db.url);
    let env = Env::new();
    let out = env.path("shell-out");
    let marker = env.path("marker");
    env.apply("hostile.toml", &plan("hostile", "params.s", &db.url, &out));
    let values = hostile(&marker);
    for (i, v) in values.iter().enumerate() {
        let param = format!("s={v}");
        let (ok, text) = env.run(&[
            "plan",
            "run",
            "hostile",
            "--param",
            &param,
            "--reason",
            "test",
            "--confirm",
            "hostile",
        ]);
        let logs = env.logs(env.last_run());
        assert!(ok, "value {i}: {}\n{logs:#}", &text[..text.len().min(2000)]);
        // The shell got the value as data, byte for byte; SQL bound it: it matched no name,
        // deleted nothing, and was stored as it was sent.
        assert_eq!(&std::fs::read_to_string(&out).unwrap(), v, "value {i}");
        assert_eq!(seen(&db.url, v), 1, "value {i} stored verbatim");
        assert_eq!(step(&logs, "delete-by-name")["status"], "succeeded");
        assert_eq!(count(&db.url, "seen"), i64::try_from(i).unwrap() + 1);
    }
    assert_no_marker(&marker);
    assert_eq!(names(&db.url), before, "the target table is unchanged");
    // A dry run with the classic injection changes nothing either.
    let (ok, text) = env.run(&[
        "plan",
        "run",
        "hostile",
        "--param",
        "s=x'; DELETE FROM t; --",
        "--dry-run",
        "--yes",
    ]);
    assert!(ok, "{text}");
    let logs = env.logs(env.last_run());
    assert_eq!(step(&logs, "record")["status"], "skipped", "{logs:#}");
    assert_eq!(count(&db.url, "seen"), 9);
    assert_eq!(names(&db.url), before);
    rt().block_on(db.cleanup());
}

#[test]
fn hostile_params_are_data_on_sqlite() {
    hostile_params(Backend::Sqlite);
}

#[test]
fn hostile_params_are_data_on_mariadb() {
    hostile_params(Backend::MySql);
}

#[test]
fn hostile_params_are_data_on_postgres() {
    hostile_params(Backend::Postgres);
}

/// Labels of events posted through the real endpoint, read by a run launched with `--event N`.
fn hostile_event_labels(backend: Backend) {
    let Some(db) = rt().block_on(TestDb::create(backend)) else {
        return;
    };
    target_table(&db.url);
    exec(&db.url, &["create table seen (v text)"]);
    let before = names(&db.url);
    let env = Env::new();
    let out = env.path("shell-out");
    let marker = env.path("marker");
    env.apply(
        "ev.toml",
        &plan("from-event", "event.labels.s", &db.url, &out),
    );
    let mut values = hostile(&marker);
    values.truncate(8); // the 10 KB one is covered by --param; labels stay short
    values.push(format!("nul\u{0}byte; touch {}.8", marker.display()));
    let events: Vec<Value> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            json!({"title": format!("hostile {i}"), "level": "P1", "fingerprint": format!("hostile-{i}"),
                   "labels": {"s": v}})
        })
        .collect();
    assert_eq!(env.post_events(&Value::Array(events)), 200);
    for (i, v) in values.iter().enumerate() {
        let id = env.event_id(&format!("hostile-{i}")).to_string();
        let (ok, text) = env.run(&[
            "plan",
            "run",
            "from-event",
            "--event",
            &id,
            "--reason",
            "test",
            "--confirm",
            "from-event",
        ]);
        if v.contains('\u{0}') {
            // A NUL cannot be in an environment variable (nor in PostgreSQL text): ingest removes
            // it from the label (issue 11), or the run fails at that step. Either way nothing
            // ran: no marker and the table unchanged, checked after the loop.
            let _ = (ok, text);
            continue;
        }
        let logs = env.logs(env.last_run());
        assert!(ok, "label {i}: {text}\n{logs:#}");
        assert_eq!(&std::fs::read_to_string(&out).unwrap(), v, "label {i}");
        assert_eq!(seen(&db.url, v), 1, "label {i} stored verbatim");
    }
    assert_no_marker(&marker);
    assert_eq!(names(&db.url), before, "the target table is unchanged");
    rt().block_on(db.cleanup());
}

#[test]
fn hostile_event_labels_are_data_on_sqlite() {
    hostile_event_labels(Backend::Sqlite);
}

#[test]
fn hostile_event_labels_are_data_on_mariadb() {
    hostile_event_labels(Backend::MySql);
}

#[test]
fn hostile_event_labels_are_data_on_postgres() {
    hostile_event_labels(Backend::Postgres);
}

/// A component's endpoints and labels, expanded into an inspection's probes (`{host}`,
/// `{labels.owner}`): an environment variable of a command probe, a bound arg of a sql probe.
fn hostile_component(backend: Backend) {
    let Some(db) = rt().block_on(TestDb::create(backend)) else {
        return;
    };
    target_table(&db.url);
    let before = names(&db.url);
    let env = Env::new();
    let out = env.path("probe-out");
    let marker = env.path("marker");
    let host = format!(
        "$(touch {}.1); `touch {}.2`",
        marker.display(),
        marker.display()
    );
    let owner = "x'; DELETE FROM t; --";
    env.apply(
        "comp.toml",
        &format!(
            r#"
[[component]]
name = "evil"
kind = "evil"
layer = "database"
labels = {{ owner = "{owner}" }}
endpoints = {{ host = "{host}", dsn = "{dsn}" }}

[[rule]]
name = "evil-shell"
probe = {{ kind = "command", script = 'printf "%s" "$H" > "$OUT"', params = {{ H = "{{host}}", OUT = "{out}" }} }}
condition = "[EXIT_CODE] == 0"
targets = {{ kind = "evil" }}

[[rule]]
name = "evil-sql"
probe = {{ kind = "sql", query = "select count(*) from t where name = ?", args = ["{{labels.owner}}"] }}
condition = "[VALUE] == 0"
targets = {{ kind = "evil" }}

[[task]]
name = "evil"
rules = ["evil-shell", "evil-sql"]
every = "1h"
"#,
            dsn = db.url,
            out = out.display(),
        ),
    );
    let (ok, text) = env.run(&["inspect", "run", "evil", "--timeout", "60"]);
    assert!(ok, "both checks pass: {text}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), host);
    assert_no_marker(&marker);
    assert_eq!(names(&db.url), before, "the target table is unchanged");
    rt().block_on(db.cleanup());
}

#[test]
fn hostile_component_endpoints_are_data_on_sqlite() {
    hostile_component(Backend::Sqlite);
}

#[test]
fn hostile_component_endpoints_are_data_on_mariadb() {
    hostile_component(Backend::MySql);
}

#[test]
fn hostile_component_endpoints_are_data_on_postgres() {
    hostile_component(Backend::Postgres);
}

/// A Redis command takes values as separate arguments: whatever a value holds (CRLF, an inline
/// command, quotes) it is one bulk string, and no other command runs.
#[test]
fn redis_arguments_are_data() {
    if !require_program("/usr/bin/redis-server", "redis-server") {
        return;
    }
    let env = Env::new();
    let port = free_port();
    let _redis = safe::redis(env.sb.dir.path(), port);
    env.apply(
        "redis.toml",
        &format!(
            r#"
[[plan]]
name = "redis-set"
[[plan.param]]
name = "s"
kind = "string"
[[plan.step]]
id = "set"
danger = "G2"
op = {{ kind = "redis", addr = "127.0.0.1:{port}", command = ["SET", "k", "{{{{params.s}}}}"], expect = "OK" }}
"#
        ),
    );
    for v in [
        "x\r\nFLUSHALL\r\nSET pwned 1\r\n",
        "\"a\" \"b\" ; DEL k",
        "*1\r\n$8\r\nFLUSHALL\r\n",
    ] {
        let (ok, text) = env.run(&[
            "plan",
            "run",
            "redis-set",
            "--param",
            &format!("s={v}"),
            "--reason",
            "test",
        ]);
        assert!(ok, "{text}");
        let cli = |args: &[&str]| {
            let o = std::process::Command::new("redis-cli")
                .args(["-p", &port.to_string(), "--no-raw"])
                .args(args)
                .output()
                .unwrap();
            String::from_utf8_lossy(&o.stdout).trim().to_owned()
        };
        assert_eq!(cli(&["DBSIZE"]), "(integer) 1", "only k exists");
        let raw = std::process::Command::new("redis-cli")
            .args(["-p", &port.to_string(), "--raw", "GET", "k"])
            .output()
            .unwrap()
            .stdout;
        let got = String::from_utf8_lossy(&raw).into_owned();
        // (A parameter's value is trimmed when it is resolved.)
        assert_eq!(got.strip_suffix('\n'), Some(v.trim()));
    }
}
