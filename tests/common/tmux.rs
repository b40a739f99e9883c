//! A real terminal for console end-to-end tests: a private tmux server (`tmux -L`) with one `sh`
//! session, and a private XDG home for nightwatch. Every wait polls `capture-pane` until the
//! expected text appears or a deadline passes; nothing sleeps blindly. Without tmux the tests are
//! skipped with a message, except under `CI=true`, where they fail.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_nightwatch");

pub struct Tmux {
    pub socket: String,
    pub home: tempfile::TempDir,
}

impl Tmux {
    /// Start tmux at `width`×`height`, or `None` (skip) when tmux is not installed.
    pub fn start(name: &str, width: u16, height: u16) -> Option<Tmux> {
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

    pub fn tmux(&self, args: &[&str]) -> Output {
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

    pub fn config_dir(&self) -> std::path::PathBuf {
        self.home.path().join("config/nightwatch")
    }

    /// Type text literally, then press Enter.
    pub fn type_line(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "nw", "-l", text]);
        self.keys(&["Enter"]);
    }

    /// Press keys by tmux name (`Escape`, `Tab`, `C-c`, `q`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "nw"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "nw"]).stdout).into_owned()
    }

    /// The screen plus the scrollback (a resize reflows long lines into it).
    pub fn screen_and_history(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p", "-J", "-S", "-", "-t", "nw"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A tmux format for the pane, e.g. `#{alternate_on}`.
    pub fn format(&self, fmt: &str) -> String {
        let out = self.tmux(&["display-message", "-p", "-t", "nw", fmt]);
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Poll the screen until `ok` holds; panic with the last screen after `secs`.
    pub fn wait(&self, what: &str, secs: u64, ok: impl Fn(&str) -> bool) -> String {
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

    pub fn wait_for(&self, text: &str) -> String {
        self.wait(&format!("{text:?}"), 15, |s| s.contains(text))
    }

    pub fn wait_gone(&self, text: &str) -> String {
        self.wait(&format!("{text:?} to go away"), 15, |s| !s.contains(text))
    }

    /// Quit with `key` (`q`, `C-c`): a console running the engine asks first and says what
    /// stops; answer `y`. Returns the screen after the exit.
    pub fn quit_with(&self, key: &str) -> String {
        // `q` backs out of a detail first: press it again until the question or the exit.
        for _ in 0..4 {
            let before = self.screen();
            self.keys(&[key]);
            let screen = self.wait("the quit question, the exit or a step back", 15, |s| {
                s.contains("Quit nightwatch?") || s.contains("EXIT=") || s != before
            });
            if screen.contains("Quit nightwatch?") {
                assert!(screen.contains("Quitting stops:"), "{screen}");
                self.keys(&["y"]);
                return self.wait_for("EXIT=0");
            }
            if screen.contains("EXIT=") {
                return self.wait_for("EXIT=0");
            }
        }
        panic!("{key} never quit:\n{}", self.screen());
    }

    /// [`Tmux::quit_with`] `q`.
    pub fn quit(&self) -> String {
        self.quit_with("q")
    }

    /// The binary with the private XDG directories, as a shell command line.
    pub fn command(&self) -> String {
        let xdg = |d: &str| self.home.path().join(d).display().to_string();
        format!(
            "XDG_CONFIG_HOME={} XDG_DATA_HOME={} XDG_STATE_HOME={} LANG=C.UTF-8 {BIN}",
            xdg("config"),
            xdg("data"),
            xdg("state")
        )
    }

    /// Run the binary (not in tmux) with the private XDG directories; stdout as JSON.
    pub fn nightwatch(&self, args: &[&str]) -> serde_json::Value {
        let xdg = |d: &str| self.home.path().join(d);
        let out = Command::new(BIN)
            .args(args)
            .env("XDG_CONFIG_HOME", xdg("config"))
            .env("XDG_DATA_HOME", xdg("data"))
            .env("XDG_STATE_HOME", xdg("state"))
            .output()
            .expect("run nightwatch");
        assert!(
            out.status.success(),
            "nightwatch {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON")
    }

    /// Launch the console on a free port with `extra` flags.
    pub fn launch(&self, extra: &str) {
        self.launch_on("127.0.0.1:0", extra);
    }

    /// Launch the console (engine in-process) listening on `listen`, and wait for its first frame
    /// with data (a cold debug start creates and migrates the database: give it time).
    pub fn launch_on(&self, listen: &str, extra: &str) {
        self.type_line(&format!(
            "{} --listen {listen} {extra}; echo EXIT=$?",
            self.command()
        ));
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
