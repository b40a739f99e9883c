//! Inspection throughput, in release mode, against a loopback HTTP server. Prints, from one run on
//! one machine:
//! 1. probes: PROBES (default 1,000) HTTP probes (`probes::run_in`, shared context) at concurrency
//!    64, against a bare reqwest loop making the same requests at the same concurrency, measured
//!    alternately ROUNDS times in the same run; medians and their ratio (aim: within 1.5×);
//! 2. runner: the same checks through the inspection runner (`Runner::execute`: probe, condition,
//!    window track, result row, on the embedded SQLite), one task of PROBES rule × target pairs at
//!    concurrency 64, against the same bare loop;
//! 3. scheduler: a real `nightwatch serve` process on the embedded SQLite with TARGETS (default
//!    1,000) components checked by one task `every = "5s"` (12,000 checks/min offered), measured
//!    over SECS (default 60): checks stored per minute, run durations, schedule lateness, and the
//!    engine process's CPU (utime + stime from /proc, in % of one core and per 1,000 checks).
//!
//! Run: `cargo bench --bench inspection`. Env: PROBES, ROUNDS (default 5), TARGETS, SECS.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use nightwatch::domain::content::{Targets, load_bundle};
use nightwatch::domain::time::now_ms;
use nightwatch::engine::inspect::Runner;
use nightwatch::probes::{self, HttpSpec, ProbeContext, ProbeSpec, Target};
use nightwatch::store::{ConnectOptions, Store};

const CONCURRENCY: usize = 64;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A loopback HTTP server answering `GET /health/{n}` with 200 `{"status":"UP"}`; counts hits.
async fn server() -> (String, Arc<AtomicU64>) {
    let hits = Arc::new(AtomicU64::new(0));
    let h = Arc::clone(&hits);
    let app = axum::Router::new().route(
        "/health/{n}",
        axum::routing::get(move || {
            let h = Arc::clone(&h);
            async move {
                h.fetch_add(1, Ordering::Relaxed);
                axum::Json(serde_json::json!({"status": "UP"}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (base, hits)
}

async fn bare_loop(client: &reqwest::Client, base: &str, n: usize) -> Duration {
    let t = Instant::now();
    let ok = futures::stream::iter(0..n)
        .map(|i| {
            let url = format!("{base}/health/{i}");
            async move {
                let r = client.get(&url).send().await.expect("bare request");
                let status = r.status();
                r.bytes().await.expect("bare body");
                status.is_success()
            }
        })
        .buffer_unordered(CONCURRENCY)
        .filter(|ok| std::future::ready(*ok))
        .count()
        .await;
    assert_eq!(ok, n, "every bare request succeeded");
    t.elapsed()
}

async fn probe_loop(ctx: &ProbeContext, base: &str, n: usize) -> Duration {
    let t = Instant::now();
    let ok = futures::stream::iter(0..n)
        .map(|i| {
            let spec = ProbeSpec::Http(HttpSpec {
                url: Some(format!("{base}/health/{i}")),
                ..HttpSpec::default()
            });
            async move {
                let out = probes::run_in(ctx, &spec, &Target::local(), Duration::from_secs(10))
                    .await
                    .expect("probe");
                out.values["STATUS"] == 200
            }
        })
        .buffer_unordered(CONCURRENCY)
        .filter(|ok| std::future::ready(*ok))
        .count()
        .await;
    assert_eq!(ok, n, "every probe saw 200");
    t.elapsed()
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn per_s(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

/// Content: `n` web components pointing at the server, one http rule over them, one task.
fn content(base: &str, n: usize, every: &str) -> String {
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&format!(
            "[[component]]\nname = \"web-{i:05}\"\nkind = \"web\"\nlayer = \"business\"\n\
             endpoints = {{ url = \"{base}/health/{i}\" }}\n\n"
        ));
    }
    s.push_str(&format!(
        "[[rule]]\nname = \"web-health\"\nprobe = {{ kind = \"http\" }}\n\
         condition = \"[STATUS] == 200\"\ntargets = {{ kind = \"web\" }}\n\n\
         [[task]]\nname = \"web\"\nrules = [\"web-health\"]\nevery = \"{every}\"\n\
         concurrency = {CONCURRENCY}\ntimeout = \"5s\"\n"
    ));
    s
}

async fn open(dir: &Path) -> (String, Store) {
    let url = format!("sqlite://{}/nw.db?mode=rwc", dir.display());
    let store = Store::connect(&url, &ConnectOptions::default())
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    (url, store)
}

async fn apply(store: &Store, text: String) {
    let bundle = load_bundle(
        &[("bench.toml".into(), text)],
        &[],
        &[],
        Targets::MustExist,
        &|_| Ok(()),
    )
    .expect("bench content validates");
    store
        .apply_bundle(&bundle, false, "bench", now_ms())
        .await
        .expect("apply");
}

async fn runner_once(runner: &Runner, task: &nightwatch::domain::content::Task) -> Duration {
    let store = &runner.store;
    let id = store
        .queue_run(&task.name, "manual", "bench", now_ms())
        .await
        .expect("queue");
    let claimed = store
        .claim_run("bench", now_ms(), 600_000)
        .await
        .expect("claim")
        .expect("a queued run");
    assert_eq!(claimed.id, id);
    let t = Instant::now();
    let summary = runner.execute(task, id, "bench").await.expect("run");
    let d = t.elapsed();
    assert_eq!(summary.pass, task_pairs(store).await, "every check passed");
    d
}

async fn task_pairs(store: &Store) -> usize {
    store
        .list_components()
        .await
        .expect("components")
        .iter()
        .filter(|c| c.kind == "web")
        .count()
}

/// utime + stime of a process, in seconds.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command: state is field 3; utime 14, stime 15.
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

#[tokio::main]
async fn main() {
    let n = env("PROBES", 1_000);
    let rounds = env("ROUNDS", 5).max(1);
    let (base, hits) = server().await;
    let client = reqwest::Client::new();
    let ctx = ProbeContext::new();
    // Warm both pools.
    bare_loop(&client, &base, CONCURRENCY).await;
    probe_loop(&ctx, &base, CONCURRENCY).await;

    println!("== 1. {n} HTTP probes, concurrency {CONCURRENCY}, {rounds} alternating rounds");
    let (mut bare, mut probe) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        bare.push(bare_loop(&client, &base, n).await);
        probe.push(probe_loop(&ctx, &base, n).await);
    }
    let (b, p) = (median(&mut bare), median(&mut probe));
    println!(
        "bare reqwest loop : median {:>8.1} ms  ({:>7.0} req/s)",
        b.as_secs_f64() * 1e3,
        per_s(n, b)
    );
    println!(
        "probes::run_in    : median {:>8.1} ms  ({:>7.0} probes/s)  = {:.2}x the bare loop",
        p.as_secs_f64() * 1e3,
        per_s(n, p),
        p.as_secs_f64() / b.as_secs_f64()
    );

    println!(
        "\n== 2. the inspection runner: one task, {n} rule x target checks, concurrency {CONCURRENCY}, SQLite"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, store) = open(dir.path()).await;
    apply(&store, content(&base, n, "1h")).await;
    let task = store
        .list_tasks()
        .await
        .expect("tasks")
        .into_iter()
        .find(|t| t.name == "web")
        .expect("task");
    let runner = Runner::new(store.clone(), nightwatch::engine::probe_fn());
    runner_once(&runner, &task).await; // warm-up (first track rows are inserts)
    let (mut bare, mut run) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        bare.push(bare_loop(&client, &base, n).await);
        run.push(runner_once(&runner, &task).await);
    }
    let (b, r) = (median(&mut bare), median(&mut run));
    println!(
        "bare reqwest loop : median {:>8.1} ms  ({:>7.0} req/s)",
        b.as_secs_f64() * 1e3,
        per_s(n, b)
    );
    println!(
        "Runner::execute   : median {:>8.1} ms  ({:>7.0} checks/s)  = {:.2}x the bare loop",
        r.as_secs_f64() * 1e3,
        per_s(n, r),
        r.as_secs_f64() / b.as_secs_f64()
    );
    store.close().await;

    let targets = env("TARGETS", 1_000);
    let secs = env("SECS", 60) as u64;
    println!(
        "\n== 3. scheduler: `nightwatch serve` (SQLite), {targets} targets every 5s ({} checks/min offered), {secs} s",
        targets * 12
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, store) = open(dir.path()).await;
    apply(&store, content(&base, targets, "5s")).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let d = dir.path();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_nightwatch"))
        .args([
            "--database-url",
            &url,
            "--listen",
            &format!("127.0.0.1:{port}"),
            "serve",
        ])
        .env("XDG_CONFIG_HOME", d.join("config"))
        .env("XDG_DATA_HOME", d.join("data"))
        .env("XDG_STATE_HOME", d.join("state"))
        .env("HOME", d)
        .env_remove("NIGHTWATCH_DATABASE_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start nightwatch serve");
    let pid = child.id();
    // Warm-up: until the first run of the task finished.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let runs = store.list_runs(Some("web"), 1).await.expect("runs");
        if runs.first().is_some_and(|r| r.finished_at > 0) {
            break;
        }
        assert!(Instant::now() < deadline, "no finished run within 60 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (t0, cpu0, hits0) = (now_ms(), cpu_secs(pid), hits.load(Ordering::Relaxed));
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let (t1, cpu1, hits1) = (now_ms(), cpu_secs(pid), hits.load(Ordering::Relaxed));
    let _ = child.kill();
    let _ = child.wait();
    let runs: Vec<_> = store
        .list_runs(Some("web"), 10_000)
        .await
        .expect("runs")
        .into_iter()
        .filter(|r| r.started_at >= t0 && r.finished_at > 0 && r.finished_at <= t1)
        .collect();
    let mut stored = 0usize;
    let mut durations: Vec<i64> = Vec::new();
    let mut waits: Vec<i64> = Vec::new();
    for r in &runs {
        stored += store.run_results(r.id).await.expect("results").len();
        durations.push(r.finished_at - r.started_at);
        waits.push(r.started_at - r.created_at);
    }
    durations.sort_unstable();
    waits.sort_unstable();
    let minutes = (t1 - t0) as f64 / 60_000.0;
    let served = (hits1 - hits0) as f64;
    let cpu = cpu1 - cpu0;
    println!(
        "runs finished in the window: {}; checks stored: {stored} = {:.0} checks/min (HTTP requests served: {:.0}/min)",
        runs.len(),
        stored as f64 / minutes,
        served / minutes
    );
    if !durations.is_empty() {
        println!(
            "run duration ms: median {} max {}; queued→started ms: median {} max {}",
            durations[durations.len() / 2],
            durations[durations.len() - 1],
            waits[waits.len() / 2],
            waits[waits.len() - 1]
        );
    }
    println!(
        "engine CPU: {:.1} s over {:.0} s = {:.1} % of one core; {:.0} ms CPU per 1,000 checks",
        cpu,
        (t1 - t0) as f64 / 1e3,
        100.0 * cpu / ((t1 - t0) as f64 / 1e3),
        if stored > 0 {
            1e3 * cpu / stored as f64 * 1e3
        } else {
            0.0
        }
    );
    store.close().await;
}
