//! Issue 16: the built-in host trees walked over SSH against a real `sshd` (a namespaced host of
//! the remote-executor tests, tests/common/ssh_hosts.rs), with the real probe library:
//! - `cpu-high`: a real `stress-ng` keeps one CPU busy; the tree finds it as the top process over
//!   ssh (`ps` on the host) and concludes `one-process`, recommending `app-restart` for the
//!   host's application from the topology;
//! - `disk-full`: the host's log filesystem is measured over ssh; this machine's disk is not 90 %
//!   full, so the walk concludes `not-full`, naming the mount and its usage as `df` reports them.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use std::process::{Command, Stdio};
use std::sync::Arc;

use common::ssh_exec::{db, executor, trust_all};
use common::ssh_hosts::{SshEstate, available};
use nightwatch::domain::content::{Targets, load_bundle};
use nightwatch::domain::event::{Incoming, Level};
use nightwatch::domain::time::now_ms;
use nightwatch::engine::diagnose::walk;
use nightwatch::probes::ProbeContext;
use nightwatch::remote::Limits;
use nightwatch::store::{IngestItem, Store};

async fn event(store: &Store, alertname: &str) -> nightwatch::domain::event::Event {
    let item = IngestItem {
        incoming: Incoming {
            fingerprint: format!("{alertname}-1"),
            source: "alertmanager".into(),
            ds_type: "PROM".into(),
            level: Level::P1,
            title: alertname.into(),
            summary: String::new(),
            labels: [("alertname".to_owned(), alertname.to_owned())].into(),
            annotations: Default::default(),
            component: "app-host-1".into(),
            firing: true,
            starts_at: 1,
            source_url: String::new(),
        },
        keep: true,
    };
    store.ingest_batch(&[item], &[], now_ms()).await.unwrap();
    let logs = store.alerting_logs_after(0, 100).await.unwrap();
    store.get_event(logs.last().unwrap().1).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_host_trees_walk_over_ssh() {
    if !available() || !common::require_program("/usr/bin/stress-ng", "stress-ng") {
        return;
    }
    let estate = SshEstate::start(1, false);
    let (db, store) = db().await;
    let exec = executor(&store, Limits::default());
    trust_all(&store, &exec, &estate).await;
    nightwatch::commands::seed_builtin(&store).await.unwrap();
    let ssh = estate.ssh(0);
    let text = format!(
        "[[component]]\nname = \"app-host-1\"\nkind = \"host\"\nlayer = \"physical\"\napp = \"billing\"\n\
         [component.endpoints.ssh]\nhost = \"{}\"\nport = {}\nuser = \"{}\"\nidentity_file = \"{}\"\n",
        ssh["host"].as_str().unwrap(),
        ssh["port"],
        ssh["user"].as_str().unwrap(),
        ssh["identity_file"].as_str().unwrap()
    );
    let bundle = load_bundle(
        &[("hosts.toml".into(), text)],
        &[],
        &[],
        Targets::MayWait,
        &nightwatch::commands::check_probe,
    )
    .unwrap();
    store
        .apply_bundle(&bundle, false, "test", now_ms())
        .await
        .unwrap();
    let probe = nightwatch::engine::probe_fn_in(Arc::new(
        ProbeContext::new().with_remote(Arc::clone(&exec)),
    ));
    let trees = store.tree_definitions().await.unwrap();
    let components = store.list_components().await.unwrap();

    // One CPU kept busy by a real stress-ng, until it is the top process.
    let _load = common::Proc(
        Command::new("stress-ng")
            .args(["--cpu", "1", "--timeout", "120s", "--quiet"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let cpu = trees.iter().find(|t| t.name == "cpu-high").unwrap();
    let high = event(&store, "HostHighCpuLoad").await;
    let mut last = None;
    for _ in 0..30 {
        let trace = walk(cpu, &high, &components, &probe, None).await;
        let c = trace
            .conclusion
            .clone()
            .unwrap_or_else(|| panic!("{trace:?}"));
        if c.id == "one-process" && c.cause.contains("stress-ng") {
            last = Some((trace, c));
            break;
        }
        last = Some((trace, c));
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let (trace, c) = last.unwrap();
    assert_eq!(c.id, "one-process", "{trace:?}");
    assert!(c.cause.starts_with("process stress-ng"), "{c:?}");
    assert!(c.cause.ends_with("% CPU on app-host-1"), "{c:?}");
    assert_eq!(c.plan.as_deref(), Some("app-restart"));
    assert_eq!(
        c.params.get("app").map(String::as_str),
        Some("billing"),
        "{c:?}"
    );
    assert_eq!(trace.path[0].target, "app-host-1");
    eprintln!("CPU-HIGH {}: {} ({} ms)", c.id, c.cause, trace.path[0].ms);

    // The disk: measured on the host over ssh; this machine's root is not 90 % full.
    let disk = trees.iter().find(|t| t.name == "disk-full").unwrap();
    let full = event(&store, "DiskFull").await;
    let trace = walk(disk, &full, &components, &probe, None).await;
    let c = trace
        .conclusion
        .clone()
        .unwrap_or_else(|| panic!("{trace:?}"));
    let used = trace.path[0].values["USED"]
        .as_i64()
        .unwrap_or_else(|| panic!("{trace:?}"));
    let mount = trace.path[0].values["MOUNT"].as_str().unwrap().to_owned();
    let df = Command::new("df").args(["-P", "/"]).output().unwrap();
    let df = String::from_utf8_lossy(&df.stdout);
    let here: i64 = df
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().nth(4))
        .and_then(|p| p.trim_end_matches('%').parse().ok())
        .unwrap();
    assert!(
        here < 90,
        "this machine's disk is {here} % full: the test expects under 90"
    );
    assert_eq!(
        (c.id.as_str(), used, mount.as_str()),
        ("not-full", here, "/"),
        "{trace:?}"
    );
    assert_eq!(
        c.cause,
        format!(
            "/ on app-host-1 is {here} % full, under 90 %: the alert is stale or the space came back"
        )
    );
    eprintln!("DISK-FULL {}: {} ({} ms)", c.id, c.cause, trace.path[0].ms);
    drop(exec);
    store.close().await;
    db.cleanup().await;
}
