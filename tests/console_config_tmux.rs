//! End-to-end test of the Config pane in a real terminal, driven through tmux: open
//! `RISK_DASHBOARD_CONFIG`, edit it in place, introduce a JSON syntax error and see it reported at
//! the right line, fix it, change a filter, save with a reason, see the new version in the history,
//! and check from outside with `nightwatch config get -o json` that version 1 holds the change.
//!
//! Same harness as `console_tmux.rs`: fresh XDG directories, `--listen 127.0.0.1:0`, every wait
//! polls `capture-pane`; skipped without tmux except under `CI=true`.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_nightwatch");

/// A tmux server with one session running `sh`, and a private XDG home for nightwatch.
struct Tmux {
    socket: String,
    home: tempfile::TempDir,
}

impl Tmux {
    /// Start tmux at `width`×`height`, or `None` (skip) when tmux is not installed.
    fn start(name: &str, width: u16, height: u16) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "tmux is required for the console end-to-end tests under CI (apt-get install tmux)"
            );
            eprintln!("skipping {name}: tmux is not installed");
            return None;
        }
        let t = Tmux {
            socket: format!("nw-e2e-{name}-{}", std::process::id()),
            home: tempfile::tempdir().expect("temp dir"),
        };
        let (w, h) = (width.to_string(), height.to_string());
        t.tmux(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "nw",
            "-x",
            &w,
            "-y",
            &h,
            "sh",
        ]);
        t.tmux(&["set-option", "-g", "window-size", "manual"]);
        Some(t)
    }

    fn tmux(&self, args: &[&str]) -> Output {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("run tmux");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Type text literally, then press Enter.
    fn type_line(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "nw", "-l", text]);
        self.keys(&["Enter"]);
    }

    /// Press keys by tmux name (`Escape`, `Tab`, `C-c`, `q`).
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "nw"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "nw"]).stdout).into_owned()
    }

    /// A tmux format for the pane, e.g. `#{alternate_on}`.
    fn format(&self, fmt: &str) -> String {
        let out = self.tmux(&["display-message", "-p", "-t", "nw", fmt]);
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Poll the screen until `ok` holds; panic with the last screen after `secs`.
    fn wait(&self, what: &str, secs: u64, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_for(&self, text: &str) -> String {
        self.wait(&format!("{text:?}"), 10, |s| s.contains(text))
    }

    fn wait_gone(&self, text: &str) -> String {
        self.wait(&format!("{text:?} to go away"), 10, |s| !s.contains(text))
    }

    /// The binary with the private XDG directories.
    fn command(&self) -> String {
        let xdg = |d: &str| self.home.path().join(d).display().to_string();
        format!(
            "XDG_CONFIG_HOME={} XDG_DATA_HOME={} XDG_STATE_HOME={} LANG=C.UTF-8 {BIN}",
            xdg("config"),
            xdg("data"),
            xdg("state")
        )
    }

    /// Launch nightwatch in the shell with a private config/data/state dir and a free port.
    fn launch(&self, extra: &str) {
        self.type_line(&format!(
            "{} --listen 127.0.0.1:0 {extra}; echo EXIT=$?",
            self.command()
        ));
        // A cold debug start creates and migrates the database; give it time.
        self.wait("the first frame with data", 30, |s| {
            s.contains("Instances") && s.contains("live")
        });
        assert_eq!(
            self.format("#{alternate_on}"),
            "1",
            "the console uses the alternate screen"
        );
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

#[test]
fn edit_a_key_with_a_syntax_error_then_save_and_see_the_history() {
    let Some(t) = Tmux::start("config", 120, 40) else {
        return;
    };
    t.launch("");
    t.keys(&["6"]);
    t.wait_for("RISK_DASHBOARD_CONFIG");
    t.wait_for("Switches (");
    t.type_line(":config RISK_DASHBOARD_CONFIG");
    t.wait_for("never saved: the documented default");

    // Edit in place; delete the comma after line 2: the next line is a syntax error.
    t.keys(&["e"]);
    t.wait_for("Edit RISK_DASHBOARD_CONFIG");
    t.keys(&["Down", "End", "BSpace"]);
    t.keys(&["C-s"]);
    let screen = t.wait_for("JSON syntax error at line 3, column 3");
    assert!(screen.contains("expected `,` or `}`"), "{screen}");
    assert!(
        !screen.contains("Review and confirm"),
        "nothing to confirm yet"
    );

    // Fix it, then keep P2 risk events (riskLevelMap.P2 false -> true).
    t.keys(&["Up", "End"]);
    t.tmux(&["send-keys", "-t", "nw", "-l", ","]);
    t.keys(&["C-f"]);
    t.wait_for("find:");
    t.type_line("\"P2\"");
    t.wait_for("found \"P2\" at line");
    t.keys(&[
        "End", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace",
    ]);
    t.tmux(&["send-keys", "-t", "nw", "-l", "true,"]);
    t.keys(&["C-s"]);
    let screen = t.wait_for("Review and confirm");
    assert!(
        screen.contains("+     \"P2\": true,"),
        "side-by-side diff:\n{screen}"
    );
    assert!(screen.contains("default (never saved)"), "{screen}");
    t.type_line("CHG-77 keep P2 events");
    t.wait_for("RISK_DASHBOARD_CONFIG: saved v1 (modified)");

    // The history shows the new version with its reason and diff.
    t.keys(&["h"]);
    let screen = t.wait_for("History of RISK_DASHBOARD_CONFIG · 1 versions");
    t.wait_for("CHG-77 keep P2 events");
    assert!(screen.contains("(current)"), "{screen}");
    // Esc and q sent at once would read as alt-q: let the Esc land first.
    t.keys(&["Escape"]);
    t.wait_gone("History of");
    t.keys(&["q"]);
    t.wait_for("EXIT=0");

    // From outside, with the same XDG directories.
    let xdg = |d: &str| t.home.path().join(d);
    let out = Command::new(BIN)
        .args(["config", "get", "RISK_DASHBOARD_CONFIG", "-o", "json"])
        .env("XDG_CONFIG_HOME", xdg("config"))
        .env("XDG_DATA_HOME", xdg("data"))
        .env("XDG_STATE_HOME", xdg("state"))
        .output()
        .expect("run nightwatch config get");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(got["version"], 1, "{got}");
    assert_eq!(got["value"]["riskLevelMap"]["P2"], true, "{got}");
    assert_eq!(got["reason"], "CHG-77 keep P2 events", "{got}");
    assert_eq!(
        got["value"]["antProductMap"],
        serde_json::json!({}),
        "{got}"
    );
}
