//! End-to-end test of the console in a real terminal, driven through tmux (`send-keys`,
//! `capture-pane`): start the binary on a fresh embedded SQLite, visit every tab, open the help,
//! run `:` commands, filter, resize to 80×24, quit, and check the terminal is given back.
//!
//! Every wait polls `capture-pane` until the expected text appears or a deadline passes; nothing
//! sleeps blindly. Each test uses its own tmux socket (`tmux -L`) so tests run in parallel.
//! Without tmux the tests are skipped with a message, except under `CI=true`, where they fail.

use std::path::Path;
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

    fn config_dir(&self) -> std::path::PathBuf {
        self.home.path().join("config/nightwatch")
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

    /// The screen plus the scrollback (a resize reflows long lines into it).
    fn screen_and_history(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p", "-J", "-S", "-", "-t", "nw"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
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

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

#[test]
fn tabs_help_commands_filter_resize_and_quit() {
    let Some(t) = Tmux::start("main", 120, 40) else {
        return;
    };
    t.type_line("clear; echo BEFORE-NIGHTWATCH");
    t.wait_for("BEFORE-NIGHTWATCH");
    t.launch("");
    assert_eq!(t.format("#{cursor_flag}"), "0", "the cursor is hidden");
    assert!(!t.screen().contains("BEFORE-NIGHTWATCH"));

    // Every tab, by number, then Tab wraps around.
    for (key, title) in [
        ("2", "no risk events (suppressed"),
        ("3", "No DR architecture described yet"),
        ("4", "No inspection runs yet"),
        ("5", "No plan runs yet"),
        ("6", "RISK_DASHBOARD_CONFIG"),
        ("1", "Database & engine"),
    ] {
        t.keys(&[key]);
        t.wait_for(title);
    }
    t.keys(&["Tab"]);
    t.wait_for("no risk events (suppressed");
    t.keys(&["BTab"]);
    t.wait_for("Database & engine");

    // Help, generated from the key map; Esc closes it.
    t.keys(&["?"]);
    t.wait_for("Help (from the key map)");
    t.wait_for("Move down");
    t.keys(&["Escape"]);
    t.wait_gone("Help (from the key map)");

    // `:` with Tab completion, then an unknown command with a suggestion.
    t.keys(&[":"]);
    t.tmux(&["send-keys", "-t", "nw", "-l", "insp"]);
    t.wait_for(":insp");
    t.keys(&["Tab"]);
    t.wait_for(":inspections");
    t.keys(&["Enter"]);
    t.wait_for("No inspection runs yet");
    t.keys(&[":"]);
    t.type_line("evnts");
    t.wait_for("unknown command :evnts (did you mean :events?)");
    t.keys(&["Escape"]);
    t.wait_gone("unknown command");

    // Filter the instances table: nothing matches role:console, Esc (message, filter) restores.
    t.keys(&["1"]);
    t.wait_for("Database & engine");
    t.keys(&["/"]);
    t.type_line("role:console");
    t.wait_for("Instances 0/1");
    t.wait_for("no instance matches the filter");
    t.keys(&["Escape"]);
    t.wait_gone("filter: role:console");
    t.keys(&["Escape"]);
    t.wait_for("Instances 1 ");

    // Resize to 80×24: the frame is redrawn to fit, nothing spills over.
    t.tmux(&["resize-window", "-t", "nw", "-x", "80", "-y", "24"]);
    let screen = t.wait("a redraw at 80x24", 10, |s| {
        let lines: Vec<&str> = s.lines().collect();
        // At 80 columns the engine keeps a compact segment; the key hint goes first.
        lines.len() == 24
            && lines[23].contains("eng:in-proc")
            && lines[9].starts_with("┌ Risk events")
            && lines[17].starts_with("┌ Instances")
    });
    for line in screen.lines() {
        assert!(line.chars().count() <= 80, "line wider than 80: {line:?}");
    }
    assert!(
        screen
            .lines()
            .next()
            .unwrap_or_default()
            .contains("6 Config"),
        "{screen}"
    );

    // Quit: the shell and its screen are back, in cooked mode, cursor visible.
    t.keys(&["q"]);
    let screen = t.wait_for("EXIT=0");
    assert!(
        !screen.contains("Database & engine"),
        "alternate screen left:\n{screen}"
    );
    let all = t.screen_and_history();
    assert!(
        all.contains("BEFORE-NIGHTWATCH"),
        "previous screen restored:\n{all}"
    );
    assert!(
        !all.contains("Database & engine"),
        "the console never drew on the main screen"
    );
    assert_eq!(t.format("#{alternate_on}"), "0");
    assert_eq!(
        t.format("#{cursor_flag}"),
        "1",
        "the cursor is visible again"
    );
    t.type_line(
        "stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ,",
    );
    t.wait_for("icanon,echo,");
}

#[test]
fn ctrl_c_quits_and_read_only_and_broken_keymap_show_in_the_status_bar() {
    let Some(t) = Tmux::start("ro", 160, 30) else {
        return;
    };
    let keymap = "normal = [\n  { on = \"x\", run = \"dwon\", desc = \"typo\" },\n]\n";
    write(&t.config_dir().join("keymap.toml"), keymap);
    // --read-only never creates a database: make it first.
    t.type_line(&format!(
        "{} migrate >/dev/null; echo MIGRATED=$?",
        t.command()
    ));
    t.wait_for("MIGRATED=0");
    t.type_line("clear; echo BEFORE-NIGHTWATCH");
    t.wait_for("BEFORE-NIGHTWATCH");
    t.launch("--read-only");
    t.wait_for("READ-ONLY");
    t.wait_for("keymap.toml: [normal] entry 1");
    t.type_line(":settings");
    t.wait_for("Console settings in effect");
    t.wait_for("broken)");
    t.keys(&["Escape"]);
    t.wait_gone("Console settings in effect");
    t.keys(&["6"]);
    t.wait_for("Enter view · h history · / filter · read-only");
    // The built-in map still works.
    t.keys(&["2"]);
    t.wait_for("no risk events (suppressed");
    // ctrl-c quits from normal mode.
    t.keys(&["C-c"]);
    let screen = t.wait_for("EXIT=0");
    assert!(screen.contains("BEFORE-NIGHTWATCH"), "{screen}");
    assert_eq!(t.format("#{alternate_on}"), "0");
}

#[test]
fn an_idle_console_writes_nothing_to_the_terminal() {
    let Some(t) = Tmux::start("idle", 160, 48) else {
        return;
    };
    t.launch("--refresh 200");
    // Wait for the last expected change: the in-process engine wins the master election.
    t.wait("the master lease", 30, |s| {
        s.contains("term 1") && s.contains("in-process")
    });
    let log = t.home.path().join("pane-output");
    let cmd = format!("cat >> {}", log.display());
    t.tmux(&["pipe-pane", "-o", "-t", "nw", &cmd]);
    // A measurement window, not a wait for text: it spans a heartbeat (5 s), so the data really
    // changes underneath (heartbeat_at), and ~30 polls; none of it is visible, so nothing is drawn.
    std::thread::sleep(Duration::from_secs(6));
    t.tmux(&["pipe-pane", "-t", "nw"]);
    let bytes = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
    assert_eq!(
        bytes,
        0,
        "idle console wrote {bytes} bytes; screen:\n{}",
        t.screen()
    );
    // The same pipe does see output when something changes (the measurement is not vacuous).
    t.tmux(&["pipe-pane", "-o", "-t", "nw", &cmd]);
    t.keys(&["2"]);
    t.wait_for("no risk events (suppressed");
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0) == 0 {
        assert!(
            Instant::now() < deadline,
            "pipe-pane captured nothing after a tab switch"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    t.tmux(&["pipe-pane", "-t", "nw"]);
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() {
    for signal in ["TERM", "HUP"] {
        let Some(t) = Tmux::start(&format!("sig{signal}"), 120, 40) else {
            return;
        };
        t.launch("");
        let shell = t.format("#{pane_pid}");
        let out = Command::new("pgrep")
            .args(["-P", &shell])
            .output()
            .expect("pgrep");
        let pid = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        assert!(!pid.is_empty(), "no child of the shell {shell}");
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status();
        assert!(status.expect("kill").success());
        let screen = t.wait_for("EXIT=");
        assert!(
            !screen.contains("Database & engine"),
            "SIG{signal}: alternate screen left"
        );
        assert_eq!(t.format("#{alternate_on}"), "0", "SIG{signal}");
        assert_eq!(
            t.format("#{cursor_flag}"),
            "1",
            "SIG{signal}: cursor visible"
        );
    }
}
