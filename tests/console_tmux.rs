//! End-to-end test of the console in a real terminal, driven through tmux (`send-keys`,
//! `capture-pane`): start the binary on a fresh embedded SQLite, visit every tab, open the help,
//! run `:` commands, filter, resize to 80×24, quit, and check the terminal is given back.
//!
//! Every wait polls `capture-pane` until the expected text appears or a deadline passes; nothing
//! sleeps blindly. Each test uses its own tmux socket (`tmux -L`) so tests run in parallel.
//! Without tmux the tests are skipped with a message, except under `CI=true`, where they fail.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

mod common;

use common::tmux::Tmux;

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
        ("4", "host-basics"),
        ("5", "no runs yet"),
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
    t.wait_for("Inspection tasks");
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
    // The filter applies live while typing; wait for Enter to land (the prompt closes) so the
    // Esc below is not read together with the next one.
    t.wait_for("filter: role:console (0 shown");
    t.wait("the prompt closed", 15, |s| {
        !s.lines().any(|l| l.starts_with("/role"))
    });
    t.keys(&["Escape"]);
    t.wait_gone("filter: role:console (");
    t.keys(&["Escape"]);
    t.wait_for("Instances 1 ");

    // Resize to 80×24: the frame is redrawn to fit, nothing spills over.
    t.tmux(&["resize-window", "-t", "nw", "-x", "80", "-y", "24"]);
    let screen = t.wait("a redraw at 80x24", 10, |s| {
        let lines: Vec<&str> = s.lines().collect();
        // The hint bar (the pane's keys) above the status bar, which keeps the engine.
        lines.len() == 24
            && lines[22].contains("? help")
            && lines[23].contains("in-proc")
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
    let screen = t.quit();
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
    t.wait_for("Enter view · H history · / filter · read-only");
    // The built-in map still works.
    t.keys(&["2"]);
    t.wait_for("no risk events (suppressed");
    // ctrl-c quits from normal mode.
    let screen = t.quit_with("C-c");
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
    t.quit();
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
