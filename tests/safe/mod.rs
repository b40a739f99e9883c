//! Shared support of the "safe execution" suites (values are data, checks only read, CLI text
//! escaped): an engine on its own embedded SQLite, target tables on each backend, a real Redis,
//! events posted through the real HTTP endpoint.

#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use nightwatch::store::{TargetStatement, execute_target, query_target};
use serde_json::Value;

use crate::common::{Proc, Sandbox, json_of, serve, wait_until};

pub const T: Duration = Duration::from_secs(20);

/// A sandbox with its own embedded SQLite and an engine (`nightwatch serve`) on it.
pub struct Env {
    pub sb: Sandbox,
    pub url: String,
    pub port: u16,
    pub engine: Proc,
}

impl Env {
    pub fn new() -> Env {
        let sb = Sandbox::new();
        let url = format!("sqlite://{}/nw.db?mode=rwc", sb.dir.path().display());
        let (engine, port) = serve(&sb, &url, &[]);
        Env {
            sb,
            url,
            port,
            engine,
        }
    }

    pub fn path(&self, name: &str) -> std::path::PathBuf {
        self.sb.dir.path().join(name)
    }

    /// Run the CLI on this engine's database: (success, stdout + stderr).
    pub fn run(&self, args: &[&str]) -> (bool, String) {
        self.sb
            .run(&[&["--database-url", self.url.as_str()][..], args].concat())
    }

    /// Run the CLI; (success, raw stdout bytes, raw stderr bytes).
    pub fn raw(&self, args: &[&str]) -> (bool, Vec<u8>, Vec<u8>) {
        let o = self
            .sb
            .command()
            .args(["--database-url", self.url.as_str()])
            .args(args)
            .output()
            .expect("run nightwatch");
        (o.status.success(), o.stdout, o.stderr)
    }

    pub fn json(&self, args: &[&str]) -> Value {
        json_of(
            &self.sb,
            &[&["--database-url", self.url.as_str()][..], args].concat(),
        )
    }

    /// `nightwatch apply` a file holding `text`: (success, output).
    pub fn try_apply(&self, name: &str, text: &str) -> (bool, String) {
        let path = self.path(name);
        std::fs::write(&path, text).expect("write content");
        self.run(&["apply", path.to_str().expect("utf-8 path")])
    }

    pub fn apply(&self, name: &str, text: &str) {
        let (ok, out) = self.try_apply(name, text);
        assert!(ok, "{out}");
    }

    /// The newest run's id.
    pub fn last_run(&self) -> i64 {
        self.json(&["plan", "runs", "-o", "json"])[0]["id"]
            .as_i64()
            .expect("a run")
    }

    pub fn logs(&self, run: i64) -> Value {
        self.json(&["plan", "logs", &run.to_string(), "-o", "json"])
    }

    /// The generated bearer token of the generic event endpoint.
    pub fn api_token(&self) -> String {
        let auth = self.json(&["config", "get", "INGEST_AUTH", "--reveal", "-o", "json"]);
        auth["value"]["api"]["token"]
            .as_str()
            .expect("INGEST_AUTH.api.token")
            .to_owned()
    }

    /// POST events (generic JSON) to the engine; the HTTP status.
    pub fn post_events(&self, body: &Value) -> u16 {
        let token = self.api_token();
        let url = format!("http://127.0.0.1:{}/api/v1/events", self.port);
        rt().block_on(async {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .json(body)
                .send()
                .await
                .expect("POST /api/v1/events")
                .status()
                .as_u16()
        })
    }

    /// The id of the event posted with `fingerprint` (stored as `api:FINGERPRINT`), once it is
    /// stored.
    pub fn event_id(&self, fingerprint: &str) -> i64 {
        let fingerprint = format!("api:{fingerprint}");
        wait_until(&format!("event {fingerprint}"), 20, || {
            let events = self.json(&["events", "list", "-o", "json"]);
            events
                .as_array()?
                .iter()
                .find(|e| e["fingerprint"] == fingerprint)
                .and_then(|e| e["id"].as_i64())
        })
    }
}

/// A step of a run's logs, by id.
pub fn step<'a>(logs: &'a Value, id: &str) -> &'a Value {
    logs["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["step_id"] == id)
        .unwrap_or_else(|| panic!("no step {id} in {logs}"))
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("runtime")
}

/// Run statements on a target database (setup), in one transaction.
pub fn exec(url: &str, sql: &[&str]) {
    let statements: Vec<TargetStatement> = sql
        .iter()
        .map(|s| TargetStatement {
            sql: (*s).to_owned(),
            ..TargetStatement::default()
        })
        .collect();
    rt().block_on(execute_target(url, &statements, T))
        .unwrap_or_else(|e| panic!("{sql:?}: {e}"));
}

pub fn rows(url: &str, sql: &str) -> Vec<Vec<Value>> {
    rt().block_on(query_target(url, sql, T))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .rows
}

pub fn count(url: &str, table: &str) -> i64 {
    rows(url, &format!("select count(*) from {table}"))[0][0]
        .as_i64()
        .expect("a count")
}

/// The target table every test counts: three named rows.
pub fn target_table(url: &str) {
    exec(
        url,
        &[
            "create table t (id integer primary key, name varchar(64) not null)",
            "insert into t (id, name) values (1, 'alpha'), (2, 'beta'), (3, 'gamma')",
        ],
    );
}

/// A real redis-server on `port`, killed when dropped.
pub fn redis(dir: &Path, port: u16) -> Proc {
    let child = std::process::Command::new("/usr/bin/redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
        .arg("--dir")
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("redis-server");
    wait_until("redis-server listening", 20, || {
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    });
    Proc(child)
}

/// Hostile values: shell substitutions, quotes, SQL injections, newlines, 10 KB. Each shell one
/// would create `marker.N` if a shell ever parsed it.
pub fn hostile(marker: &Path) -> Vec<String> {
    let m = marker.display();
    vec![
        format!("$(touch {m}.1)"),
        format!("`touch {m}.2`"),
        format!("x; touch {m}.3"),
        format!("x' && touch {m}.4 && echo '"),
        format!("x\"; touch {m}.5; echo \""),
        "' OR 1=1 --".to_owned(),
        "x'; DELETE FROM t; --".to_owned(),
        format!("one\ntouch {m}.6\nthree"),
        format!("{}$(touch {m}.7)", "y".repeat(10 * 1024)),
    ]
}

/// The markers [`hostile`] values would create; none may exist.
pub fn assert_no_marker(marker: &Path) {
    for n in 1..=9 {
        let p = std::path::PathBuf::from(format!("{}.{n}", marker.display()));
        assert!(!p.exists(), "{} exists: a value ran as code", p.display());
    }
}
