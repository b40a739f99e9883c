//! Issue 16, end to end in a real terminal: a Redis primary dies, Alertmanager's `RedisDown`
//! reaches the console's own engine, the engine diagnoses the event by itself, and the event's
//! detail shows the tree with the path taken marked, the cause and the recommendation; the
//! timeline carries the `diagnosed` entry. `d` diagnoses again (G1, y/n) and the detail shows the
//! operator's run. Real `redis-server`s, real tmux at 100×60 (the detail's diagnosis section fits
//! without scrolling); every wait polls the screen.

use std::process::Command;

mod common;

use common::redis_pair::{REDIS, post_alertmanager, redis, redis_down};
use common::tmux::{BIN, Tmux};

#[test]
fn the_detail_shows_the_diagnosis_path_and_d_runs_it_again() {
    let Some(t) = Tmux::start("diagnosis", 100, 60) else {
        return;
    };
    if !common::require_program(REDIS, "redis-server")
        || !common::require_program("/usr/bin/curl", "curl")
    {
        return;
    }
    let (a, b) = (common::free_port(), common::free_port());
    let ra = redis(t.home.path(), a, None);
    let _rb = redis(t.home.path(), b, Some(a));
    let file = t.home.path().join("estate.toml");
    std::fs::write(
        &file,
        format!(
            "[[component]]\nname = \"redis-a\"\nkind = \"redis\"\nlayer = \"storage\"\n\
             role = \"primary\"\nendpoints = {{ host = \"127.0.0.1\", port = {a} }}\n\n\
             [[component]]\nname = \"redis-b\"\nkind = \"redis\"\nlayer = \"storage\"\n\
             role = \"standby\"\nendpoints = {{ host = \"127.0.0.1\", port = {b} }}\n"
        ),
    )
    .unwrap();
    let xdg = |d: &str| t.home.path().join(d);
    let out = Command::new(BIN)
        .args(["apply", file.to_str().unwrap()])
        .env("XDG_CONFIG_HOME", xdg("config"))
        .env("XDG_DATA_HOME", xdg("data"))
        .env("XDG_STATE_HOME", xdg("state"))
        .env_remove("NIGHTWATCH_DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = common::free_port();
    t.launch_on(&format!("127.0.0.1:{port}"), "");
    drop(ra); // the primary dies
    let auth = t.nightwatch(&["config", "get", "INGEST_AUTH", "--reveal", "-o", "json"]);
    let token = auth["value"]["alertmanager"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let posted = std::time::Instant::now();
    assert_eq!(
        post_alertmanager(port, &token, &redis_down(&format!("127.0.0.1:{a}"))),
        "200"
    );
    t.wait_for("1 new P0/P1 event");
    t.keys(&["!"]);
    let screen = t.wait("the engine's diagnosis in the detail", 30, |s| {
        s.contains("Cause [P0]")
    });
    // The figure (not asserted: timed in a debug build, printed for the record).
    eprintln!(
        "DIAGNOSIS on screen {} ms after the alert's 2xx (2 redis probes, key `!` included, debug build, tmux 100x60)",
        posted.elapsed().as_millis()
    );
    let marked: Vec<&str> = screen
        .lines()
        .filter_map(|l| l.trim_start_matches('│').trim_start().strip_prefix("▶ "))
        .collect();
    assert_eq!(marked.len(), 3, "{screen}");
    assert!(marked[0].starts_with("● master-answers"), "{screen}");
    assert!(
        marked[1]
            .trim_start()
            .starts_with("unreach → ● replica-answers"),
        "{screen}"
    );
    assert!(
        marked[2]
            .trim_start()
            .starts_with("pass → ■ master-down-replica-healthy [P0]"),
        "{screen}"
    );
    assert!(
        screen.contains("Diagnosis run 1 · redis-master-down · done · by engine"),
        "{screen}"
    );
    assert!(
        screen.contains(&format!("replica redis-b healthy at 127.0.0.1:{b}")),
        "{screen}"
    );
    assert!(
        screen.contains("Recommends redis-master-switch (new_master=redis-b"),
        "{screen}"
    );
    assert!(
        screen
            .lines()
            .any(|l| l.contains(" diagnosed ")
                && l.contains("diagnosis redis-master-down (run 1) [P0]")),
        "the timeline entry: {screen}"
    );
    // The built-in policy is shadow: its decision is on the timeline too (the engine records it
    // right after the diagnosis; the detail shows it at its next read).
    t.wait("the self-heal decision on the timeline", 30, |s| {
        s.lines()
            .any(|l| l.contains(" self-heal ") && l.contains("self-heal (shadow) would skip plan"))
    });

    // `d`: G1, asked and confirmed; the operator's run replaces the engine's on screen.
    t.keys(&["d"]);
    t.wait_for("Diagnose");
    t.keys(&["y"]);
    let screen = t.wait("the operator's run in the detail", 30, |s| {
        s.contains("Diagnosis run 2 · redis-master-down · done")
    });
    assert!(!screen.contains("by engine ·"), "{screen}");
    assert!(screen.contains("Cause [P0]"), "{screen}");
    t.quit();
}
