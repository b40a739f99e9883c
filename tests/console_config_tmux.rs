//! End-to-end test of the Config pane in a real terminal, driven through tmux: open
//! `RISK_DASHBOARD_CONFIG`, edit it in place, introduce a JSON syntax error and see it reported at
//! the right line, fix it, change a filter, save with a reason, see the new version in the history,
//! and check from outside with `nightwatch config get -o json` that version 1 holds the change.
//!
//! Same harness as `console_tmux.rs`: fresh XDG directories, `--listen 127.0.0.1:0`, every wait
//! polls `capture-pane`; skipped without tmux except under `CI=true`.

use std::process::Command;

mod common;

use common::tmux::{BIN, Tmux};

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
    // Saved, not yet in effect: the in-process engine adopts it at its next configuration poll,
    // and only then does the key read "modified" (issue 12: the marker must not run ahead).
    t.wait_for("RISK_DASHBOARD_CONFIG: saved v1 (applying)");
    t.wait_for("● modified");

    // The history shows the new version with its reason and diff.
    t.keys(&["H"]);
    let screen = t.wait_for("History of RISK_DASHBOARD_CONFIG · 1 versions");
    t.wait_for("CHG-77 keep P2 events");
    assert!(screen.contains("(current)"), "{screen}");
    // Esc and q sent at once would read as alt-q: let the Esc land first.
    t.keys(&["Escape"]);
    t.wait_gone("History of");
    t.quit();

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
