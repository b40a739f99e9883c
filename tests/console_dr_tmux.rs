//! End-to-end test of the DR pane in a real terminal (tmux): a Redis master and replica started
//! by the test are described as a DR estate (two datacenters, a system with its DR plan, one
//! link), the console runs with its engine in-process collecting every second. At 80×24 the
//! direction reads READY; the replica is stopped (`kill -STOP`) while writes go on, and the screen
//! shows NOT READY naming the link, and Enter on the breached cell (hub × dc-b) lists the link's
//! breach. At 160×48 the grid, the links and the water levels show with the reasons; `s` opens the
//! DR plan's launch form with the faulty and the available datacenter filled. `nightwatch dr
//! readiness` from outside agrees (exit 1, the link named).
//!
//! Fresh XDG directories; every wait polls `capture-pane`; skipped without tmux or Redis except
//! under `CI=true`.

use std::process::Command;
use std::time::Duration;

mod common;

use common::dr_pairs::RedisPair;
use common::tmux::{BIN, Tmux};

fn run(t: &Tmux, args: &[&str]) -> (bool, String) {
    let xdg = |d: &str| t.home.path().join(d);
    let out = Command::new(BIN)
        .args(args)
        .env("XDG_CONFIG_HOME", xdg("config"))
        .env("XDG_DATA_HOME", xdg("data"))
        .env("XDG_STATE_HOME", xdg("state"))
        .env_remove("NIGHTWATCH_DATABASE_URL")
        .output()
        .expect("run nightwatch");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn estate(pair: &RedisPair) -> String {
    format!(
        r#"
[[datacenter]]
name = "dc-a"
role = "active"
[[datacenter]]
name = "dc-b"
role = "standby"

[[component]]
name = "cache-a"
kind = "redis"
layer = "hub"
zone = "dc-a"
endpoints = {{ host = "127.0.0.1", port = {m} }}
[[component]]
name = "cache-b"
kind = "redis"
layer = "hub"
zone = "dc-b"
endpoints = {{ host = "127.0.0.1", port = {r} }}

[[plan]]
name = "dr-switch"
title = "Switch to the available datacenter"
[[plan.param]]
name = "faulty_dc"
kind = "string"
[[plan.param]]
name = "available_dc"
kind = "string"
[[plan.step]]
id = "announce"
danger = "G3"
timeout = "1m"
op = {{ kind = "command", script = 'echo "$FROM -> $TO"', env = {{ FROM = "{{{{params.faulty_dc}}}}", TO = "{{{{params.available_dc}}}}" }} }}

[[dr_system]]
name = "orders"
architecture = "remote-active-standby"
datacenters = ["dc-a", "dc-b"]
rpo = "3s"
rto = "15m"
plan = [{{ from = "dc-a", to = "dc-b", plan = "dr-switch" }}]

[[link]]
name = "orders-cache"
kind = "redis-replication"
system = "orders"
source = "cache-a"
target = "cache-b"
"#,
        m = pair.master_port,
        r = pair.replica_port
    )
}

#[test]
fn a_stopped_replica_flips_readiness_on_screen_and_s_fills_the_dr_plan() {
    let Some(pair) = RedisPair::start() else {
        return;
    };
    let Some(t) = Tmux::start("dr", 80, 24) else {
        return;
    };
    let file = t.home.path().join("estate.toml");
    std::fs::write(&file, estate(&pair)).unwrap();
    let (ok, out) = run(&t, &["apply", file.to_str().unwrap()]);
    assert!(ok, "apply: {out}");
    let (ok, out) = run(
        &t,
        &[
            "config",
            "set",
            "DR_DASHBOARD_CONFIG",
            r#"{"intervalSecs": 1, "timeoutSecs": 1}"#,
            "--reason",
            "e2e",
        ],
    );
    assert!(ok, "config set: {out}");
    let writer = pair.writer(Duration::from_millis(20));
    t.launch("");
    t.keys(&["3"]);
    let screen = t.wait("the direction ready at 80x24", 60, |s| {
        s.contains("dc-a→dc-b READY") && s.contains("orders-cache")
    });
    assert!(screen.contains("Layers × datacenters"), "{screen}");

    pair.replica.signal("STOP");
    let screen = t.wait("NOT READY naming the link", 60, |s| {
        s.contains("dc-a→dc-b NOT READY") && s.contains("link orders-cache dc-a→dc-b")
    });
    assert!(screen.contains("> RPO 3 s"), "{screen}");
    // The breached cell: hub (second row) × dc-b (second column).
    t.keys(&["j", "Right", "Enter"]);
    let screen = t.wait_for("hub · dc-b");
    assert!(screen.contains("cache-b"), "{screen}");
    assert!(screen.contains("link orders-cache"), "{screen}");
    t.keys(&["Escape"]);
    t.wait_gone("hub · dc-b");

    // From outside, the CLI judges the same.
    let (ok, out) = run(&t, &["dr", "readiness"]);
    assert!(!ok, "not ready exits 1: {out}");
    assert!(out.contains("link orders-cache dc-a→dc-b"), "{out}");

    // Richer at 160x48: the gauges and the reasons.
    t.tmux(&["resize-window", "-t", "nw", "-x", "160", "-y", "48"]);
    let screen = t.wait("the 160x48 layout", 15, |s| {
        s.lines().any(|l| l.chars().count() >= 150) && s.contains("Water levels")
    });
    assert!(screen.contains("cache-a"), "{screen}");
    assert!(screen.contains("LAST HOUR"), "{screen}");

    // s: the DR plan's form, faulty and available datacenters filled.
    t.keys(&["f", "f", "s"]);
    let screen = t.wait_for("launch dr-switch");
    let field = |name: &str| {
        screen
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(field("faulty_dc").contains("dc-a"), "{screen}");
    assert!(field("available_dc").contains("dc-b"), "{screen}");
    assert!(
        screen.contains("G3"),
        "the plan's own danger and confirmation: {screen}"
    );
    t.keys(&["Escape"]);
    t.wait_gone("Launch plan");

    pair.replica.signal("CONT");
    t.keys(&["3"]);
    t.wait("READY again", 60, |s| s.contains("dc-a→dc-b READY"));
    drop(writer);
    t.quit();
}
