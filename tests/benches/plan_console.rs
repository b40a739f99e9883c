//! The delay between a plan step's state change and the console showing it, measured on the real
//! console (release binary) in a real terminal (tmux): a 100-step plan of 50 ms steps runs in the
//! console's in-process engine on the embedded SQLite while the Plans tab (5) is open; the screen
//! is captured as fast as tmux answers (a few ms per capture) and the first time the run's
//! progress column shows `k/100` is compared with the moment step k's `finished` state was
//! committed (its `finished_at`). Reported at the default refresh (1,000 ms) and at 100 ms.
//!
//! Run: `cargo bench --bench plan_console` (needs tmux). Env: STEPS (default 100).

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use nightwatch::domain::time::now_ms;
use nightwatch::store::{ConnectOptions, Store};

const BIN: &str = env!("CARGO_BIN_EXE_nightwatch");

struct Session {
    socket: String,
    home: tempfile::TempDir,
}

impl Session {
    fn xdg(&self, cmd: &mut Command) {
        let h = self.home.path();
        cmd.env("XDG_CONFIG_HOME", h.join("config"))
            .env("XDG_DATA_HOME", h.join("data"))
            .env("XDG_STATE_HOME", h.join("state"))
            .env("LANG", "C.UTF-8")
            .env_remove("NIGHTWATCH_DATABASE_URL");
    }

    fn nightwatch(&self, args: &[&str]) -> String {
        let mut c = Command::new(BIN);
        self.xdg(&mut c);
        let o = c.args(args).output().expect("run nightwatch");
        assert!(
            o.status.success(),
            "nightwatch {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn tmux(&self, args: &[&str]) -> String {
        let o = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn wait(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self
            .tmux(&["capture-pane", "-p", "-t", "nw"])
            .contains(text)
        {
            assert!(Instant::now() < deadline, "timed out waiting for {text:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn measure(steps: usize, refresh_ms: u64) -> Vec<i64> {
    let s = Session {
        socket: format!("nw-bench-{}-{refresh_ms}", std::process::id()),
        home: tempfile::tempdir().expect("tempdir"),
    };
    let mut plan = String::from("[[plan]]\nname = \"paced\"\n");
    for i in 0..steps {
        plan.push_str(&format!(
            "\n[[plan.step]]\nid = \"s{i:03}\"\ndanger = \"G1\"\nop = {{ kind = \"command\", script = \"sleep 0.05\" }}\n"
        ));
    }
    let file = s.home.path().join("paced.toml");
    std::fs::write(&file, plan).expect("write plan");
    s.nightwatch(&["apply", file.to_str().expect("utf-8 path")]);
    let h = s.home.path();
    let cmd = format!(
        "XDG_CONFIG_HOME={} XDG_DATA_HOME={} XDG_STATE_HOME={} LANG=C.UTF-8 {BIN} --refresh {refresh_ms} --listen 127.0.0.1:0",
        h.join("config").display(),
        h.join("data").display(),
        h.join("state").display()
    );
    s.tmux(&[
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-s",
        "nw",
        "-x",
        "160",
        "-y",
        "48",
        &cmd,
    ]);
    s.wait("Overview");
    s.tmux(&["send-keys", "-t", "nw", "5"]);
    s.wait("paced");
    let out = s.nightwatch(&["plan", "run", "paced", "--yes", "--no-wait"]);
    let id: i64 = out
        .split_whitespace()
        .skip_while(|w| *w != "run")
        .nth(1)
        .and_then(|w| w.parse().ok())
        .expect("run id in the output");
    // First epoch-ms at which the screen showed k finished steps for this run.
    let mut first_seen: BTreeMap<usize, i64> = BTreeMap::new();
    let total = format!("/{steps}");
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut screen = String::new();
    while first_seen.keys().next_back().copied() != Some(steps) {
        assert!(
            Instant::now() < deadline,
            "run {id} did not finish on screen; last screen:\n{screen}"
        );
        screen = s.tmux(&["capture-pane", "-p", "-t", "nw"]);
        let at = now_ms();
        let row = screen.lines().find(|l| {
            l.trim_start_matches(['│', ' ', '▶'])
                .starts_with(&format!("#{id} "))
                && l.contains("paced")
        });
        if let Some(done) = row.and_then(|l| {
            l.split_whitespace()
                .find(|w| w.ends_with(&total))
                .and_then(|w| w.split('/').next()?.parse::<usize>().ok())
        }) {
            for k in 1..=done {
                first_seen.entry(k).or_insert(at);
            }
        }
    }
    s.tmux(&["send-keys", "-t", "nw", "q"]);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let url = format!(
        "sqlite://{}/nightwatch/nightwatch.db",
        h.join("data").display()
    );
    let steps_rows = rt.block_on(async {
        let store = Store::connect(&url, &ConnectOptions::default())
            .await
            .expect("connect");
        let rows = store.plan_run_steps(id).await.expect("steps");
        store.close().await;
        rows
    });
    let mut finished: Vec<i64> = steps_rows.iter().map(|r| r.finished_at).collect();
    finished.sort_unstable();
    let _ = Command::new("tmux")
        .args(["-L", &s.socket, "kill-server"])
        .stderr(std::process::Stdio::null())
        .status();
    finished
        .iter()
        .enumerate()
        .filter_map(|(i, at)| first_seen.get(&(i + 1)).map(|seen| seen - at))
        .collect()
}

fn main() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("tmux is not installed: nothing measured");
        return;
    }
    let steps = std::env::var("STEPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100usize);
    println!(
        "== step state committed → shown by the console (tmux capture), {steps} steps of ~50 ms"
    );
    for refresh in [1000, 100] {
        let mut d = measure(steps, refresh);
        d.sort_unstable();
        println!(
            "--refresh {refresh:>4}: delay median {:>4} ms, p90 {:>4} ms, max {:>4} ms, min {:>4} ms ({} steps)",
            d[d.len() / 2],
            d[d.len() * 9 / 10],
            d[d.len() - 1],
            d[0],
            d.len()
        );
    }
}
