//! Emergency plans end to end: a real engine (`nightwatch serve` on the embedded SQLite) executes
//! runs launched with the CLI, against real components: the built-in git storage failover on a
//! real MariaDB `node` table, the built-in Redis master switch on a real primary/replica pair, a
//! rollback that really restores, a dry run that executes nothing, graded confirmation and
//! read-only refusals, and `kill -9` of the engine in the middle of a step.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use std::time::Duration;

use common::{Backend, Proc, Sandbox, TestDb, free_port, json_of, serve, wait_until};
use nightwatch::store::{TargetStatement, execute_target, query_target};
use serde_json::Value;

const REDIS: &str = "/usr/bin/redis-server";
const T: Duration = Duration::from_secs(20);

/// A sandbox with its own embedded SQLite and an engine serving it.
struct Env {
    sb: Sandbox,
    url: String,
    engine: Option<Proc>,
}

impl Env {
    fn new() -> Env {
        let sb = Sandbox::new();
        let url = format!("sqlite://{}/nw.db?mode=rwc", sb.dir.path().display());
        let (engine, _) = serve(&sb, &url, &[]);
        Env {
            sb,
            url,
            engine: Some(engine),
        }
    }

    fn run(&self, args: &[&str]) -> (bool, String) {
        self.sb
            .run(&[&["--database-url", self.url.as_str()][..], args].concat())
    }

    fn json(&self, args: &[&str]) -> Value {
        json_of(
            &self.sb,
            &[&["--database-url", self.url.as_str()][..], args].concat(),
        )
    }

    fn apply(&self, name: &str, text: &str) {
        let path = self.sb.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let (ok, out) = self.run(&["apply", path.to_str().unwrap()]);
        assert!(ok, "{out}");
    }

    fn runs(&self) -> Vec<Value> {
        self.json(&["plan", "runs", "-o", "json"])
            .as_array()
            .unwrap()
            .clone()
    }

    fn logs(&self, run: i64) -> Value {
        self.json(&["plan", "logs", &run.to_string(), "-o", "json"])
    }

    /// Wait until run `id` has `status`, returning its logs.
    fn wait_status(&self, id: i64, status: &str, secs: u64) -> Value {
        wait_until(&format!("run {id} {status}"), secs, || {
            let l = self.logs(id);
            (l["run"]["status"] == status).then_some(l)
        })
    }
}

fn step<'a>(logs: &'a Value, id: &str) -> &'a Value {
    logs["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step_id"] == id)
        .unwrap_or_else(|| panic!("no step {id} in {logs}"))
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

fn exec(url: &str, sql: &[&str]) {
    let statements: Vec<TargetStatement> = sql
        .iter()
        .map(|s| TargetStatement {
            sql: (*s).to_owned(),
            ..TargetStatement::default()
        })
        .collect();
    rt().block_on(execute_target(url, &statements, T)).unwrap();
}

fn rows(url: &str, sql: &str) -> Vec<Vec<Value>> {
    rt().block_on(query_target(url, sql, T)).unwrap().rows
}

#[test]
fn git_storage_failover_on_a_real_mariadb_node_table() {
    let Some(db) = rt().block_on(TestDb::create(Backend::MySql)) else {
        return;
    };
    exec(
        &db.url,
        &[
            "create table node (id int primary key, pod_id int not null, node_type int not null, status int not null)",
            // Pod 1: node 1 is the dead master, 2 a mirror, 3 the online backup. Pod 2 untouched.
            "insert into node values (1, 1, 0, 0), (2, 1, 1, 1), (3, 1, 2, 1), (4, 2, 0, 1), (5, 2, 2, 1)",
        ],
    );
    let env = Env::new();
    env.apply(
        "git.toml",
        &format!(
            "[[component]]\nname = \"batmanshard-db\"\nkind = \"mysql\"\nlayer = \"database\"\napp = \"batmanshard\"\nendpoints = {{ dsn = \"{}\" }}\n\n\
             [[task]]\nname = \"git-check\"\nrules = [\"git-storage-one-master\"]\nevery = \"1h\"\n",
            db.url
        ),
    );
    // The built-in inspection rule finds pod 1 without an online master: a P0 risk event, for
    // which the built-in scenario recommends the failover with the database filled in.
    let (ok, out) = env.run(&["inspect", "run", "git-check", "--timeout", "60"]);
    assert!(!ok && out.contains("git-storage-one-master"), "{out}");
    let events = env.json(&["events", "list", "source:inspection", "-o", "json"]);
    let event = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["fingerprint"] == "inspection:git-storage-one-master:batmanshard-db")
        .unwrap_or_else(|| panic!("{events}"))
        .clone();
    assert_eq!(event["level"], "P0");
    let event_id = event["id"].as_i64().unwrap().to_string();
    let shown = env.json(&["events", "show", &event_id, "-o", "json"]);
    let top = &shown["recommended_plans"][0];
    assert_eq!(top["plan"], "git-storage-failover", "{shown}");
    assert_eq!(top["params"]["database"], "batmanshard-db", "{shown}");
    let base = [
        "plan",
        "run",
        "git-storage-failover",
        "--param",
        "database=batmanshard-db",
        "--param",
        "pod_id=1",
        "--param",
        "dead_node=1",
        "--param",
        "backup_node=3",
        "--reason",
        "CR-42 git node 1 down",
        "--event",
        &event_id,
    ];
    // G3: without the typed target, or with the wrong one, nothing is queued.
    let (ok, out) = env.run(&base);
    assert!(!ok && out.contains("--confirm batmanshard-db"), "{out}");
    let (ok, out) = env.run(&[&base[..], &["--confirm", "batmanshard"]].concat());
    assert!(!ok && out.contains("is not the target"), "{out}");
    assert!(env.runs().is_empty(), "a refused launch queues nothing");

    let (ok, out) = env.run(&[&base[..], &["--confirm", "batmanshard-db"]].concat());
    assert!(ok, "{out}");
    let run = env.runs()[0]["id"].as_i64().unwrap();
    let logs = env.logs(run);
    assert_eq!(logs["run"]["status"], "succeeded", "{logs}");
    assert_eq!(logs["run"]["version"], 1);
    assert_eq!(step(&logs, "swap")["status"], "succeeded");
    assert_eq!(
        step(&logs, "one-master")["status"],
        "succeeded",
        "postcheck verified"
    );
    assert_eq!(step(&logs, "swap-back")["status"], "pending", "no rollback");
    let table = rows(&db.url, "select id, node_type from node order by id");
    let types: Vec<(i64, i64)> = table
        .iter()
        .map(|r| (r[0].as_i64().unwrap(), r[1].as_i64().unwrap()))
        .collect();
    assert_eq!(types, [(1, 2), (2, 1), (3, 0), (4, 0), (5, 2)]);
    // The check passes again and resolves the event; the run is on the event's timeline.
    let (ok, out) = env.run(&["inspect", "run", "git-check", "--timeout", "60"]);
    assert!(ok, "{out}");
    let shown = env.json(&["events", "show", &event_id, "-o", "json"]);
    assert_eq!(shown["event"]["status"], "resolved", "{shown}");
    let timeline: Vec<String> = shown["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            format!(
                "{} {}",
                l["kind"].as_str().unwrap(),
                l["message"].as_str().unwrap()
            )
        })
        .collect();
    for want in [
        format!("plan-started plan git-storage-failover v1 queued as run {run}"),
        format!("plan-finished plan git-storage-failover v1 run {run}: succeeded"),
    ] {
        assert!(timeline.contains(&want), "{want} in {timeline:?}");
    }
    // Run again: the precheck finds node 1 is no longer master, and nothing changes.
    let (ok, out) = env.run(&[&base[..], &["--confirm", "batmanshard-db"]].concat());
    assert!(!ok && out.contains("precheck failed"), "{out}");
    let again = rows(&db.url, "select id, node_type from node order by id");
    assert_eq!(again, table);
    drop(env);
    rt().block_on(db.cleanup());
}

fn redis(dir: &std::path::Path, port: u16, extra: &[&str]) -> Proc {
    let child = std::process::Command::new(REDIS)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
        .arg("--dir")
        .arg(dir)
        .args(extra)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_until("redis-server listening", 20, || {
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    });
    Proc(child)
}

fn role(port: u16) -> (String, String) {
    let out = std::process::Command::new("redis-cli")
        .args(["-p", &port.to_string(), "info", "replication"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{k}:")).map(str::to_owned))
            .unwrap_or_default()
    };
    (field("role"), field("master_port"))
}

#[test]
fn redis_master_switch_on_a_real_primary_and_replica() {
    if !common::require_program(REDIS, "redis-server") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (free_port(), free_port());
    let _primary = redis(dir.path(), a, &[]);
    let _replica = redis(
        dir.path(),
        b,
        &[
            "--replicaof",
            "127.0.0.1",
            &a.to_string(),
            "--dbfilename",
            "b.rdb",
        ],
    );
    wait_until("the replica linked", 20, || {
        (role(b).0 == "slave").then_some(())
    });
    let env = Env::new();
    env.apply(
        "redis.toml",
        &format!(
            "[[component]]\nname = \"redis-a\"\nkind = \"redis\"\nlayer = \"storage\"\nendpoints = {{ host = \"127.0.0.1\", port = {a} }}\n\n\
             [[component]]\nname = \"redis-b\"\nkind = \"redis\"\nlayer = \"storage\"\nendpoints = {{ host = \"127.0.0.1\", port = {b} }}\n"
        ),
    );
    let (ok, out) = env.run(&[
        "plan",
        "run",
        "redis-master-switch",
        "--param",
        "new_master=redis-b",
        "--param",
        "new_master_host=127.0.0.1",
        "--param",
        &format!("new_master_port={b}"),
        "--param",
        "old_master=redis-a",
        "--reason",
        "redis-a lost its disk",
        "--confirm",
        "redis-b",
    ]);
    assert!(ok, "{out}");
    let run = env.runs()[0]["id"].as_i64().unwrap();
    let logs = env.logs(run);
    assert_eq!(step(&logs, "promote")["status"], "succeeded", "{logs}");
    assert_eq!(step(&logs, "repoint-old-master")["status"], "succeeded");
    assert_eq!(
        step(&logs, "repoint-forwarder")["status"],
        "skipped",
        "no forwarder given"
    );
    assert_eq!(
        step(&logs, "role")["status"],
        "succeeded",
        "postcheck: INFO replication"
    );
    assert_eq!(role(b).0, "master");
    assert_eq!(role(a), ("slave".to_owned(), b.to_string()));
}

#[test]
fn a_failed_step_rolls_back_and_really_restores() {
    let env = Env::new();
    let ledger = env.sb.dir.path().join("ledger.db");
    let dsn = format!("sqlite://{}?mode=rwc", ledger.display());
    exec(
        &dsn,
        &[
            "create table t (id integer primary key, v text not null)",
            "insert into t values (1, 'original')",
        ],
    );
    env.apply(
        "rollback.toml",
        &format!(
            r#"[[component]]
name = "ledger"
kind = "sqlite"
layer = "database"
endpoints = {{ dsn = "{dsn}" }}

[[plan]]
name = "rollback-demo"
title = "Change a row, fail, undo"

[[plan.step]]
id = "mark"
danger = "G3"
target = "ledger"
op = {{ kind = "sql", statement = "update t set v = 'changed' where id = 1", expect_rows = 1 }}

[[plan.step]]
id = "check"
danger = "G1"
on_failure = "rollback"
op = {{ kind = "command", script = "echo the service did not come back; exit 3" }}

[[plan.step]]
id = "never"
danger = "G1"
op = {{ kind = "command", script = "echo must not run" }}

[[plan.rollback]]
id = "restore"
danger = "G3"
target = "ledger"
when = "[mark.status] == succeeded"
op = {{ kind = "sql", statement = "update t set v = 'original' where id = 1", expect_rows = 1 }}
"#
        ),
    );
    let (ok, out) = env.run(&[
        "plan",
        "run",
        "rollback-demo",
        "--reason",
        "drill",
        "--confirm",
        "rollback-demo",
    ]);
    assert!(!ok && out.contains("rolled_back"), "{out}");
    let run = env.runs()[0]["id"].as_i64().unwrap();
    let logs = env.logs(run);
    assert_eq!(logs["run"]["status"], "rolled_back", "{logs}");
    assert_eq!(step(&logs, "mark")["status"], "succeeded");
    assert_eq!(
        serde_json::from_str::<Value>(step(&logs, "mark")["values_json"].as_str().unwrap())
            .unwrap()["ROWS"],
        1,
        "the change was made"
    );
    let check = step(&logs, "check");
    assert_eq!(check["status"], "failed");
    assert!(
        check["output"]
            .as_str()
            .unwrap()
            .contains("the service did not come back"),
        "{check}"
    );
    assert_eq!(step(&logs, "never")["status"], "pending");
    assert_eq!(step(&logs, "restore")["status"], "succeeded");
    assert_eq!(
        rows(&dsn, "select v from t where id = 1"),
        [[Value::from("original")]]
    );
}

const TOUCH_PLAN: &str = r#"
[[plan]]
name = "touch-file"
title = "Create a file"

[[plan.param]]
name = "file"
kind = "string"

[[plan.precheck]]
id = "look"
danger = "G1"
op = { kind = "command", script = "echo checking $(dirname \"$F\")", env = { F = "{{params.file}}" } }

[[plan.step]]
id = "touch"
danger = "G2"
op = { kind = "command", script = "touch \"$F\"", env = { F = "{{params.file}}" } }
"#;

#[test]
fn a_dry_run_executes_nothing_and_read_only_refuses_every_change() {
    let env = Env::new();
    env.apply("touch.toml", TOUCH_PLAN);
    let file = env.sb.dir.path().join("created-by-the-plan");
    let param = format!("file={}", file.display());
    let (ok, out) = env.run(&[
        "plan",
        "run",
        "touch-file",
        "--param",
        &param,
        "--dry-run",
        "--yes",
    ]);
    assert!(ok, "{out}");
    let run = env.runs()[0]["id"].as_i64().unwrap();
    let logs = env.logs(run);
    assert_eq!(logs["run"]["status"], "succeeded", "{logs}");
    assert_eq!(logs["run"]["dry_run"], true);
    let look = step(&logs, "look");
    assert_eq!(
        look["status"], "succeeded",
        "the G1 precheck runs in a dry run"
    );
    assert!(
        look["output"].as_str().unwrap().contains("checking"),
        "{look}"
    );
    let touch = step(&logs, "touch");
    assert_eq!(touch["status"], "skipped");
    let message = touch["message"].as_str().unwrap();
    assert!(
        message.starts_with("dry run: would run") && message.contains("touch"),
        "{message}"
    );
    assert!(!file.exists(), "a dry run created the file");

    // Malformed and huge parameters: a clear, bounded error; an unknown one names the known ones.
    let (ok, out) = env.run(&["plan", "run", "touch-file", "--param", "file"]);
    assert!(!ok && out.contains("expected NAME=VALUE"), "{out}");
    let huge = format!("{}=1", "x".repeat(100_000));
    let (ok, out) = env.run(&["plan", "run", "touch-file", "--param", &huge, "--yes"]);
    assert!(!ok && out.len() < 400, "bounded: {} bytes", out.len());
    let (ok, out) = env.run(&["plan", "run", "touch-file", "--param", "fiel=/x", "--yes"]);
    assert!(!ok && out.contains("plan touch-file takes file"), "{out}");
    // G2 without a reason is refused; then read-only refuses launch, abort, pause, resume, skip.
    let (ok, out) = env.run(&["plan", "run", "touch-file", "--param", &param]);
    assert!(!ok && out.contains("give a reason"), "{out}");
    let ro = |args: &[&str]| env.run(&[&["--read-only"][..], args].concat());
    let id = run.to_string();
    for args in [
        &[
            "plan",
            "run",
            "touch-file",
            "--param",
            &param,
            "--reason",
            "r",
        ][..],
        &["plan", "abort", &id, "--reason", "r"],
        &["plan", "pause", &id],
        &[
            "plan",
            "resume",
            &id,
            "--from",
            "2",
            "--skip",
            "--reason",
            "r",
            "--confirm",
            "touch-file",
        ],
        &["plan", "approve", &id],
    ] {
        let (ok, out) = ro(args);
        assert!(!ok && out.contains("read-only"), "{args:?}: {out}");
    }
    assert_eq!(env.runs().len(), 1, "nothing was queued");
    assert!(!file.exists());
    // For real: the file appears.
    let (ok, out) = env.run(&[
        "plan",
        "run",
        "touch-file",
        "--param",
        &param,
        "--reason",
        "r",
    ]);
    assert!(ok && file.exists(), "{out}");
}

#[test]
fn kill_9_of_the_engine_mid_step_interrupts_the_run_and_only_a_resume_runs_it_again() {
    let mut env = Env::new();
    let marker = env.sb.dir.path().join("first-attempt");
    let second = env.sb.dir.path().join("second-step");
    env.apply(
        "slow.toml",
        &format!(
            r#"[[plan]]
name = "slow"

[[plan.step]]
id = "long"
danger = "G2"
op = {{ kind = "command", script = "if [ -e \"$M\" ]; then echo again; else touch \"$M\"; echo started; exec sleep 30; fi", env = {{ M = "{}" }} }}

[[plan.step]]
id = "after"
danger = "G2"
op = {{ kind = "command", script = "touch \"$S\"", env = {{ S = "{}" }} }}
"#,
            marker.display(),
            second.display()
        ),
    );
    let (ok, out) = env.run(&["plan", "run", "slow", "--reason", "drill", "--no-wait"]);
    assert!(ok, "{out}");
    let run = env.runs()[0]["id"].as_i64().unwrap();
    wait_until("step long running with its output", 30, || {
        let l = env.logs(run);
        let s = step(&l, "long");
        (s["status"] == "running" && s["output"].as_str().unwrap_or("").contains("started"))
            .then_some(())
    });
    // SIGKILL: no cleanup, no lease release.
    drop(env.engine.take());
    // Another engine takes over the database; the run's lease expires (3 s here).
    let (_b, _) = serve(&env.sb, &env.url, &[]);
    let logs = env.wait_status(run, "interrupted", 30);
    let long = step(&logs, "long");
    assert_eq!(
        (long["status"].as_str(), long["attempts"].as_i64()),
        (Some("interrupted"), Some(1))
    );
    assert_eq!(step(&logs, "after")["status"], "pending");
    // Not re-run by itself: still interrupted, one attempt, well after the lease expired.
    let lease_ms = 3_000;
    let interrupted_at = logs["run"]["finished_at"].as_i64().unwrap();
    wait_until("two more leases to pass", 15, || {
        (nightwatch::domain::time::now_ms() > interrupted_at + 2 * lease_ms).then_some(())
    });
    let logs = env.logs(run);
    assert_eq!(logs["run"]["status"], "interrupted");
    assert_eq!(step(&logs, "long")["attempts"], 1);
    assert!(!second.exists());
    // Resuming an interrupted run is G3: the plan's name must be typed. (The CLI shows a run
    // whose engine is gone as interrupted before the surviving engine has recorded it so; resume
    // reads the recorded state, so wait for that.)
    let out = wait_until("the run recorded as interrupted", 30, || {
        let (ok, out) = env.run(&[
            "plan",
            "resume",
            &run.to_string(),
            "--from",
            "long",
            "--reason",
            "checked by hand",
        ]);
        (!ok && !out.contains("is running")).then_some(out)
    });
    assert!(out.contains("--confirm slow"), "{out}");
    let (ok, out) = env.run(&[
        "plan",
        "resume",
        &run.to_string(),
        "--from",
        "long",
        "--reason",
        "checked by hand",
        "--confirm",
        "slow",
    ]);
    assert!(ok, "{out}");
    let logs = env.wait_status(run, "succeeded", 30);
    assert!(
        step(&logs, "long")["output"]
            .as_str()
            .unwrap()
            .contains("again"),
        "{logs}"
    );
    assert!(second.exists());
    // No `pkill` here: the killed engine's `sleep` died with it (the leash; tests/safe_exec.rs).
}

/// With no engine left to notice, `plan resume` itself records a run whose engine was killed as
/// interrupted (the database, not only the display), then resumes it under the G3 rule.
#[test]
fn resume_records_a_run_whose_engine_was_killed_as_interrupted_without_a_surviving_engine() {
    let mut env = Env::new();
    let marker = env.sb.dir.path().join("first-attempt");
    env.apply(
        "slow.toml",
        &format!(
            r#"[[plan]]
name = "slow"

[[plan.step]]
id = "long"
danger = "G2"
op = {{ kind = "command", script = "if [ -e \"$M\" ]; then echo again; else touch \"$M\"; echo started; exec sleep 30; fi", env = {{ M = "{}" }} }}
"#,
            marker.display()
        ),
    );
    let (ok, out) = env.run(&["plan", "run", "slow", "--reason", "drill", "--no-wait"]);
    assert!(ok, "{out}");
    let run = env.runs()[0]["id"].as_i64().unwrap();
    wait_until("step long running", 30, || {
        let l = env.logs(run);
        (step(&l, "long")["status"] == "running").then_some(())
    });
    drop(env.engine.take()); // SIGKILL: the lease is never released
    let recorded = |what: &str| {
        let sql = format!(
            "SELECT status FROM {what} WHERE {} = {run}",
            if what == "plan_runs" { "id" } else { "run_id" }
        );
        rows(&env.url, &sql)[0][0].as_str().unwrap().to_owned()
    };
    // The CLI shows it interrupted once the lease (3 s) expired, while the database still says
    // running: no engine is left to record it.
    env.wait_status(run, "interrupted", 30);
    assert_eq!(recorded("plan_runs"), "running");
    // resume records it (and, interrupted, asks for the G3 confirmation first).
    let (ok, out) = env.run(&[
        "plan",
        "resume",
        &run.to_string(),
        "--from",
        "long",
        "--reason",
        "checked by hand",
    ]);
    assert!(!ok, "{out}");
    assert!(out.contains("recorded as interrupted"), "{out}");
    assert!(out.contains("--confirm slow"), "{out}");
    assert_eq!(recorded("plan_runs"), "interrupted");
    assert_eq!(recorded("plan_run_steps"), "interrupted");
    let (ok, out) = env.run(&[
        "plan",
        "resume",
        &run.to_string(),
        "--from",
        "long",
        "--reason",
        "checked by hand",
        "--confirm",
        "slow",
    ]);
    assert!(ok, "{out}");
    assert!(
        !out.contains("recorded as interrupted"),
        "recorded once: {out}"
    );
    assert_eq!(recorded("plan_runs"), "queued");
    // A new engine runs it again from the step.
    let (_b, _) = serve(&env.sb, &env.url, &[]);
    let logs = env.wait_status(run, "succeeded", 30);
    assert!(
        step(&logs, "long")["output"]
            .as_str()
            .unwrap()
            .contains("again"),
        "{logs}"
    );
}

#[test]
fn a_g3_run_waits_for_a_second_operator_when_the_switch_is_on() {
    // The second operator is a second real account (USER is not believed: tests/operators.rs).
    let Some(bob) = common::accounts::Account::create() else {
        return;
    };
    let env = Env::new();
    let file = env.sb.dir.path().join("approved");
    env.apply(
        "g3.toml",
        &format!(
            "[[plan]]\nname = \"wipe-cache\"\n\n[[plan.step]]\nid = \"wipe\"\ndanger = \"G3\"\n\
             op = {{ kind = \"command\", script = \"touch '{}'\" }}\n",
            file.display()
        ),
    );
    let output = |o: std::process::Output| {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        (o.status.success(), text)
    };
    let as_me = |args: &[&str]| {
        output(
            env.sb
                .command()
                .env("USER", "alice")
                .args(["--database-url", env.url.as_str()])
                .args(args)
                .output()
                .unwrap(),
        )
    };
    let (ok, out) = env.run(&[
        "config",
        "set",
        "PLAN_G3_SECOND_APPROVER",
        "true",
        "--reason",
        "four eyes",
    ]);
    assert!(ok, "{out}");
    let (ok, out) = as_me(&[
        "plan",
        "run",
        "wipe-cache",
        "--reason",
        "CR-7",
        "--confirm",
        "wipe-cache",
        "--no-wait",
    ]);
    assert!(ok && out.contains("awaiting a second operator"), "{out}");
    let run = env.runs()[0]["id"].as_i64().unwrap();
    let id = run.to_string();
    assert_eq!(env.logs(run)["run"]["status"], "awaiting_approval");
    let (ok, out) = as_me(&["plan", "approve", &id, "--reason", "me"]);
    assert!(
        !ok && out.contains("a second operator must approve"),
        "{out}"
    );
    assert_eq!(
        env.logs(run)["run"]["status"],
        "awaiting_approval",
        "an engine never starts it unapproved"
    );
    assert!(!file.exists());
    common::accounts::share_sqlite(env.sb.dir.path());
    let (ok, out) = output(
        bob.nightwatch("alice")
            .args(["--database-url", env.url.as_str()])
            .args(["plan", "approve", &id, "--reason", "checked CR-7"])
            .output()
            .unwrap(),
    );
    assert!(ok, "{out}");
    let logs = env.wait_status(run, "succeeded", 30);
    assert!(
        logs["run"]["approved_by"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}@", bob.name)),
        "{logs}"
    );
    assert!(file.exists());
}

#[test]
fn parallel_groups_when_retries_and_continue_in_the_executor() {
    let env = Env::new();
    let counter = env.sb.dir.path().join("attempts");
    env.apply(
        "flow.toml",
        &format!(
            r#"[[plan]]
name = "flow"

[[plan.param]]
name = "mode"
kind = "choice"
options = ["fast", "full"]
default = "fast"

[[plan.step]]
id = "left"
danger = "G1"
group = "both"
op = {{ kind = "command", script = "sleep 1; echo left" }}

[[plan.step]]
id = "right"
danger = "G1"
group = "both"
op = {{ kind = "command", script = "sleep 1; echo '{{\"answer\": 42}}'" }}

[[plan.step]]
id = "flaky"
danger = "G1"
retries = 2
retry_delay = "100ms"
op = {{ kind = "command", script = "echo x >> \"$C\"; [ $(wc -l < \"$C\") -ge 2 ]", env = {{ C = "{}" }} }}

[[plan.step]]
id = "only-full"
danger = "G1"
when = "[params.mode] == full"
op = {{ kind = "command", script = "echo full" }}

[[plan.step]]
id = "uses-answer"
danger = "G1"
when = "[right.values.ANSWER] == 42"
on_failure = "continue"
op = {{ kind = "command", script = "echo got \"$ANSWER\"; exit 1", env = {{ ANSWER = "{{{{steps.right.values.ANSWER}}}}" }} }}

[[plan.step]]
id = "last"
danger = "G1"
op = {{ kind = "command", script = "echo last" }}
"#,
            counter.display()
        ),
    );
    let (ok, out) = env.run(&["plan", "run", "flow", "--yes"]);
    assert!(!ok && out.contains("continued past it"), "{out}");
    let run = env.runs()[0]["id"].as_i64().unwrap();
    let logs = env.logs(run);
    let (l, r) = (step(&logs, "left"), step(&logs, "right"));
    let at = |s: &Value, k: &str| s[k].as_i64().unwrap();
    assert!(
        at(l, "started_at") < at(r, "finished_at") && at(r, "started_at") < at(l, "finished_at"),
        "the group's steps overlapped: {l} {r}"
    );
    let flaky = step(&logs, "flaky");
    assert_eq!(
        (flaky["status"].as_str(), flaky["attempts"].as_i64()),
        (Some("succeeded"), Some(2))
    );
    let only = step(&logs, "only-full");
    assert_eq!(only["status"], "skipped");
    assert!(
        only["message"].as_str().unwrap().contains("is false"),
        "{only}"
    );
    let uses = step(&logs, "uses-answer");
    assert_eq!(uses["status"], "failed", "{uses}");
    assert!(
        uses["output"].as_str().unwrap().contains("got 42"),
        "{uses}"
    );
    assert_eq!(
        step(&logs, "last")["status"],
        "succeeded",
        "continue goes on"
    );
    assert_eq!(logs["run"]["status"], "failed");
}

#[test]
fn http_steps_check_their_status_and_manual_steps_wait_for_a_person() {
    let env = Env::new();
    // A local endpoint that always answers 200 (the engine's own /healthz may say 503 while its
    // database is busy on a loaded machine, which is not what this test is about).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let health = format!("http://{}/health", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        use std::io::{Read as _, Write as _};
        for mut conn in listener.incoming().map_while(Result::ok) {
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let _ = conn
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        }
    });
    env.apply(
        "runbook.toml",
        &format!(
            r#"[[plan]]
name = "runbook"

[[plan.step]]
id = "health"
danger = "G1"
op = {{ kind = "http", url = "{health}", expect_status = [200] }}

[[plan.step]]
id = "by-hand"
op = {{ kind = "manual", instructions = "restart mongod on the lost member with --replSet rs_linke" }}

[[plan.step]]
id = "wrong-status"
danger = "G1"
op = {{ kind = "http", url = "{health}", expect_status = [204] }}
"#
        ),
    );
    let (ok, out) = env.run(&["plan", "run", "runbook", "--yes", "--no-wait"]);
    assert!(ok, "{out}");
    let run = env.runs()[0]["id"].as_i64().unwrap();
    let waiting = wait_until("the manual step waiting (or the run ended)", 60, || {
        let l = env.logs(run);
        let ended = !matches!(l["run"]["status"].as_str(), Some("queued" | "running"));
        (step(&l, "by-hand")["status"] == "waiting" || ended).then_some(l)
    });
    assert_eq!(step(&waiting, "by-hand")["status"], "waiting", "{waiting}");
    let health_step = step(&waiting, "health");
    assert_eq!(health_step["status"], "succeeded", "{health_step}");
    assert_eq!(health_step["message"], "HTTP 200");
    assert!(
        step(&waiting, "by-hand")["message"]
            .as_str()
            .unwrap()
            .contains("--replSet rs_linke"),
        "{waiting}"
    );
    assert_eq!(
        waiting["run"]["status"], "running",
        "the run waits, it does not fail"
    );
    let (ok, out) = env.run(&[
        "plan",
        "done",
        &run.to_string(),
        "by-hand",
        "--note",
        "mongod up",
    ]);
    assert!(ok, "{out}");
    let logs = env.wait_status(run, "failed", 30);
    let by_hand = step(&logs, "by-hand");
    assert_eq!(by_hand["status"], "succeeded");
    assert!(
        by_hand["message"].as_str().unwrap().contains("mongod up"),
        "{by_hand}"
    );
    let wrong = step(&logs, "wrong-status");
    assert_eq!(wrong["status"], "failed");
    assert_eq!(wrong["message"], "HTTP 200, expected [204]");
}
