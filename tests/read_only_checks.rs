//! Dry runs and checks really read only (issue 10): a probe's query, a plan's pre/postchecks and
//! every step of a dry run run in a read-only transaction on the target (`START TRANSACTION READ
//! ONLY` on MariaDB, `BEGIN READ ONLY` on PostgreSQL, `PRAGMA query_only` on SQLite), so even a
//! write the parser cannot see — hidden in a function — is refused by the database itself, with
//! its own read-only error. Rows are counted before and after on each backend.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;
mod safe;

use common::{Backend, TestDb};
use nightwatch::store::{Access, TargetStatement, execute_target, execute_target_as, query_target};
use safe::{Env, T, count, exec, rt, step, target_table};

/// The database's own words for "this transaction is read-only".
fn read_only_error(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "attempt to write a readonly database",
        Backend::MySql => "READ ONLY transaction",
        Backend::Postgres => "read-only transaction",
    }
}

/// A function that writes behind a SELECT: what a parser cannot see. SQLite has none (its SQL
/// cannot define functions), so there the write is written plainly (bypassing `apply`, which
/// refuses it).
fn smuggle(backend: Backend, url: &str) -> &'static str {
    match backend {
        Backend::MySql => {
            exec(
                url,
                &[
                    "create function nw_smuggle() returns int modifies sql data begin insert into t (id, name) values (99, 'smuggled'); return 1; end",
                ],
            );
            "select nw_smuggle()"
        }
        Backend::Postgres => {
            exec(
                url,
                &[
                    "create function nw_smuggle() returns int language sql as $$ insert into t (id, name) values (99, 'smuggled') returning 1 $$",
                ],
            );
            "select nw_smuggle()"
        }
        Backend::Sqlite => "insert into t (id, name) values (99, 'smuggled')",
    }
}

fn statement(sql: &str, is_query: bool) -> TargetStatement {
    TargetStatement {
        sql: sql.into(),
        is_query,
        ..TargetStatement::default()
    }
}

fn read_only_transactions_refuse_writes(backend: Backend) {
    let Some(db) = rt().block_on(TestDb::create(backend)) else {
        return;
    };
    target_table(&db.url);
    let sql = smuggle(backend, &db.url);
    let is_query = sql.starts_with("select");
    let want = read_only_error(backend);
    // A probe's query and a check's statements: refused by the database, nothing written.
    let e = rt()
        .block_on(query_target(&db.url, sql, T))
        .unwrap_err()
        .to_string();
    assert!(e.contains(want), "{backend:?}: {e}");
    let e = rt()
        .block_on(execute_target_as(
            &db.url,
            &[statement(sql, is_query)],
            T,
            Access::ReadOnly,
        ))
        .unwrap_err()
        .to_string();
    assert!(e.contains(want), "{backend:?}: {e}");
    let e = rt()
        .block_on(execute_target_as(
            &db.url,
            &[statement("delete from t", false)],
            T,
            Access::ReadOnly,
        ))
        .unwrap_err()
        .to_string();
    assert!(e.contains(want), "{backend:?}: {e}");
    assert_eq!(count(&db.url, "t"), 3);
    // Reading works read-only…
    let done = rt()
        .block_on(execute_target_as(
            &db.url,
            &[statement("select * from t", true)],
            T,
            Access::ReadOnly,
        ))
        .unwrap();
    assert_eq!(done.affected, vec![3]);
    // …and the same smuggled statement really writes when the transaction may: the guard is
    // what stopped it.
    rt().block_on(execute_target(&db.url, &[statement(sql, is_query)], T))
        .unwrap();
    assert_eq!(count(&db.url, "t"), 4);
    rt().block_on(db.cleanup());
}

#[test]
fn read_only_transactions_refuse_writes_on_sqlite() {
    read_only_transactions_refuse_writes(Backend::Sqlite);
}

#[test]
fn read_only_transactions_refuse_writes_on_mariadb() {
    read_only_transactions_refuse_writes(Backend::MySql);
}

#[test]
fn read_only_transactions_refuse_writes_on_postgres() {
    read_only_transactions_refuse_writes(Backend::Postgres);
}

/// A precheck that runs `sql` as a sql step (`op`) or as a gate's probe (`gate`).
fn check(kind: &str, sql: &str) -> String {
    match kind {
        "op" => format!(
            "[[plan.precheck]]\nid = \"smuggled\"\ndanger = \"G1\"\ntarget = \"target-db\"\nop = {{ kind = \"sql\", statement = \"{sql}\" }}\n"
        ),
        _ => format!(
            "[[plan.precheck]]\nid = \"smuggled\"\ntarget = \"target-db\"\nop = {{ kind = \"wait_until\", probe = {{ kind = \"sql\", query = \"{sql}\" }}, condition = \"[VALUE] == 1\", deadline = \"3s\", interval = \"1s\" }}\n"
        ),
    }
}

fn plan(dsn: &str, name: &str, extra: &str) -> String {
    format!(
        r#"
[[component]]
name = "target-db"
kind = "db"
layer = "database"
endpoints = {{ dsn = "{dsn}" }}

[[plan]]
name = "{name}"

[[plan.precheck]]
id = "rows"
danger = "G1"
target = "target-db"
op = {{ kind = "sql", statement = "select * from t", expect_rows = 3 }}

{extra}
[[plan.step]]
id = "wipe"
danger = "G3"
target = "target-db"
op = {{ kind = "sql", statement = "delete from t" }}
"#
    )
}

/// A dry run of a plan whose step would write changes nothing; its checks ran read-only, and a
/// write smuggled into a check (a function, on MariaDB and PostgreSQL; as a sql step and as a
/// gate's probe) failed with the database's read-only error.
fn dry_runs_change_nothing(backend: Backend) {
    let Some(db) = rt().block_on(TestDb::create(backend)) else {
        return;
    };
    target_table(&db.url);
    let env = Env::new();
    let mut plans = vec![("plain", String::new())];
    if backend != Backend::Sqlite {
        let sql = smuggle(backend, &db.url);
        plans.push(("via-op", check("op", sql)));
        plans.push(("via-gate", check("gate", sql)));
    }
    for (name, extra) in &plans {
        env.apply(&format!("{name}.toml"), &plan(&db.url, name, extra));
        let (ok, out) = env.run(&["plan", "run", name, "--dry-run", "--yes"]);
        let logs = env.logs(env.last_run());
        let rows = step(&logs, "rows");
        assert_eq!(rows["status"], "succeeded", "{logs:#}");
        assert!(
            rows["output"]
                .as_str()
                .unwrap()
                .contains("(one read-only transaction)"),
            "{rows}"
        );
        let wipe = &step(&logs, "wipe")["status"];
        if extra.is_empty() {
            assert!(ok, "{out}");
            assert_eq!(logs["run"]["status"], "succeeded", "{logs:#}");
            assert_eq!(wipe, "skipped", "{logs:#}");
        } else {
            assert!(!ok, "{out}");
            assert_eq!(logs["run"]["status"], "failed", "{logs:#}");
            // The failed check ended the run before any step.
            assert_eq!(wipe, "pending", "{logs:#}");
            let s = step(&logs, "smuggled");
            assert_eq!(s["status"], "failed", "{s}");
            let text = format!("{} {}", s["message"], s["output"]);
            assert!(text.contains(read_only_error(backend)), "{name}: {text}");
        }
        assert_eq!(count(&db.url, "t"), 3, "{name}: nothing changed");
    }
    rt().block_on(db.cleanup());
}

#[test]
fn dry_runs_change_nothing_on_sqlite() {
    dry_runs_change_nothing(Backend::Sqlite);
}

#[test]
fn dry_runs_change_nothing_on_mariadb() {
    dry_runs_change_nothing(Backend::MySql);
}

#[test]
fn dry_runs_change_nothing_on_postgres() {
    dry_runs_change_nothing(Backend::Postgres);
}

/// A plan stored before `apply` refused writes in checks (written into the store directly here)
/// is refused at launch: it never runs as it is.
#[test]
fn a_stored_plan_with_a_write_in_a_check_is_refused_at_launch() {
    let Some(db) = rt().block_on(TestDb::create(Backend::Sqlite)) else {
        return;
    };
    target_table(&db.url);
    let env = Env::new();
    env.apply("wipe.toml", &plan(&db.url, "wipe", ""));
    let row = env.json(&["plan", "show", "wipe", "-o", "json"]);
    let mut def = row["definition"].clone();
    def["precheck"][0]["op"]["statements"][0]["sql"] = "delete from t".into();
    let store = rt()
        .block_on(nightwatch::store::Store::connect(
            &env.url,
            &nightwatch::store::ConnectOptions::default(),
        ))
        .unwrap();
    rt().block_on(store.upsert_plan(
        "wipe",
        &def.to_string(),
        "old",
        "G3",
        false,
        "old-version",
        1,
    ))
    .unwrap();
    let (ok, out) = env.run(&["plan", "run", "wipe", "--dry-run", "--yes"]);
    assert!(
        !ok && out.contains("no longer passes the checks of `apply`")
            && out.contains("a precheck only reads"),
        "{out}"
    );
    assert_eq!(count(&db.url, "t"), 3);
}
