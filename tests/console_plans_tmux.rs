//! End-to-end test of the Plans pane in a real terminal, driven through tmux at 80×24. A G2 plan
//! whose first step prints `start` and sleeps, and a G3 plan, are applied to a fresh data dir;
//! in the console the operator launches the G2 plan from tab 5 (form, every operation shown,
//! a reason), watches the step run with its output in the live view, aborts it (a reason) and
//! sees it aborted; then tries the G3 plan with a wrong name, which is refused. From outside,
//! `nightwatch plan runs`/`plan logs` see the aborted run whose second step never ran, and no
//! run of the G3 plan.
//!
//! Fresh XDG directories; every wait polls `capture-pane`; skipped without tmux except under
//! `CI=true`.

use std::process::Command;

mod common;

use common::tmux::{BIN, Tmux};

const PLANS: &str = r#"
[[plan]]
name = "e2e-slow"
title = "Start, then wait"

[[plan.step]]
id = "slow"
title = "Print start and sleep"
danger = "G2"
timeout = "60s"
[plan.step.op]
kind = "command"
script = "echo start; sleep 30"

[[plan.step]]
id = "after"
title = "Never reached when aborted"
danger = "G1"
[plan.step.op]
kind = "command"
script = "echo after"

[[plan]]
name = "e2e-g3"
title = "A dangerous one"

[[plan.step]]
id = "danger"
title = "Would change everything"
danger = "G3"
[plan.step.op]
kind = "command"
script = "echo never"
"#;

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

/// The selected row of the visible table (the one with the selection marker).
fn selected_row(screen: &str) -> Option<&str> {
    screen.lines().find(|l| l.contains("│▶ "))
}

/// Move the catalogue's selection towards `plan` until it is selected (each step waits for the
/// screen to show the move).
fn select_plan(t: &Tmux, plan: &str) {
    for _ in 0..30 {
        let screen = t.screen();
        let row = selected_row(&screen).unwrap_or_default().to_owned();
        if row.contains(plan) {
            return;
        }
        let lines: Vec<&str> = screen.lines().collect();
        let at = |f: &dyn Fn(&str) -> bool| lines.iter().position(|l| f(l));
        let sel = at(&|l: &str| l.contains("│▶ "));
        let target = at(&|l: &str| l.contains(&format!("│  {plan} ")));
        let key = match (sel, target) {
            (Some(s), Some(p)) if p < s => "k",
            _ => "j",
        };
        t.keys(&[key]);
        t.wait("the selection to move", 10, |s| {
            selected_row(s).is_some_and(|r| r != row)
        });
    }
    panic!("{plan} not found in the catalogue:\n{}", t.screen());
}

#[test]
fn launch_watch_and_abort_a_run_then_a_g3_refusal() {
    let Some(t) = Tmux::start("plans", 80, 24) else {
        return;
    };
    let file = t.home.path().join("plans.toml");
    std::fs::write(&file, PLANS).expect("write plans");
    apply(&t, &file);
    t.launch("");

    t.keys(&["5"]);
    t.wait("the catalogue", 30, |s| {
        s.contains("Plans ") && s.contains("e2e-slow") && s.contains("no runs yet")
    });
    select_plan(&t, "e2e-slow");
    let screen = t.screen();
    assert!(
        selected_row(&screen).is_some_and(|r| r.contains("G2 !")),
        "the danger badge:\n{screen}"
    );

    // The launch form (no parameters), then prepare: every operation, and a reason for G2.
    t.keys(&["Enter"]);
    t.wait_for("Launch plan");
    t.keys(&["Enter"]);
    let screen = t.wait_for("Confirm launch");
    assert!(
        screen.contains("step/slow") && screen.contains("echo start; sleep 30"),
        "every resolved operation is shown:\n{screen}"
    );
    assert!(screen.contains("give a reason"), "{screen}");
    t.type_line("CHG-42 e2e");

    // The live view: the step runs and its output streams in.
    let screen = t.wait("the step running with its output", 30, |s| {
        s.contains("Plan run #")
            && s.lines()
                .any(|l| l.contains("slow") && l.contains("running"))
            && s.lines().any(|l| l.trim_matches('│').trim() == "start")
    });
    assert!(screen.contains("steps 0/2"), "the gauge:\n{screen}");

    // Abort: G2, a reason.
    t.keys(&["X"]);
    let screen = t.wait_for("Abort plan run");
    assert!(screen.contains("G2"), "{screen}");
    t.type_line("stuck in e2e");
    t.wait_for("abort requested for run #");
    let screen = t.wait("the run to be aborted", 30, |s| {
        s.lines()
            .any(|l| l.contains("run #") && l.contains("aborted"))
    });
    assert!(
        !screen
            .lines()
            .any(|l| l.contains("after") && l.contains("succeeded")),
        "step 2 never ran:\n{screen}"
    );

    // Back to the lists: the run shows aborted there too.
    t.keys(&["Escape"]);
    t.wait("the runs list", 15, |s| {
        s.lines()
            .any(|l| l.contains("e2e-slow") && l.contains("aborted"))
    });

    // G3: a wrong name is refused in the console; nothing is queued. Esc left the runs list
    // selected on the run just watched; ← goes to the catalogue.
    t.keys(&["Left"]);
    select_plan(&t, "e2e-g3");
    t.keys(&["Enter"]);
    t.wait_for("Launch plan");
    t.keys(&["Enter"]);
    let screen = t.wait_for("Confirm launch");
    assert!(
        screen.contains("G3: type the target's name (e2e-g3)") && screen.contains("echo never"),
        "{screen}"
    );
    t.tmux(&["send-keys", "-t", "nw", "-l", "e2e-g2"]);
    t.keys(&["Tab"]);
    t.type_line("CHG-43 must be refused");
    let screen = t.wait_for("type the target's name exactly: e2e-g3");
    assert!(screen.contains("nothing was started"), "{screen}");
    // Without any name: refused as well.
    t.keys(&["Tab", "C-u", "Enter"]);
    t.wait_for("type the target's name exactly: e2e-g3");
    t.keys(&["Escape"]);
    t.wait_for("cancelled: nothing was started");
    t.keys(&["Escape"]);
    t.wait_for("launch cancelled");
    t.quit();

    let runs = t.nightwatch(&["plan", "runs", "-o", "json"]);
    let runs = runs.as_array().expect("a list of runs");
    assert_eq!(runs.len(), 1, "only the G2 run was queued: {runs:?}");
    assert_eq!(runs[0]["plan"], "e2e-slow");
    assert_eq!(runs[0]["status"], "aborted", "{runs:?}");
    assert_eq!(runs[0]["reason"], "CHG-42 e2e");
    let id = runs[0]["id"].as_i64().expect("run id").to_string();
    let logs = t.nightwatch(&["plan", "logs", &id, "-o", "json"]);
    let steps = logs["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 2, "{logs}");
    assert_eq!(steps[0]["step_id"], "slow");
    assert!(
        steps[0]["output"].as_str().unwrap_or("").contains("start"),
        "{logs}"
    );
    assert_eq!(steps[1]["step_id"], "after");
    assert_eq!(steps[1]["attempts"], 0, "step 2 never ran: {logs}");
    assert_ne!(steps[1]["status"], "succeeded", "{logs}");
}

#[test]
fn read_only_cannot_launch_abort_or_skip() {
    let Some(t) = Tmux::start("plans-ro", 80, 24) else {
        return;
    };
    let file = t.home.path().join("plans.toml");
    std::fs::write(&file, PLANS).expect("write plans");
    apply(&t, &file);
    // A run queued from the CLI (no engine runs it here): something to try to abort.
    let xdg = |d: &str| t.home.path().join(d);
    let out = Command::new(BIN)
        .args(["plan", "run", "e2e-slow", "--reason", "queued", "--no-wait"])
        .env("XDG_CONFIG_HOME", xdg("config"))
        .env("XDG_DATA_HOME", xdg("data"))
        .env("XDG_STATE_HOME", xdg("state"))
        .env_remove("NIGHTWATCH_DATABASE_URL")
        .output()
        .expect("run nightwatch plan run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    t.launch("--read-only");

    t.keys(&["5"]);
    t.wait("the catalogue", 30, |s| {
        s.contains("e2e-slow") && s.contains("read-only")
    });
    select_plan(&t, "e2e-slow");
    t.keys(&["Enter"]);
    let screen = t.wait_for("launch plan: refused");
    assert!(!screen.contains("Launch plan"), "no form:\n{screen}");

    // The queued run's live view: abort and skip are refused, nothing opens.
    t.keys(&["Right"]);
    t.wait("the runs list focused", 15, |s| {
        selected_row(s).is_some_and(|r| r.contains("e2e-slow"))
    });
    t.keys(&["Enter"]);
    t.wait_for("Plan run #");
    for (k, what) in [("X", "abort run: refused"), ("s", "skip step: refused")] {
        t.keys(&[k]);
        let screen = t.wait_for(what);
        assert!(
            !screen.contains("Confirm") && screen.contains("Plan run #"),
            "{k}: refused, no confirmation opens:\n{screen}"
        );
    }
    t.quit();
    let runs = t.nightwatch(&["plan", "runs", "-o", "json"]);
    assert_eq!(runs[0]["status"], "queued", "untouched: {runs}");
}

/// A failing inspection makes an event a scenario matches; its detail recommends the plan, `x`
/// opens the form filled from the event, and the run's start and outcome land on its timeline.
#[test]
fn from_an_event_to_its_plan_and_back_to_the_timeline() {
    let Some(t) = Tmux::start("plans-event", 120, 40) else {
        return;
    };
    // Nothing listens on a port just found free: the check fails and raises an event.
    let port = common::free_port();
    let file = t.home.path().join("svc.toml");
    std::fs::write(
        &file,
        format!(
            "[[component]]\nname = \"svc-1\"\nkind = \"svc\"\nlayer = \"business\"\n\
             endpoints = {{ host = \"127.0.0.1\", port = {port} }}\n\n\
             [[rule]]\nname = \"svc-port\"\ndescription = \"svc port listening\"\n\
             probe = {{ kind = \"tcp\" }}\ncondition = \"[CONNECTED] == true\"\nlevel = \"P1\"\n\
             targets = {{ kind = \"svc\" }}\n\n\
             [[task]]\nname = \"svc-check\"\nrules = [\"svc-port\"]\nevery = \"1h\"\n\
             timeout = \"2s\"\nenabled = false\n\n\
             [[plan]]\nname = \"e2e-svc-restart\"\ntitle = \"Restart the svc\"\n\
             [[plan.param]]\nname = \"target\"\nkind = \"string\"\n\
             description = \"the component to restart\"\n\
             [[plan.step]]\nid = \"restart\"\ndanger = \"G2\"\n\
             [plan.step.op]\nkind = \"command\"\nscript = \"echo restarting $T\"\n\
             env = {{ T = \"{{{{params.target}}}}\" }}\n\n\
             [[scenario]]\nname = \"e2e-svc-down\"\ntitle = \"svc port closed\"\n\
             match = {{ labels = {{ rule = \"svc-port\" }} }}\n\
             impact = \"e2e: the svc is unreachable\"\n\
             [[scenario.plan]]\nplan = \"e2e-svc-restart\"\n\
             params = {{ target = \"{{{{event.component}}}}\" }}\n"
        ),
    )
    .expect("write content");
    apply(&t, &file);
    t.launch("");
    // Run the check from outside; the console's engine executes it.
    let xdg = |d: &str| t.home.path().join(d);
    let out = Command::new(BIN)
        .args(["inspect", "run", "svc-check", "--no-wait"])
        .env("XDG_CONFIG_HOME", xdg("config"))
        .env("XDG_DATA_HOME", xdg("data"))
        .env("XDG_STATE_HOME", xdg("state"))
        .env_remove("NIGHTWATCH_DATABASE_URL")
        .output()
        .expect("run nightwatch inspect run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    t.keys(&["2"]);
    t.wait("the inspection's event", 60, |s| {
        s.contains("[CONNECTED] == true is false on svc-1")
    });
    t.keys(&["Enter"]);
    let screen = t.wait("the recommendation", 15, |s| {
        s.contains("Recommended plans (1)") && s.contains("e2e-svc-restart")
    });
    assert!(screen.contains("e2e: the svc is unreachable"), "{screen}");
    t.keys(&["x"]);
    let screen = t.wait_for("Launch plan");
    assert!(
        screen.contains("launched from event #")
            && screen
                .lines()
                .any(|l| l.contains("target") && l.contains("svc-1")),
        "the parameter is filled from the event:\n{screen}"
    );
    t.keys(&["Enter"]);
    let screen = t.wait_for("Confirm launch");
    assert!(screen.contains("echo restarting $T"), "{screen}");
    t.type_line("CHG-44 from the event");
    t.wait("the run to succeed", 30, |s| {
        s.lines()
            .any(|l| l.contains("run #") && l.contains("succeeded"))
            && s.contains("restarting svc-1")
    });

    // Back on the event: its timeline shows the run and its outcome. Tab 2 opens on the list
    // (an old detail does not come back by itself); the event is still selected.
    t.keys(&["2"]);
    t.wait_for("Enter detail");
    t.keys(&["Enter"]);
    let screen = t.wait("the timeline entries", 30, |s| {
        s.contains("plan-started") && s.contains("plan-finished")
    });
    assert!(
        screen
            .lines()
            .any(|l| l.contains("plan-finished") && l.contains("succeeded")),
        "{screen}"
    );
    t.quit();
}
