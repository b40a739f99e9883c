//! Untrusted text on the CLI (issue 10): titles, labels, annotations and step output printed by
//! `events list/show`, `plan logs` and `inspect show` carry no raw control characters (ESC[2J,
//! OSC 52, CR, BEL, C1): they show as visible `\uXXXX` escapes, and `-o json` keeps the values.
//! The recommended `nightwatch plan run …` line of `events show` is shell-quoted: run through a
//! real `sh -c`, a label's command never runs and every value arrives as one argument.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;
mod safe;

use safe::Env;
use serde_json::json;

const HOSTILE_TITLE: &str =
    "disk \u{1b}[2J\u{1b}]52;c;cHduZWQ=\u{7}full\rFORGED LINE \u{9b}31mred\u{202e}txt";

/// No byte a terminal would obey: C0 controls other than newline, DEL, C1 controls, bidi
/// overrides.
fn assert_printable(what: &str, bytes: &[u8]) {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let bad: Vec<(usize, char)> = text
        .char_indices()
        .filter(|(_, c)| nightwatch::domain::text::is_unsafe(*c) && *c != '\n')
        .collect();
    assert!(
        bad.is_empty(),
        "{what}: raw control characters {bad:?} in {text:?}"
    );
}

#[test]
fn events_list_and_show_escape_control_characters() {
    let env = Env::new();
    let body = json!([{
        "title": HOSTILE_TITLE, "level": "P1", "fingerprint": "esc",
        "labels": {"instance": "db-1\u{1b}[1;1H\u{1b}[2Kok", "note": "a\rb"},
        "annotations": {"runbook": "\u{1b}]8;;http://evil\u{7}click\u{1b}]8;;\u{7}"},
        "summary": "line1\nline2\u{85}",
    }]);
    assert_eq!(env.post_events(&body), 200);
    let id = env.event_id("esc").to_string();
    for args in [
        &["events", "list"][..],
        &["events", "show", &id],
        &["events", "list", "-o", "json"],
        &["events", "show", &id, "-o", "json"],
    ] {
        let (ok, out, err) = env.raw(args);
        assert!(ok, "{args:?}: {}", String::from_utf8_lossy(&err));
        assert_printable(&format!("{args:?}"), &out);
        assert_printable(&format!("{args:?} stderr"), &err);
    }
    let (_, list, _) = env.raw(&["events", "list"]);
    let list = String::from_utf8(list).unwrap();
    assert!(
        list.contains("disk \\u001b[2J\\u001b]52;c;cHduZWQ=\\u0007full\\u000dFORGED LINE \\u009b31mred\\u202etxt"),
        "{list}"
    );
    let (_, show, _) = env.raw(&["events", "show", &id]);
    let show = String::from_utf8(show).unwrap();
    assert!(
        show.contains("label       instance=db-1\\u001b[1;1H\\u001b[2Kok"),
        "{show}"
    );
    assert!(
        show.contains("summary:    line1\\u000aline2\\u0085"),
        "{show}"
    );
    // JSON stays JSON, with the values as they came.
    let v = env.json(&["events", "show", &id, "-o", "json"]);
    assert_eq!(v["event"]["title"], HOSTILE_TITLE);
    assert_eq!(v["event"]["labels"]["note"], "a\rb");
}

#[test]
fn the_recommended_command_is_shell_quoted() {
    let env = Env::new();
    let marker = env.path("marker");
    env.apply(
        "rec.toml",
        r#"
[[plan]]
name = "clean"
[[plan.param]]
name = "dir"
kind = "string"
[[plan.step]]
id = "noop"
op = { kind = "wait", duration = "1s" }

[[scenario]]
name = "disk"
match = { labels = { alertname = "DiskFull" } }
impact = "logs fill the disk"
[[scenario.plan]]
plan = "clean"
params = { dir = "{{event.labels.dir}}" }
"#,
    );
    let m = marker.display();
    let dirs = [
        format!("/x; touch {m}.1"),
        format!("$(touch {m}.2)"),
        format!("`touch {m}.3`"),
        format!("/x' ; touch {m}.4 ; echo '"),
        format!("/x\" ; touch {m}.5 ; echo \""),
        format!("/x\ntouch {m}.6"),
    ];
    for (i, dir) in dirs.iter().enumerate() {
        let fp = format!("rec-{i}");
        let body = json!({"title": "disk full", "level": "P1", "fingerprint": fp,
                          "labels": {"alertname": "DiskFull", "dir": dir}});
        assert_eq!(env.post_events(&body), 200);
        let id = env.event_id(&fp).to_string();
        let (ok, out, _) = env.raw(&["events", "show", &id]);
        assert!(ok);
        let out = String::from_utf8(out).unwrap();
        let line = out
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("nightwatch plan run"))
            .unwrap_or_else(|| panic!("no recommended command in {out}"))
            .to_owned();
        // Pasted into a real shell: `nightwatch` here only records the words it was given.
        let args_file = env.path(&format!("args-{i}"));
        let script = format!(
            "nightwatch() {{ printf '%s\\0' \"$@\" > '{}'; }}\n{line}\n",
            args_file.display()
        );
        let st = std::process::Command::new("sh")
            .arg("-c")
            .arg(&script)
            .status()
            .unwrap();
        assert!(st.success(), "{line}");
        let words: Vec<String> = std::fs::read(&args_file)
            .unwrap()
            .split(|b| *b == 0)
            .filter(|w| !w.is_empty())
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        // A newline cannot be pasted as such: it is shown escaped, and stays inside the quotes.
        let want_dir = dir.replace('\n', "\\u000a");
        assert_eq!(
            words,
            [
                "plan",
                "run",
                "clean",
                "--event",
                &id,
                "--param",
                &format!("dir={want_dir}")
            ],
            "{line}"
        );
    }
    safe::assert_no_marker(&marker);
}

#[test]
fn plan_logs_and_inspect_show_escape_control_characters() {
    let env = Env::new();
    env.apply(
        "loud.toml",
        r#"
[[plan]]
name = "loud"
[[plan.step]]
id = "shout"
danger = "G1"
op = { kind = "command", script = "printf 'a\\033[2Jb\\033]52;c;cHduZWQ=\\007c\\rFORGED\\n'" }

[[rule]]
name = "loud-rule"
probe = { kind = "command", script = "printf 'x\\033[2Jy\\rFORGED\\n' >&2; exit 1" }
condition = "[EXIT_CODE] == 0"
targets = { kind = "host" }

[[task]]
name = "loud"
rules = ["loud-rule"]
every = "1h"
"#,
    );
    let (ok, out) = env.run(&["plan", "run", "loud", "--yes"]);
    assert!(ok, "{out}");
    let run = env.last_run().to_string();
    for args in [
        &["plan", "logs", &run][..],
        &["plan", "runs"],
        &["plan", "logs", &run, "-o", "json"],
    ] {
        let (ok, out, _) = env.raw(args);
        assert!(ok);
        assert_printable(&format!("{args:?}"), &out);
    }
    let (_, logs, _) = env.raw(&["plan", "logs", &run]);
    let logs = String::from_utf8(logs).unwrap();
    assert!(
        logs.contains("a\\u001b[2Jb\\u001b]52;c;cHduZWQ=\\u0007c\\u000dFORGED"),
        "{logs}"
    );
    let (_, _) = env.run(&["inspect", "run", "loud", "--timeout", "60"]);
    let runs = env.json(&["inspect", "runs", "-o", "json"]);
    let id = runs[0]["id"].as_i64().unwrap().to_string();
    let (ok, out, _) = env.raw(&["inspect", "show", &id]);
    assert!(ok);
    assert_printable("inspect show", &out);
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("x\\u001b[2Jy\\u000dFORGED"), "{out}");
}
