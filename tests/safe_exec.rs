//! Safe execution, black-box, on SQLite, MariaDB and PostgreSQL: a real engine (`nightwatch
//! serve`) started with the master key and the database password in its environment and argv.
//!
//! - A plan step and a command probe that print their own environment and the engine's
//!   (`/proc/$PPID/environ`, `/proc/$PPID/cmdline`): what a read-only user sees through
//!   `plan logs` / `inspect show` never holds the key or the password, and the child's own
//!   environment never held them at all. The probe also prints its target's endpoints, whose
//!   password and DSN password are scrubbed the same way.
//! - `kill -9` of the engine in the middle of a long step: 2 s later no process of the step's
//!   group is left, and a restarted engine never runs the step again.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use base64::Engine as _;
use common::{Backend, Proc, Sandbox, TestDb, serve, wait_until};
use nightwatch::child::proc::group_alive;
use serde_json::Value;

/// An engine on a fresh database of `backend`, with a master key of its own.
struct Env {
    sb: Sandbox,
    url: String,
    key: String,
    engine: Option<Proc>,
    db: Option<TestDb>,
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

impl Env {
    fn new(backend: Backend) -> Option<Env> {
        let sb = Sandbox::new();
        let (url, db) = if backend == Backend::Sqlite {
            let url = format!("sqlite://{}/nw.db?mode=rwc", sb.dir.path().display());
            (url, None)
        } else {
            let db = rt().block_on(TestDb::create(backend))?;
            (db.url.clone(), Some(db))
        };
        let key = format!(
            "{:064x}",
            u128::from(std::process::id()) << 64 | 0xfeed_c0de_u128
        );
        let mut env = Env {
            sb,
            url,
            key,
            engine: None,
            db,
        };
        env.start();
        Some(env)
    }

    fn start(&mut self) {
        let extra = [
            ("NIGHTWATCH_SECRET_KEY", self.key.as_str()),
            ("NIGHTWATCH_DATABASE_URL", self.url.as_str()),
        ];
        self.engine = Some(serve(&self.sb, &self.url, &extra).0);
    }

    fn cli(&self, args: &[&str]) -> (bool, String) {
        let o = self
            .sb
            .command()
            .env("NIGHTWATCH_SECRET_KEY", &self.key)
            .args(["--database-url", self.url.as_str()])
            .args(args)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        (o.status.success(), text)
    }

    fn json(&self, args: &[&str]) -> Value {
        let (ok, text) = self.cli(args);
        assert!(ok, "{args:?}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }

    fn apply(&self, text: &str) {
        let path = self.sb.dir.path().join("content.toml");
        std::fs::write(&path, text).unwrap();
        let (ok, out) = self.cli(&["apply", path.to_str().unwrap()]);
        assert!(ok, "{out}");
    }

    /// The database password, if the URL has one.
    fn db_password(&self) -> Option<String> {
        url::Url::parse(&self.url)
            .ok()?
            .password()
            .map(str::to_owned)
    }

    fn finish(mut self) {
        drop(self.engine.take());
        if let Some(db) = self.db.take() {
            rt().block_on(db.cleanup());
        }
    }
}

/// Prints the child's own environment, then the engine's (its parent): every NIGHTWATCH_
/// variable of it, and its command line.
const SNOOP: &str = r#"echo '--- own env ---'; env; echo '--- engine ---'; tr '\0' '\n' < /proc/$PPID/environ | grep '^NIGHTWATCH_'; tr '\0' ' ' < /proc/$PPID/cmdline; echo; echo '--- end ---'"#;

/// Secrets of a component's endpoints, which its probe receives (`NW_ENDPOINTS`).
const COMPONENT_PASSWORD: &str = "comp-redis-pw-4711";
const COMPONENT_DSN_PASSWORD: &str = "comp-dsn-pw-0815";

fn content() -> String {
    format!(
        r#"[[plan]]
name = "snoop"

[[plan.step]]
id = "print"
danger = "G1"
op = {{ kind = "command", script = '''{SNOOP}''' }}

[[component]]
name = "snoop-box"
kind = "snoopbox"
layer = "physical"
endpoints = {{ host = "127.0.0.1", password = "{COMPONENT_PASSWORD}", dsn = "mysql://app:{COMPONENT_DSN_PASSWORD}@127.0.0.1:3306/shop" }}

[[rule]]
name = "snoop-env"
probe = {{ kind = "command", script = '''echo "endpoints=$NW_ENDPOINTS"; {SNOOP}''' }}
condition = "[EXIT_CODE] == 0"
level = "P3"
targets = {{ kind = "snoopbox" }}

[[task]]
name = "snoop"
rules = ["snoop-env"]
every = "1h"
"#
    )
}

/// `shown` (what a read-only user got) holds neither the key, in any written form, nor the
/// database password; the engine's secrets reached the child only as masks; and the child's own
/// environment had no NIGHTWATCH_ secret at all.
fn assert_clean(env: &Env, what: &str, shown: &str) {
    let key_bytes = hex::decode(&env.key).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&key_bytes);
    for secret in [env.key.as_str(), b64.as_str()] {
        assert!(
            !shown.contains(secret),
            "{what} shows the secret key:\n{shown}"
        );
    }
    if let Some(pw) = env.db_password() {
        assert!(
            !shown.contains(&pw),
            "{what} shows the database password:\n{shown}"
        );
    }
    assert!(
        shown.contains("NIGHTWATCH_SECRET_KEY=******"),
        "{what}: the step really read the engine's key, and it was scrubbed:\n{shown}"
    );
    let own = shown
        .split("--- own env ---")
        .nth(1)
        .and_then(|s| s.split("--- engine ---").next())
        .unwrap_or_else(|| panic!("{what}: no own env section:\n{shown}"));
    for name in [
        "NIGHTWATCH_SECRET_KEY",
        "NIGHTWATCH_DATABASE_URL",
        "NIGHTWATCH_CONFIG",
    ] {
        assert!(
            !own.contains(name),
            "{what}: the child inherited {name}:\n{own}"
        );
    }
    assert!(
        own.contains("PATH="),
        "{what}: the allow-list reaches the child:\n{own}"
    );
}

fn secrets_never_reach_read_only_users(backend: Backend) {
    let Some(env) = Env::new(backend) else {
        return;
    };
    env.apply(&content());
    let (ok, out) = env.cli(&["plan", "run", "snoop", "--yes"]);
    assert!(ok, "{out}");
    let run = env.json(&["plan", "runs", "-o", "json"])[0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let logs = env.json(&["--read-only", "plan", "logs", &run, "-o", "json"]);
    assert_eq!(logs["run"]["status"], "succeeded", "{logs}");
    assert_clean(&env, "plan logs -o json", &logs.to_string());
    let (ok, text) = env.cli(&["--read-only", "plan", "logs", &run]);
    assert!(ok, "{text}");
    assert_clean(&env, "plan logs", &text);

    let (_, out) = env.cli(&["inspect", "run", "snoop", "--timeout", "60"]);
    assert!(out.contains("snoop-env"), "{out}");
    let id = env.json(&["inspect", "runs", "snoop", "-o", "json"])[0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let shown = env.json(&["--read-only", "inspect", "show", &id, "-o", "json"]);
    let shown = shown.to_string();
    assert_clean(&env, "inspect show -o json", &shown);
    for pw in [COMPONENT_PASSWORD, COMPONENT_DSN_PASSWORD] {
        assert!(!shown.contains(pw), "the target's {pw} is shown:\n{shown}");
    }
    assert!(
        shown.contains("mysql://app:******@127.0.0.1:3306/shop"),
        "the probe really printed its endpoints: {shown}"
    );
    let (ok, text) = env.cli(&["--read-only", "inspect", "show", &id]);
    assert!(ok, "{text}");
    assert!(!text.contains(&env.key), "{text}");
    env.finish();
}

/// The step's process group id, from the `pgid=N` line it prints.
fn pgid_of(output: &str) -> Option<u32> {
    output
        .lines()
        .find_map(|l| l.strip_prefix("pgid=")?.trim().parse().ok())
}

fn kill_9_leaves_nothing_running_and_nothing_runs_twice(backend: Backend) {
    let Some(mut env) = Env::new(backend) else {
        return;
    };
    let marker = env.sb.dir.path().join("starts");
    env.apply(&format!(
        r#"[[plan]]
name = "slow"

[[plan.step]]
id = "long"
danger = "G2"
op = {{ kind = "command", script = 'echo "pgid=$$"; echo start >> "$M"; sleep 300 & sleep 301; echo never', env = {{ M = "{}" }} }}
"#,
        marker.display()
    ));
    let (ok, out) = env.cli(&["plan", "run", "slow", "--reason", "drill", "--no-wait"]);
    assert!(ok, "{out}");
    let run = env.json(&["plan", "runs", "-o", "json"])[0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let logs = |env: &Env| env.json(&["plan", "logs", &run, "-o", "json"]);
    let pgid = wait_until("the step running with its pgid printed", 30, || {
        let l = logs(&env);
        let s = &l["steps"][0];
        (s["status"] == "running")
            .then(|| pgid_of(s["output"].as_str().unwrap_or("")))
            .flatten()
    });
    assert!(group_alive(pgid), "the step's group runs");
    // SIGKILL: the engine gets no chance to clean anything up.
    drop(env.engine.take());
    wait_until("no process of the step's group left", 2, || {
        let pgrep = std::process::Command::new("pgrep")
            .args(["-g", &pgid.to_string()])
            .output()
            .unwrap();
        (!group_alive(pgid) && pgrep.stdout.is_empty()).then_some(())
    });
    // A new engine: the run is interrupted when its lease (3 s) expires, and never re-run.
    env.start();
    let l = wait_until("the run interrupted", 30, || {
        let l = logs(&env);
        (l["run"]["status"] == "interrupted").then_some(l)
    });
    let interrupted_at = l["run"]["finished_at"].as_i64().unwrap();
    wait_until("two more lease periods", 15, || {
        (nightwatch::domain::time::now_ms() > interrupted_at + 6_000).then_some(())
    });
    let l = logs(&env);
    assert_eq!(l["run"]["status"], "interrupted", "{l}");
    assert_eq!(l["steps"][0]["attempts"], 1, "{l}");
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "start\n");
    assert!(!group_alive(pgid));
    env.finish();
}

mod sqlite {
    use super::*;
    #[test]
    fn secrets_never_reach_read_only_users() {
        super::secrets_never_reach_read_only_users(Backend::Sqlite);
    }
    #[test]
    fn kill_9_leaves_nothing_running_and_nothing_runs_twice() {
        super::kill_9_leaves_nothing_running_and_nothing_runs_twice(Backend::Sqlite);
    }
}

mod mysql {
    use super::*;
    #[test]
    fn secrets_never_reach_read_only_users() {
        super::secrets_never_reach_read_only_users(Backend::MySql);
    }
    #[test]
    fn kill_9_leaves_nothing_running_and_nothing_runs_twice() {
        super::kill_9_leaves_nothing_running_and_nothing_runs_twice(Backend::MySql);
    }
}

mod postgres {
    use super::*;
    #[test]
    fn secrets_never_reach_read_only_users() {
        super::secrets_never_reach_read_only_users(Backend::Postgres);
    }
    #[test]
    fn kill_9_leaves_nothing_running_and_nothing_runs_twice() {
        super::kill_9_leaves_nothing_running_and_nothing_runs_twice(Backend::Postgres);
    }
}
