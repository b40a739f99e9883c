//! End-to-end test of the Inspections pane in a real terminal, driven through tmux at 80×24: a
//! task whose tcp check targets a closed loopback port (disabled, so only the operator runs it)
//! is applied next to the built-in host task; in the console the operator selects it, runs it
//! now (`r`, `y`), watches it go from "never run" to failed, opens its runs, the run's matrix and
//! the failed result, whose detail shows the check's message and the refused connection. From
//! outside, `nightwatch inspect runs` sees the manual run.
//!
//! Fresh XDG directories; every wait polls `capture-pane`; skipped without tmux except under
//! `CI=true`.

use std::process::Command;

mod common;

use common::tmux::{BIN, Tmux};

/// `nightwatch apply FILE` with the console's private XDG directories.
fn apply(t: &Tmux, file: &std::path::Path) {
    let xdg = |d: &str| t.home.path().join(d);
    let out = Command::new(BIN)
        .arg("apply")
        .arg(file)
        .env("XDG_CONFIG_HOME", xdg("config"))
        .env("XDG_DATA_HOME", xdg("data"))
        .env("XDG_STATE_HOME", xdg("state"))
        .env_remove("NIGHTWATCH_DATABASE_URL")
        .output()
        .expect("run nightwatch apply");
    assert!(
        out.status.success(),
        "apply: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The screen line of the task list row for `task` (not the list's title with the filter, nor
/// the detail block's title).
fn row_of<'a>(screen: &'a str, task: &str) -> Option<&'a str> {
    screen
        .lines()
        .find(|l| l.contains(task) && !l.contains("Inspection tasks") && !l.contains(" Task "))
}

#[test]
fn run_a_failing_task_open_the_run_and_its_failed_result() {
    let Some(t) = Tmux::start("inspections", 80, 24) else {
        return;
    };
    // Nothing listens on a port just found free: the connection is refused.
    let port = common::free_port();
    let content = t.home.path().join("svc.toml");
    std::fs::write(
        &content,
        format!(
            "[[component]]\nname = \"svc-1\"\nkind = \"svc\"\nlayer = \"business\"\n\
             endpoints = {{ host = \"127.0.0.1\", port = {port} }}\n\n\
             [[rule]]\nname = \"svc-port\"\ndescription = \"svc port listening\"\n\
             probe = {{ kind = \"tcp\" }}\ncondition = \"[CONNECTED] == true\"\nlevel = \"P1\"\n\
             targets = {{ kind = \"svc\" }}\n\n\
             [[task]]\nname = \"svc-check\"\nrules = [\"svc-port\"]\nevery = \"1h\"\n\
             timeout = \"2s\"\nenabled = false\n"
        ),
    )
    .expect("write content");
    apply(&t, &content);
    t.launch("");

    t.keys(&["4"]);
    let screen = t.wait("the task list", 30, |s| {
        s.contains("Inspection tasks") && s.contains("host-basics") && s.contains("svc-check")
    });
    let row = row_of(&screen, "svc-check").unwrap_or_default();
    assert!(
        row.contains("never run") && row.contains("off"),
        "a disabled task the scheduler never ran:\n{screen}"
    );

    // Select it through the filter (the built-in library has other tasks around it).
    t.keys(&["/"]);
    t.type_line("task:svc-check");
    t.wait("the filtered list", 15, |s| {
        s.contains("/task:svc-check") && !s.contains("host-basics")
    });

    t.keys(&["x"]);
    let screen = t.wait_for("Run inspection task now");
    assert!(
        screen.contains("G1") && screen.contains("svc-check"),
        "{screen}"
    );
    t.keys(&["y"]);
    t.wait_for("queued run #");
    let screen = t.wait("the manual run to fail", 60, |s| {
        row_of(s, "svc-check").is_some_and(|r| r.contains("failed"))
    });
    let row = row_of(&screen, "svc-check").unwrap_or_default();
    assert!(row.contains("✗ failed"), "symbol and word:\n{screen}");

    // Its runs: the newest is the manual one.
    t.keys(&["Enter"]);
    let screen = t.wait("the runs", 15, |s| {
        s.contains("svc-check › runs") && s.contains("manual")
    });
    assert!(
        screen.contains("✗ failed") && screen.contains("✗1"),
        "{screen}"
    );

    // The run as a matrix: one rule × one target, failed.
    t.keys(&["Enter"]);
    let screen = t.wait("the matrix", 15, |s| {
        s.contains("run #") && s.contains("RULE") && s.contains("svc-1")
    });
    let cell_row = screen
        .lines()
        .find(|l| l.contains("svc-port") && !l.contains('×'))
        .unwrap_or_default();
    assert!(cell_row.contains('✗'), "the failed cell:\n{screen}");

    // The failed result in full.
    t.keys(&["Enter"]);
    let screen = t.wait("the result detail", 15, |s| {
        s.contains("Message") && s.contains("Output")
    });
    assert!(
        screen.contains("[CONNECTED] == true is false"),
        "the check's message:\n{screen}"
    );
    assert!(screen.contains("\"CONNECTED\": false"), "{screen}");
    assert!(
        screen.contains("Connection refused") && screen.contains(&format!("127.0.0.1:{port}")),
        "the probe's own line says why:\n{screen}"
    );
    assert!(screen.contains("✗ fail"), "{screen}");

    // Esc goes back one level at a time.
    t.keys(&["Escape"]);
    t.wait_for("RULE ");
    t.keys(&["Escape"]);
    t.wait_for("svc-check › runs");
    t.keys(&["Escape"]);
    t.wait_for("Inspection tasks");
    t.quit();

    let runs = t.nightwatch(&["inspect", "runs", "svc-check", "-o", "json"]);
    let runs = runs.as_array().expect("a list of runs");
    assert_eq!(runs.len(), 1, "only the operator ran it: {runs:?}");
    assert_eq!(runs[0]["trigger"], "manual");
    assert_eq!(runs[0]["status"], "failed");
}
