//! The remote executor against real `sshd`s in network namespaces (issue 15). Prints, from one
//! run on one machine:
//! 1. PROBES command probes (`on = "target"`, script `cat /proc/loadavg`) spread over HOSTS
//!    namespaced hosts at CONC at once through one executor (one ControlMaster per host, opened
//!    before timing), against the same commands run by the system `ssh` with a ControlMaster per
//!    host from a shell loop (`xargs -P CONC`), in the same run;
//! 2. the cost of a fresh connection (`ssh … true` without a master: TCP, key exchange,
//!    authentication, session) vs a command over a reused connection (the executor's `run`),
//!    median of ROUNDS each.
//!
//! Run (root, `openssh-server` and `socat` installed): `cargo bench --bench ssh`.
//! Env: PROBES (default 1000), HOSTS (default 10), CONC (default 64), ROUNDS (default 20).
//! Tiny check in debug: `PROBES=20 HOSTS=2 CONC=4 ROUNDS=2 cargo bench --profile dev --bench ssh`.

#[path = "../common/mod.rs"]
#[allow(unused_imports)]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::ssh_hosts::{SshEstate, available};
use nightwatch::domain::ssh::SshEndpoint;
use nightwatch::probes::{self, CommandSpec, On, ProbeContext, ProbeSpec, Target};
use nightwatch::remote::{Executor, Limits, StoreBacking};
use nightwatch::store::{ConnectOptions, Store, trust_audit};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    if !available() {
        eprintln!("ssh bench: needs root, openssh-server and socat");
        return;
    }
    let (probes_n, hosts_n, conc, rounds) = (
        env("PROBES", 1000),
        env("HOSTS", 10),
        env("CONC", 64),
        env("ROUNDS", 20),
    );
    let estate = SshEstate::start(hosts_n, false);
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/bench.db?mode=rwc", dir.path().display());
    let store = Store::connect(&url, &ConnectOptions::default())
        .await
        .expect("db");
    store.migrate().await.expect("migrate");
    let backing = Arc::new(StoreBacking {
        store: store.clone(),
        config: None,
    });
    let limits = Limits {
        global: conc,
        ..Limits::default()
    };
    let exec = Arc::new(Executor::new(backing, limits).expect("executor"));
    let eps: Vec<SshEndpoint> = (0..hosts_n)
        .map(|i| {
            SshEndpoint::from_endpoints(&estate.endpoints(i))
                .expect("valid endpoint")
                .expect("an ssh endpoint")
        })
        .collect();
    for (i, ep) in eps.iter().enumerate() {
        let keys = exec.scan(ep).await.expect("scan");
        store
            .trust_host_keys(&keys, &trust_audit("bench", &format!("h{i}"), &keys))
            .await
            .expect("trust");
    }
    let ctx = Arc::new(ProbeContext::new().with_remote(Arc::clone(&exec)));
    let spec = ProbeSpec::Command(CommandSpec {
        script: "cat /proc/loadavg".into(),
        on: On::Target,
        ..CommandSpec::default()
    });
    let targets: Vec<Target> = (0..hosts_n)
        .map(|i| Target {
            name: format!("h{i}"),
            endpoints: estate.endpoints(i),
            labels: serde_json::json!({}),
        })
        .collect();
    // Warm: one probe per host opens its master (connection cost is measured apart below).
    for t in &targets {
        probes::run_in(&ctx, &spec, t, Duration::from_secs(30))
            .await
            .expect("warm");
    }

    // 1a. nightwatch: PROBES probes over HOSTS hosts, CONC at once.
    let sem = Arc::new(tokio::sync::Semaphore::new(conc));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..probes_n {
        let (ctx, spec, t, sem) = (
            Arc::clone(&ctx),
            spec.clone(),
            targets[n % hosts_n].clone(),
            Arc::clone(&sem),
        );
        tasks.spawn(async move {
            let _p = sem.acquire_owned().await.expect("sem");
            probes::run_in(&ctx, &spec, &t, Duration::from_secs(60)).await
        });
    }
    let mut failed = 0;
    while let Some(r) = tasks.join_next().await {
        if !matches!(r, Ok(Ok(ref o)) if o.values["EXIT_CODE"] == 0) {
            failed += 1;
        }
    }
    let ours = started.elapsed();

    // 1b. The system ssh from a shell loop, a ControlMaster per host (opened before timing).
    let sdir = tempfile::Builder::new()
        .prefix("nwb")
        .tempdir_in("/tmp")
        .expect("dir");
    let kh = sdir.path().join("known_hosts");
    let lines: String = store
        .list_known_hosts()
        .await
        .expect("keys")
        .iter()
        .map(|k| k.line() + "\n")
        .collect();
    std::fs::write(&kh, lines).expect("known_hosts");
    let opts = format!(
        "-o BatchMode=yes -o UserKnownHostsFile={} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -i {} -l {}",
        kh.display(),
        estate.client_key.display(),
        estate.user
    );
    let mut hostlist = String::new();
    for (i, h) in estate.hosts.iter().enumerate() {
        let ctl = sdir.path().join(format!("c{i}"));
        let st = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ssh {opts} -p {} -o ControlMaster=yes -o ControlPath={} -o ControlPersist=60 -fN {}",
                h.port,
                ctl.display(),
                h.addr
            ))
            .status()
            .expect("master");
        assert!(st.success(), "master {i}");
        hostlist.push_str(&format!("{} {} {}\n", h.port, ctl.display(), h.addr));
    }
    let jobs: String = (0..probes_n)
        .map(|n| {
            hostlist
                .lines()
                .nth(n % hosts_n)
                .unwrap_or_default()
                .to_owned()
                + "\n"
        })
        .collect();
    let jobs_file = sdir.path().join("jobs");
    std::fs::write(&jobs_file, jobs).expect("jobs");
    let script = format!(
        "xargs -P {conc} -L 1 sh -c 'ssh {opts} -p \"$0\" -o ControlPath=\"$1\" \"$2\" cat /proc/loadavg >/dev/null' < {}",
        jobs_file.display()
    );
    let started = Instant::now();
    let st = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .status()
        .expect("loop");
    let theirs = started.elapsed();
    assert!(st.success(), "shell loop failed");
    for i in 0..hosts_n {
        let _ = std::process::Command::new("ssh")
            .args([
                "-o",
                &format!(
                    "ControlPath={}",
                    sdir.path().join(format!("c{i}")).display()
                ),
                "-O",
                "exit",
                "x",
            ])
            .stderr(std::process::Stdio::null())
            .status();
    }

    println!(
        "ssh bench: {probes_n} command probes over {hosts_n} namespaced hosts, {conc} at once"
    );
    println!(
        "  nightwatch executor: {:>8.1} ms total, {:>7.0} probes/s, {failed} failed",
        ours.as_secs_f64() * 1e3,
        probes_n as f64 / ours.as_secs_f64()
    );
    println!(
        "  ssh + ControlMaster shell loop (xargs -P {conc}): {:>8.1} ms total, {:>7.0} commands/s",
        theirs.as_secs_f64() * 1e3,
        probes_n as f64 / theirs.as_secs_f64()
    );

    // 2. Fresh connection vs reused.
    let h = &estate.hosts[0];
    let mut fresh = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        let st = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ssh {opts} -o ControlPath=none -p {} {} true",
                h.port, h.addr
            ))
            .status()
            .expect("fresh");
        assert!(st.success());
        fresh.push(t.elapsed());
    }
    let mut reused = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        let out = exec
            .run(
                &eps[0],
                nightwatch::remote::RemoteCommand {
                    program: "sh",
                    script: "true",
                    env: &[],
                    workdir: None,
                },
                Duration::from_secs(30),
                1024,
            )
            .await
            .expect("run")
            .expect("in time");
        assert_eq!(out.code, 0);
        reused.push(t.elapsed());
    }
    println!(
        "  fresh connection (ssh … true): median {:.1} ms; reused connection (executor run): median {:.1} ms ({rounds} rounds each)",
        median(fresh).as_secs_f64() * 1e3,
        median(reused).as_secs_f64() * 1e3
    );
    drop(ctx);
    drop(exec);
    store.close().await;
}
