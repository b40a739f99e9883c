//! Issue 15, the executor's guarantees against real `sshd`s in network namespaces
//! (tests/common/ssh_hosts.rs): timeout, abort and normal exit leave no remote process (checked
//! on the host with `pgrep` + `ip netns identify`); the per-host bound holds; an unreachable host
//! is its own error; a plan run by the plan worker runs `command` steps on the target's and on a
//! named component's host; the known-hosts store on SQLite, MariaDB and PostgreSQL.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::TestDb;
use common::ssh_exec::{T, db, endpoint, executor, sh, target, trust_all};
use common::ssh_hosts::{SshEstate, available};
use nightwatch::domain::ssh::{KnownHost, SshEndpoint};
use nightwatch::ops::Live;
use nightwatch::probes::{self, CommandSpec, On, ProbeContext, ProbeSpec};
use nightwatch::remote::{Limits, RemoteCommand, RemoteError};
use nightwatch::store::{Store, trust_audit};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn timeout_abort_and_normal_exit_leave_no_remote_process() {
    if !available() {
        return;
    }
    let estate = SshEstate::start(1, false);
    let (db, store) = db().await;
    let exec = executor(&store, Limits::default());
    trust_all(&store, &exec, &estate).await;
    let ep = endpoint(&estate, 0);
    let marker = |tag: u32| format!("{tag}{}.25", &common::unique().replace('_', "")[..6]);
    let gone = |m: &str| {
        common::wait_until(&format!("remote {m} gone"), 20, || {
            estate.pids_on_host(0, m).is_empty().then_some(())
        })
    };

    // Timeout of a plan step: the remote group (a background child too) is killed.
    let m = marker(81);
    let env = BTreeMap::from([("D".to_owned(), m.clone())]);
    let live = Live::new();
    let started = Instant::now();
    let step = nightwatch::ops::remote::run(
        &exec,
        &ep,
        "sh",
        "sleep \"$D\" & sleep \"$D\"",
        &env,
        Duration::from_secs(12),
        &live,
    );
    let watch = async {
        // Both sleeps run on the host before the deadline.
        while estate.pids_on_host(0, &m).len() < 2 {
            assert!(started.elapsed() < Duration::from_secs(12), "never started");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let (o, ()) = tokio::join!(step, watch);
    let o = o.unwrap();
    assert!(!o.ok && o.message.contains("timed out"), "{o:?}");
    gone(&m);

    // Abort: the running command is dropped (what cancelling a plan run does).
    let m = marker(82);
    let env = vec![("D".to_owned(), m.clone())];
    let p = exec
        .spawn(
            &ep,
            RemoteCommand {
                program: "sh",
                script: "sleep \"$D\"",
                env: &env,
                workdir: None,
            },
        )
        .await
        .unwrap();
    common::wait_until("remote sleep", 30, || {
        (estate.pids_on_host(0, &m).len() == 1).then_some(())
    });
    drop(p);
    gone(&m);

    // Normal exit: a background child left behind is killed with the group.
    let m = marker(83);
    let env = vec![("D".to_owned(), m.clone())];
    let out = exec
        .run(
            &ep,
            RemoteCommand {
                program: "sh",
                script: "sleep \"$D\" >/dev/null 2>&1 & echo done",
                env: &env,
                workdir: None,
            },
            T,
            1024,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.stdout, "done\n");
    gone(&m);
    drop(exec);
    store.close().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_per_host_bound_holds_and_an_unreachable_host_is_its_own_error() {
    if !available() {
        return;
    }
    let estate = SshEstate::start(1, false);
    let (db, store) = db().await;
    let limits = Limits {
        per_host: 3,
        ..Limits::default()
    };
    let exec = executor(&store, limits);
    trust_all(&store, &exec, &estate).await;
    let ep = endpoint(&estate, 0);
    // 9 commands of 0.6 s, at most 3 at once: never under 3 rounds.
    let started = Instant::now();
    let runs = (0..9).map(|_| exec.run(&ep, sh("sleep 0.6; echo x"), T, 64));
    for r in futures::future::join_all(runs).await {
        assert_eq!(r.unwrap().unwrap().stdout, "x\n");
    }
    assert!(
        started.elapsed() >= Duration::from_millis(1800),
        "{:?}",
        started.elapsed()
    );
    // Nothing listens there: "cannot reach", not a failed check, with the reason kept.
    let nowhere = SshEndpoint::from_endpoints(
        &json!({"ssh": {"host": "127.15.250.1", "port": common::free_port()}}),
    )
    .unwrap()
    .unwrap();
    let err = exec.run(&nowhere, sh("true"), T, 64).await.unwrap_err();
    assert!(matches!(err, RemoteError::Unreachable(_)), "{err}");
    assert!(exec.last_error(&nowhere).is_some());
    let mut t = target(&estate, 0);
    t.endpoints = json!({"ssh": {"host": "127.15.250.1", "port": 1}});
    let ctx = ProbeContext::new().with_remote(Arc::clone(&exec));
    let spec = ProbeSpec::Command(CommandSpec {
        script: "true".into(),
        on: On::Target,
        ..CommandSpec::default()
    });
    let e = probes::run_in(&ctx, &spec, &t, T).await.unwrap_err();
    assert!(matches!(e, probes::ProbeError::Unreachable(_)), "{e}");
    assert!(e.to_string().starts_with("cannot reach host"), "{e}");
    drop(exec);
    store.close().await;
    db.cleanup().await;
}

/// A plan run by the engine's plan worker: a `command` step on the step's target's host and one
/// on a named component's host, with the run's values as data.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_plan_runs_command_steps_on_the_target_and_on_a_named_component() {
    use nightwatch::domain::content::{Targets, load_bundle};
    use nightwatch::domain::time::now_ms;
    use nightwatch::engine::plans::{PlanWorker, execute};
    use nightwatch::plans::{Confirmation, launch, prepare};
    if !available() {
        return;
    }
    let estate = SshEstate::start(1, true);
    let (db, store) = db().await;
    let exec = executor(&store, Limits::default());
    trust_all(&store, &exec, &estate).await;
    let ssh = |i: usize| {
        let v: toml::Value = serde_json::from_value(estate.ssh(i)).unwrap();
        toml::to_string(&v).unwrap()
    };
    const PLAN: &str = r#"
[[plan]]
name = "where"

[[plan.param]]
name = "note"
kind = "string"

[[plan.step]]
id = "here"
danger = "G1"
target = "front"
op = { kind = "command", on = "target", script = "ls /sys/class/net; printf '%s' \"$NOTE\" >&2", env = { NOTE = "{{params.note}}" } }

[[plan.step]]
id = "there"
danger = "G1"
op = { kind = "command", on = "back", script = "ls /sys/class/net" }
"#;
    let content = format!(
        "[[component]]\nname = \"front\"\nkind = \"host\"\nlayer = \"physical\"\n[component.endpoints.ssh]\n{}\n\
         [[component]]\nname = \"back\"\nkind = \"host\"\nlayer = \"physical\"\n[component.endpoints.ssh]\n{}\n{PLAN}",
        ssh(0),
        ssh(1).replace("[jump]", "[component.endpoints.ssh.jump]"),
    );
    let bundle = load_bundle(
        &[("p.toml".into(), content)],
        &[],
        &[],
        Targets::MustExist,
        &|_| Ok(()),
    )
    .expect("valid content");
    store
        .apply_bundle(&bundle, false, "test", now_ms())
        .await
        .expect("apply");
    let hostile = "$(touch /tmp/nw-plan-pwned) ' \" ;\nline";
    let params = std::collections::BTreeMap::from([("note".to_owned(), hostile.to_owned())]);
    let p = prepare(&store, "where", &params, None)
        .await
        .expect("prepare");
    let yes = Confirmation {
        yes: true,
        ..Confirmation::default()
    };
    let id = launch(&store, &p, false, &yes, "test", false, false, 0)
        .await
        .expect("launch");
    let mut w = PlanWorker::new(store.clone(), "test").expect("worker");
    w.probes = Arc::new(ProbeContext::new().with_remote(Arc::clone(&exec)));
    let run = store
        .claim_plan_run("test", now_ms(), w.lease_ms)
        .await
        .unwrap()
        .expect("queued");
    execute(&w, run, &tokio_util::sync::CancellationToken::new())
        .await
        .expect("execute");
    let r = store.get_plan_run(id).await.unwrap();
    let steps = store.plan_run_steps(id).await.unwrap();
    assert_eq!(r.status, "succeeded", "{} {steps:?}", r.message);
    let out = |sid: &str| {
        steps
            .iter()
            .find(|s| s.step_id == sid)
            .unwrap()
            .output
            .clone()
    };
    let here = out("here");
    assert!(
        here.contains(&estate.on_host(0, &["ls", "/sys/class/net"])),
        "{here}"
    );
    assert!(
        here.contains(&format!("stderr: {}", hostile.lines().next().unwrap())),
        "{here}"
    );
    assert!(
        out("there").contains(&estate.on_host(1, &["ls", "/sys/class/net"])),
        "{}",
        out("there")
    );
    assert!(!std::path::Path::new("/tmp/nw-plan-pwned").exists());
    drop(w);
    drop(exec);
    store.close().await;
    db.cleanup().await;
}

async fn known_hosts_round_trip(store: Store, db: TestDb) -> TestDb {
    let key = |t: &str, k: &str| KnownHost {
        host: "[10.0.0.5]:2222".into(),
        key_type: t.into(),
        key: k.into(),
        fingerprint: format!("SHA256:{k}"),
        component: "app".into(),
        added_by: "tester".into(),
        added_at: 1,
    };
    let first = vec![key("ssh-ed25519", "AAAA1"), key("ssh-rsa", "BBBB")];
    store
        .trust_host_keys(&first, &trust_audit("tester", "app", &first))
        .await
        .expect("trust");
    assert_eq!(store.list_known_hosts().await.expect("list").len(), 2);
    // Trusting again replaces every key of the host.
    let second = vec![key("ssh-ed25519", "CCCC")];
    store
        .trust_host_keys(&second, &trust_audit("tester", "app", &second))
        .await
        .expect("trust");
    assert_eq!(store.list_known_hosts().await.expect("list"), second);
    db
}

on_every_backend!(known_hosts_round_trip);
