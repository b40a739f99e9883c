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

/// Zone traffic on screen and in `dr status -o json`, equal to what a real Prometheus answers for
/// the configured query (node_exporter's textfile collector serving `nw_zone_requests{zone}`):
/// the grid's traffic row at 80×24 (figure and share per datacenter, mapped through each
/// datacenter's `zone`), the traffic of both sides in the readiness banner at 160×48; new figures
/// in Prometheus reach the screen and the CLI.
#[test]
fn zone_traffic_from_prometheus_on_screen_and_in_the_cli() {
    use common::dr_pairs::{TRAFFIC_QUERY, ZoneTraffic};
    use nightwatch::domain::dr::traffic_text;
    let Some(pair) = RedisPair::start() else {
        return;
    };
    let Some(zones) = ZoneTraffic::start(&[("zone-a", 1200.0), ("zone-b", 400.0)]) else {
        return;
    };
    let Some(t) = Tmux::start("drt", 80, 24) else {
        return;
    };
    let file = t.home.path().join("estate.toml");
    let text = estate(&pair)
        .replace(
            "name = \"dc-a\"\nrole",
            "name = \"dc-a\"\nzone = \"zone-a\"\nrole",
        )
        .replace(
            "name = \"dc-b\"\nrole",
            "name = \"dc-b\"\nzone = \"zone-b\"\nrole",
        );
    std::fs::write(&file, text).unwrap();
    let (ok, out) = run(&t, &["apply", file.to_str().unwrap()]);
    assert!(ok, "apply: {out}");
    let cfg = serde_json::json!({
        "intervalSecs": 1, "timeoutSecs": 1,
        "prometheusUrl": zones.url(), "trafficQuery": TRAFFIC_QUERY,
    })
    .to_string();
    let (ok, out) = run(
        &t,
        &[
            "config",
            "set",
            "DR_DASHBOARD_CONFIG",
            &cfg,
            "--reason",
            "e2e",
        ],
    );
    assert!(ok, "config set: {out}");
    t.launch("");
    t.keys(&["3"]);
    // What the screen and the CLI must show: Prometheus's own answer, per datacenter.
    let expect = |answer: &[(String, f64)]| -> Vec<String> {
        let total: f64 = answer.iter().map(|(_, v)| v).sum();
        answer
            .iter()
            .map(|(_, v)| format!("⇅ {} {:.0}%", traffic_text(*v), v * 100.0 / total))
            .collect()
    };
    for (round, figures) in [[1200.0, 400.0], [30.0, 10.5]].iter().enumerate() {
        if round == 1 {
            zones.set(&[("zone-a", figures[0]), ("zone-b", figures[1])]);
            t.tmux(&["resize-window", "-t", "nw", "-x", "80", "-y", "24"]);
        }
        let answer = zones.traffic();
        assert_eq!(answer.len(), 2, "{answer:?}");
        let cells = expect(&answer);
        let screen = t.wait("the traffic row with Prometheus's figures", 60, |s| {
            s.lines()
                .any(|l| l.contains("traffic") && cells.iter().all(|c| l.contains(c.as_str())))
        });
        let row = screen.lines().find(|l| l.contains("traffic")).unwrap();
        // dc-a's column first, then dc-b's.
        let (a, b) = (row.find(&cells[0]).unwrap(), row.find(&cells[1]).unwrap());
        assert!(a < b, "{row}");

        let status = t.nightwatch(&["dr", "status", "-o", "json"]);
        let by_dc: Vec<(String, String, f64)> = status["traffic"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["datacenter"].as_str().unwrap().to_owned(),
                    x["zone"].as_str().unwrap().to_owned(),
                    x["value"].as_f64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            by_dc,
            [
                ("dc-a".to_owned(), answer[0].0.clone(), answer[0].1),
                ("dc-b".to_owned(), answer[1].0.clone(), answer[1].1),
            ],
            "dr status -o json = Prometheus's answer to {TRAFFIC_QUERY}"
        );
        let v = &status["readiness"][0];
        assert_eq!(v["traffic"], serde_json::json!([answer[0].1, answer[1].1]));

        // Richer at 160×48: both sides' traffic beside the direction's verdict.
        t.tmux(&["resize-window", "-t", "nw", "-x", "160", "-y", "48"]);
        let banner = format!(
            "traffic {}→{}",
            traffic_text(answer[0].1),
            traffic_text(answer[1].1)
        );
        let screen = t.wait("the banner's traffic at 160x48", 30, |s| {
            s.contains(&banner) && s.lines().any(|l| l.chars().count() >= 150)
        });
        assert!(screen.contains("conn after"), "{screen}");
    }
    t.quit();
}
