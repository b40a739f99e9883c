//! Issue 12, end to end in a real terminal at 80×24: from a new incident on screen to a dry run of
//! its recommended plan, every parameter filled from the event, its component and the topology,
//! counting the keys and timing the flow.
//!
//! The estate is real: two `redis-server`s, a primary and its replica, applied as topology
//! (`nightwatch apply`) on a fresh install with the built-in content. The primary is then killed.
//! 1. Alertmanager's webhook (v4, as Alertmanager posts it) reports `RedisDown` on the primary's
//!    instance, P0: `!` opens it, `a y` acknowledges, `x` opens `redis-master-switch` filled
//!    (old_master redis-a, new_master redis-b and its host and port), `ctrl-d` makes it a dry run,
//!    `Enter` prepares, the confirmation names the host it acts on, `y` queues it; the dry run's
//!    prechecks PING the replica and succeed.
//! 2. The built-in `redis-replica-link` inspection fails on the replica (its master is gone): the
//!    same keys reach the same plan, this time promoting the replica the event is about.
//!
//! 3. `q` on a console hosting the engine with a run in flight asks and names the run; after `y`
//!    a read-only wallboard on the same database shows the run `interrupted` within the lease.
//!
//! Every screen on the way is asserted; the figures are printed (`FLOW …`). Fresh XDG
//! directories; every wait polls the screen; skipped without tmux/redis/curl except under CI.

use std::process::Command;
use std::time::Instant;

mod common;

use common::tmux::{BIN, Tmux};

use common::redis_pair::{REDIS, post_alertmanager, redis, redis_down};

/// `nightwatch ARGS` with the console's private XDG directories; (success, stdout + stderr).
fn nightwatch(t: &Tmux, args: &[&str]) -> (bool, String) {
    let xdg = |d: &str| t.home.path().join(d);
    let out = Command::new(BIN)
        .args(args)
        .env("XDG_CONFIG_HOME", xdg("config"))
        .env("XDG_DATA_HOME", xdg("data"))
        .env("XDG_STATE_HOME", xdg("state"))
        .env_remove("NIGHTWATCH_DATABASE_URL")
        .output()
        .expect("run nightwatch");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The estate: redis-a (primary) and redis-b (its replica), as topology, plus a task running the
/// built-in replica-link rule (enabled = false: it runs when asked).
fn topology(t: &Tmux, a: u16, b: u16) {
    let file = t.home.path().join("estate.toml");
    std::fs::write(
        &file,
        format!(
            "[[component]]\nname = \"redis-a\"\nkind = \"redis\"\nlayer = \"storage\"\n\
             role = \"primary\"\nzone = \"dc1\"\nendpoints = {{ host = \"127.0.0.1\", port = {a} }}\n\n\
             [[component]]\nname = \"redis-b\"\nkind = \"redis\"\nlayer = \"storage\"\n\
             role = \"standby\"\nzone = \"dc1\"\nendpoints = {{ host = \"127.0.0.1\", port = {b} }}\n\n\
             [[task]]\nname = \"redis-links\"\nrules = [\"redis-replica-link\"]\nevery = \"1h\"\n\
             timeout = \"5s\"\nenabled = false\n"
        ),
    )
    .expect("write topology");
    let (ok, text) = nightwatch(t, &["apply", file.to_str().expect("path")]);
    assert!(ok, "apply: {text}");
}

/// Keys pressed, counted: the flow's figure.
struct Keys<'a> {
    t: &'a Tmux,
    n: usize,
}

impl Keys<'_> {
    fn press(&mut self, key: &str) {
        self.t.keys(&[key]);
        self.n += 1;
    }
}

/// The line of the form showing parameter `name`.
fn field<'s>(screen: &'s str, name: &str) -> &'s str {
    screen
        .lines()
        .find(|l| {
            let l = l.trim_start_matches('│').trim_start_matches(['*', ' ']);
            l.starts_with(&format!("{name} "))
        })
        .unwrap_or_default()
}

/// From the event's detail on screen: ack (a y), x, ctrl-d, Enter, y; assert each screen; the
/// dry run succeeds. `want` are the form's parameter values; `host` the confirmation's host.
fn detail_to_dry_run(t: &Tmux, keys: &mut Keys<'_>, want: &[(&str, String)], host: &str) {
    keys.press("a");
    t.wait_for("Proceed? y = yes");
    keys.press("y");
    t.wait("the event acknowledged", 15, |s| {
        s.contains("acked 1 of 1 event")
            || s.lines().any(|l| l.contains("acked") && l.contains("by"))
    });

    keys.press("x");
    let screen = t.wait("the launch form", 15, |s| {
        s.contains("Launch plan") && s.contains("redis-master-switch")
    });
    assert!(screen.contains("launched from event #"), "{screen}");
    for (name, value) in want {
        let line = field(&screen, name);
        assert!(
            line.contains(value.as_str()),
            "{name} filled with {value}: {line:?}\n{screen}"
        );
    }
    assert!(
        !screen.contains("did not fill") && !screen.contains("no topology"),
        "every parameter the event determines is filled:\n{screen}"
    );

    keys.press("C-d");
    t.wait_for("[x] yes");
    keys.press("Enter");
    let screen = t.wait_for("Dry-run plan redis-master-switch");
    assert!(
        screen.contains("on host") && screen.contains(host),
        "the confirmation names the host it acts on ({host}):\n{screen}"
    );
    keys.press("y");
    let screen = t.wait("the dry run to succeed", 60, |s| {
        s.contains("Plan run #")
            && s.lines()
                .any(|l| l.contains("run #") && l.contains("succeeded"))
    });
    assert!(
        screen.contains("dry run") || screen.contains("DRY"),
        "{screen}"
    );
}

fn start(name: &str) -> Option<(Tmux, u16, common::Proc, common::Proc, u16, u16)> {
    let t = Tmux::start(name, 80, 24)?;
    if !common::require_program(REDIS, "redis-server")
        || !common::require_program("/usr/bin/curl", "curl")
    {
        return None;
    }
    let (a, b) = (common::free_port(), common::free_port());
    let ra = redis(t.home.path(), a, None);
    let rb = redis(t.home.path(), b, Some(a));
    topology(&t, a, b);
    let port = common::free_port();
    t.launch_on(&format!("127.0.0.1:{port}"), "");
    Some((t, port, ra, rb, a, b))
}

#[test]
fn an_alertmanager_p0_to_a_dry_run_of_its_recommended_plan() {
    let Some((t, port, ra, _rb, a, b)) = start("incident-am") else {
        return;
    };
    drop(ra); // the primary dies
    let auth = t.nightwatch(&["config", "get", "INGEST_AUTH", "--reveal", "-o", "json"]);
    let token = auth["value"]["alertmanager"]["token"]
        .as_str()
        .expect("INGEST_AUTH.alertmanager.token")
        .to_owned();
    let instance = format!("127.0.0.1:{a}");
    assert_eq!(
        post_alertmanager(port, &token, &redis_down(&instance)),
        "200"
    );

    // On screen: the status bar says so (the Overview is showing).
    t.wait_for("1 new P0/P1 event");
    let started = Instant::now();
    let mut keys = Keys { t: &t, n: 0 };
    keys.press("!");
    let screen = t.wait("the event's detail with its recommendation", 15, |s| {
        s.contains("Event #") && s.contains("redis-master-switch")
    });
    assert!(screen.contains("P0"), "{screen}");
    detail_to_dry_run(
        &t,
        &mut keys,
        &[
            ("old_master", "redis-a".to_owned()),
            ("new_master", "redis-b".to_owned()),
            ("new_master_host", "127.0.0.1".to_owned()),
            ("new_master_port", b.to_string()),
        ],
        &format!("127.0.0.1:{b}"),
    );
    let secs = started.elapsed().as_secs_f64();
    println!(
        "FLOW alertmanager P0 → dry run of redis-master-switch: {} keys, {secs:.2} s (80x24, debug build)",
        keys.n
    );
    assert!(keys.n <= 8, "{} keys", keys.n);

    // From outside: the dry run, its parameters as filled, launched from the event.
    let (ok, text) = nightwatch(&t, &["plan", "runs", "-o", "json"]);
    assert!(ok, "{text}");
    let runs: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let run = &runs[0];
    assert_eq!(run["dry_run"], true, "{runs}");
    assert_eq!(run["status"], "succeeded", "{runs}");
    let params: serde_json::Value =
        serde_json::from_str(run["params"].as_str().unwrap_or("{}")).expect("params JSON");
    assert_eq!(params["old_master"], "redis-a", "{params}");
    assert_eq!(params["new_master"], "redis-b", "{params}");
    assert_eq!(
        params["new_master_port"].to_string(),
        b.to_string(),
        "{params}"
    );
    assert!(run["event_id"].as_i64().unwrap_or(0) > 0, "{run}");
    t.quit();
}

#[test]
fn a_failing_inspections_event_to_a_dry_run_of_its_recommended_plan() {
    let Some((t, _port, ra, _rb, _a, b)) = start("incident-insp") else {
        return;
    };
    drop(ra); // the primary dies: the replica's link goes down
    // The rule fires after 3 failures in a row: run the task three times (the console's engine
    // executes it).
    for _ in 0..3 {
        let (_, text) = nightwatch(&t, &["inspect", "run", "redis-links", "--timeout", "60"]);
        assert!(text.contains("redis-replica-link"), "{text}");
    }
    t.wait_for("1 new P0/P1 event");
    let started = Instant::now();
    let mut keys = Keys { t: &t, n: 0 };
    keys.press("!");
    let screen = t.wait("the event's detail with its recommendation", 15, |s| {
        s.contains("Event #") && s.contains("redis-master-switch")
    });
    assert!(
        screen.contains("[MASTER_LINK_STATUS] == up is false on redis-b"),
        "the title says what failed:\n{screen}"
    );
    detail_to_dry_run(
        &t,
        &mut keys,
        &[
            ("new_master", "redis-b".to_owned()),
            ("new_master_host", "127.0.0.1".to_owned()),
            ("new_master_port", b.to_string()),
            ("old_master", "redis-a".to_owned()),
        ],
        &format!("127.0.0.1:{b}"),
    );
    let secs = started.elapsed().as_secs_f64();
    println!(
        "FLOW inspection event → dry run of redis-master-switch: {} keys, {secs:.2} s (80x24, debug build)",
        keys.n
    );
    assert!(keys.n <= 8, "{} keys", keys.n);
    t.quit();
}

const SLOW: &str = r#"
[[plan]]
name = "e2e-long"
title = "Runs for a while"

[[plan.step]]
id = "long"
title = "Print start and sleep"
danger = "G1"
timeout = "120s"
[plan.step.op]
kind = "command"
script = "echo start; sleep 60"
"#;

/// `q` at the top of a console that hosts the engine with a run in flight asks first and names
/// the run; after `y`, another console on the same database (a read-only wallboard, no engine)
/// shows the run `interrupted` within the lease time (15 s), and so does the CLI, although no
/// engine is left to mark it.
#[test]
fn quitting_with_a_run_in_flight_asks_and_another_console_sees_it_interrupted() {
    let Some(t) = Tmux::start("incident-quit", 80, 24) else {
        return;
    };
    let file = t.home.path().join("slow.toml");
    std::fs::write(&file, SLOW).expect("write plan");
    let (ok, text) = nightwatch(&t, &["apply", file.to_str().expect("path")]);
    assert!(ok, "{text}");
    t.launch("");
    let (ok, text) = nightwatch(&t, &["plan", "run", "e2e-long", "--no-wait", "--yes"]);
    assert!(ok, "{text}");
    t.keys(&["5"]);
    t.wait("the run in flight", 30, |s| {
        s.lines()
            .any(|l| l.contains("e2e-long") && l.contains("running"))
    });

    // The wallboard: the same database, read-only, no engine of its own.
    let db = t.home.path().join("data/nightwatch/nightwatch.db");
    let url = format!("sqlite://{}?mode=ro", db.display());
    let Some(w) = Tmux::start("incident-wall", 80, 24) else {
        return;
    };
    w.type_line(&format!(
        "{} --read-only --database-url '{url}' --listen 127.0.0.1:0; echo EXIT=$?",
        w.command()
    ));
    w.wait_for("READ-ONLY");
    w.keys(&["5"]);
    w.wait("the run running on the wallboard", 30, |s| {
        s.lines()
            .any(|l| l.contains("e2e-long") && l.contains("running"))
    });

    // q on the console with the engine: it asks, naming what stops.
    t.keys(&["q"]);
    let screen = t.wait_for("Quit nightwatch?");
    assert!(
        screen.contains("engine in this process") && screen.contains("e2e-long"),
        "{screen}"
    );
    t.keys(&["n"]);
    t.wait_gone("Quit nightwatch?");
    t.keys(&["q"]);
    t.wait_for("Quit nightwatch?");
    t.keys(&["y"]);
    t.wait_for("EXIT=0");
    let gone = Instant::now();

    // The wallboard shows it interrupted within the lease (15 s) plus a poll.
    let screen = w.wait("the run interrupted on the wallboard", 25, |s| {
        s.lines()
            .any(|l| l.contains("e2e-long") && l.contains("interrupted"))
    });
    let secs = gone.elapsed().as_secs_f64();
    println!("ENGINE GONE → interrupted on another console after {secs:.1} s (lease 15 s)");
    assert!(secs <= 17.0, "{secs:.1} s:\n{screen}");
    let (ok, text) = nightwatch(&t, &["plan", "runs", "-o", "json"]);
    assert!(ok, "{text}");
    let runs: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(runs[0]["status"], "interrupted", "the CLI too: {runs}");
    assert!(
        runs[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("engine gone")),
        "{runs}"
    );
    w.quit();
}
