//! `nightwatch events` against a real engine (`nightwatch serve` on its own SQLite), events posted
//! through the real HTTP endpoint:
//! - `events list --watch` prints the list once, prints nothing more while nothing changes, prints
//!   again when a new alert is stored, and ends cleanly (exit 0) on SIGINT;
//! - `events show` recommends plans from the same facts as the console's detail: the event, its
//!   component and the applied topology (the replica to promote is named by the topology alone).

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;
mod safe;

use std::io::BufRead as _;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use safe::Env;
use serde_json::json;

/// Lines printed by a `--watch` child, as they come.
fn lines_of(child: &mut std::process::Child) -> mpsc::Receiver<String> {
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Collect lines until `done` says so (or panic after `secs`).
fn until(rx: &mpsc::Receiver<String>, secs: u64, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let end = Instant::now() + Duration::from_secs(secs);
    let mut got = Vec::new();
    while !done(&got) {
        let left = end.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) => got.push(l),
            Err(_) => panic!("timed out; printed so far:\n{}", got.join("\n")),
        }
    }
    got
}

fn headers(lines: &[String]) -> usize {
    lines.iter().filter(|l| l.starts_with("── ")).count()
}

#[test]
fn watch_prints_again_only_when_the_events_change_and_ends_on_ctrl_c() {
    let env = Env::new();
    assert_eq!(
        env.post_events(
            &json!([{"title": "disk full on web-1", "level": "P1", "fingerprint": "w1"}])
        ),
        200
    );
    env.event_id("w1");
    let mut child = env
        .sb
        .command()
        .args(["--database-url", env.url.as_str()])
        .args(["events", "list", "--watch", "--interval", "0.2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = lines_of(&mut child);
    let first = until(&rx, 30, |l| l.iter().any(|x| x.ends_with("of 1 shown")));
    assert_eq!(headers(&first), 1, "{first:?}");
    assert!(
        first.iter().any(|l| l.contains("disk full on web-1")),
        "{first:?}"
    );
    // Idle: ten intervals pass and nothing is printed (the stamp did not move).
    match rx.recv_timeout(Duration::from_secs(2)) {
        Err(mpsc::RecvTimeoutError::Timeout) => {}
        other => panic!("printed while idle: {other:?}"),
    }
    // A new alert: printed again, once, with it.
    assert_eq!(
        env.post_events(
            &json!([{"title": "redis lag on cache-2", "level": "P0", "fingerprint": "c2"}])
        ),
        200
    );
    let second = until(&rx, 30, |l| l.iter().any(|x| x.ends_with("of 2 shown")));
    assert_eq!(headers(&second), 1, "{second:?}");
    assert!(
        second.iter().any(|l| l.contains("redis lag on cache-2")),
        "{second:?}"
    );
    // Ctrl-C: a clean exit, status 0.
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let end = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < end, "--watch did not end on SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn watch_refuses_an_interval_out_of_range_naming_the_flag() {
    let env = Env::new();
    let (ok, out) = env.run(&["events", "list", "--watch", "--interval", "0"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("--interval") && out.contains("0.2 to 3600"),
        "{out}"
    );
}

#[test]
fn show_fills_the_recommended_plan_from_the_topology_like_the_console() {
    let env = Env::new();
    env.apply(
        "estate.toml",
        "[[component]]\nname = \"redis-a\"\nkind = \"redis\"\nlayer = \"storage\"\nrole = \"primary\"\n\
         endpoints = { host = \"127.0.0.1\", port = 6379 }\n\n\
         [[component]]\nname = \"redis-b\"\nkind = \"redis\"\nlayer = \"storage\"\nrole = \"standby\"\n\
         endpoints = { host = \"127.0.0.1\", port = 6380 }\n",
    );
    let body = json!([{
        "title": "Redis down", "level": "P0", "fingerprint": "rd",
        "labels": {"alertname": "RedisDown", "instance": "127.0.0.1:6379"},
    }]);
    assert_eq!(env.post_events(&body), 200);
    let id = env.event_id("rd").to_string();
    let shown = env.json(&["events", "show", &id, "-o", "json"]);
    let top = &shown["recommended_plans"][0];
    assert_eq!(top["plan"], "redis-master-switch", "{shown}");
    // Only the topology names the replica: labels alone leave these unfilled.
    assert_eq!(top["params"]["old_master"], "redis-a", "{shown}");
    assert_eq!(top["params"]["new_master"], "redis-b", "{shown}");
    assert_eq!(top["params"]["new_master_port"], "6380", "{shown}");
    let (ok, out) = env.run(&["events", "show", &id]);
    assert!(ok, "{out}");
    assert!(out.contains("--param 'new_master=redis-b'"), "{out}");
    assert!(!out.contains("no topology applied"), "{out}");
}
