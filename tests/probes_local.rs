//! Probes of the local machine that need no server: command, tcp, process.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use nightwatch::probes::{
    self, CommandSpec, Interpreter, ProbeError, ProbeSpec, ProcessSpec, Target, TcpSpec,
};
use serde_json::json;

const T: Duration = Duration::from_secs(10);

fn sh(script: &str) -> CommandSpec {
    CommandSpec {
        script: script.into(),
        ..CommandSpec::default()
    }
}

fn pgrep(marker: &str) -> bool {
    std::process::Command::new("pgrep")
        .args(["-f", marker])
        .status()
        .unwrap()
        .success()
}

#[tokio::test]
async fn command_exit_code_params_and_json_stdout() {
    let t = Target {
        name: "db-1".into(),
        endpoints: json!({"host": "10.1.2.3"}),
        labels: json!({}),
    };
    let out = probes::run(&ProbeSpec::Command(sh("echo oops >&2; exit 3")), &t, T)
        .await
        .unwrap();
    assert_eq!(out.values["EXIT_CODE"], 3);
    assert_eq!(out.message, "exit code 3: oops");
    assert!(out.output.contains("oops"));

    let mut spec = sh(r#"echo "$GREETING at $NW_TARGET"; echo "$NW_ENDPOINTS""#);
    spec.params.insert("GREETING".into(), "hello {host}".into());
    let out = probes::run(&ProbeSpec::Command(spec), &t, T).await.unwrap();
    assert_eq!(out.values["EXIT_CODE"], 0);
    assert!(
        out.output
            .starts_with("hello 10.1.2.3 at db-1\n{\"host\":\"10.1.2.3\"}"),
        "{}",
        out.output
    );

    let json_out = r#"echo '{"value": 42, "role": "master", "lag": 0.5, "message": "all fine"}'"#;
    let out = probes::run(&ProbeSpec::Command(sh(json_out)), &t, T)
        .await
        .unwrap();
    assert_eq!(out.values["VALUE"], 42);
    assert_eq!(out.values["ROLE"], "master");
    assert_eq!(out.values["LAG"], 0.5);
    assert_eq!(out.message, "all fine");
    let out = probes::run(&ProbeSpec::Command(sh(r#"echo '{"exit_code": 9}'"#)), &t, T)
        .await
        .unwrap();
    assert_eq!(out.values["EXIT_CODE"], 0, "EXIT_CODE is the real one");

    if common::require_program("/usr/bin/python3", "python3") {
        let mut py = CommandSpec {
            script: "import json, os\nprint(json.dumps({'value': int(os.environ['N']) * 2}))"
                .into(),
            interpreter: Interpreter::Python3,
            ..CommandSpec::default()
        };
        py.params.insert("N".into(), "21".into());
        let out = probes::run(&ProbeSpec::Command(py), &t, T).await.unwrap();
        assert_eq!(out.values["VALUE"], 42, "{}", out.output);
    }

    let out = probes::run(
        &ProbeSpec::Command(sh("head -c 300000 /dev/zero | tr '\\0' x")),
        &t,
        T,
    )
    .await
    .unwrap();
    assert!(
        out.output.len() < 70_000 && out.output.contains("[truncated]"),
        "bounded output"
    );
}

#[tokio::test]
async fn command_timeout_kills_the_whole_process_group() {
    let marker = format!("nw_probe_marker_{}", common::unique());
    // A grandchild in the background and a child in the foreground, both carrying the marker.
    let script = format!("sh -c 'sleep 30; true' {marker} & sh -c 'sleep 30; true' {marker}");
    let started = Instant::now();
    let timeout = Duration::from_millis(800);
    let err = probes::run(&ProbeSpec::Command(sh(&script)), &Target::local(), timeout)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProbeError::Timeout(d) if d == timeout),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    common::wait_until("the script's processes to be gone", 5, || {
        (!pgrep(&marker)).then_some(())
    });

    // A script that finished but left a background child: that child is killed too.
    let marker = format!("nw_probe_marker_{}", common::unique());
    let script = format!("sh -c 'sleep 30; true' {marker} >/dev/null 2>&1 & echo started");
    let out = probes::run(&ProbeSpec::Command(sh(&script)), &Target::local(), T)
        .await
        .unwrap();
    assert_eq!(out.values["EXIT_CODE"], 0);
    common::wait_until("the background child to be gone", 5, || {
        (!pgrep(&marker)).then_some(())
    });
}

#[tokio::test]
async fn tcp_connected_or_not() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let t = Target {
        name: "svc".into(),
        endpoints: json!({"host": "127.0.0.1", "port": port}),
        labels: json!({}),
    };
    let out = probes::run(&ProbeSpec::Tcp(TcpSpec::default()), &t, T)
        .await
        .unwrap();
    assert_eq!(out.values["CONNECTED"], true);
    assert!(out.values["RESPONSE_TIME"].is_u64());

    let closed = TcpSpec {
        port: Some(common::free_port()),
        ..TcpSpec::default()
    };
    let out = probes::run(&ProbeSpec::Tcp(closed), &t, T).await.unwrap();
    assert_eq!(
        out.values["CONNECTED"], false,
        "a refused port is a measurement"
    );
    assert!(out.message.contains("cannot connect"), "{}", out.message);

    let err = probes::run(&ProbeSpec::Tcp(TcpSpec::default()), &Target::local(), T)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProbeError::Config(ref m) if m.contains("`host`")),
        "{err}"
    );
}

#[tokio::test]
async fn process_count_by_name_and_command_line() {
    let marker = format!("nw_proc_marker_{}", common::unique());
    let count = |spec: ProcessSpec| async move {
        let out = probes::run(&ProbeSpec::Process(spec), &Target::local(), T)
            .await
            .unwrap();
        out.values["COUNT"].as_u64().unwrap()
    };
    let by_line = ProcessSpec {
        cmdline: Some(marker.clone()),
        ..ProcessSpec::default()
    };
    assert_eq!(count(by_line.clone()).await, 0);
    let child = common::Proc(
        // Null stdio: the `sleep` grandchild outlives the killed `sh` for a few seconds and must
        // not hold the test runner's output pipes.
        std::process::Command::new("sh")
            .args(["-c", "sleep 10; true", &marker])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    assert_eq!(count(by_line.clone()).await, 1);
    let by_both = ProcessSpec {
        name: Some("sh".into()),
        cmdline: Some(marker.clone()),
        ..ProcessSpec::default()
    };
    assert_eq!(count(by_both).await, 1);
    let wrong_name = ProcessSpec {
        name: Some("bash-not-sh".into()),
        cmdline: Some(marker.clone()),
        ..ProcessSpec::default()
    };
    assert_eq!(count(wrong_name).await, 0);
    assert!(
        count(ProcessSpec {
            name: Some("sleep".into()),
            ..ProcessSpec::default()
        })
        .await
            >= 1
    );
    drop(child);
    assert_eq!(count(by_line).await, 0);

    let err = probes::run(
        &ProbeSpec::Process(ProcessSpec::default()),
        &Target::local(),
        T,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ProbeError::Config(_)), "{err}");
}
