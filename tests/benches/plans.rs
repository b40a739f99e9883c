//! Plan execution overhead on the embedded SQLite, in release mode. Prints, from one run on one
//! machine:
//! 1. a 100-step plan of quick `command` steps (`true`) run by the engine's executor
//!    (`engine::plans::execute`: render, state written before and after each step, output
//!    captured), against the same 100 `sh -c true` spawned bare in the same run: overhead per
//!    step = (plan − bare) / 100;
//! 2. a 100-step plan of `wait 1ms` steps (no process): overhead per step = (plan − 100 ms) / 100;
//! 3. state change → visible: from a step's state committed in the database to a poller that
//!    reads it the way the console's Plans pane does (change stamp, then the run's steps), at the
//!    console's default refresh (1,000 ms) and at 100 ms: median and max.
//!
//! Run: `cargo bench --bench plans`. Env: ROUNDS (default 5), STEPS (default 100).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use nightwatch::domain::content::{Targets, load_bundle};
use nightwatch::domain::time::now_ms;
use nightwatch::engine::plans::{PlanWorker, execute};
use nightwatch::plans::{Confirmation, launch, prepare};
use nightwatch::store::{ConnectOptions, Store};
use tokio_util::sync::CancellationToken;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn plan(name: &str, steps: usize, op: &str) -> String {
    let mut s = format!("[[plan]]\nname = \"{name}\"\n");
    for i in 0..steps {
        s.push_str(&format!(
            "\n[[plan.step]]\nid = \"s{i:03}\"\ndanger = \"G1\"\nop = {op}\n"
        ));
    }
    s
}

async fn run_plan(store: &Store, w: &PlanWorker, name: &str) -> Duration {
    let p = prepare(store, name, &BTreeMap::new(), None)
        .await
        .expect("prepare");
    let yes = Confirmation {
        yes: true,
        ..Confirmation::default()
    };
    let id = launch(store, &p, false, &yes, "bench", false, false, 0)
        .await
        .expect("launch");
    let run = store
        .claim_plan_run(&w.worker, now_ms(), w.lease_ms)
        .await
        .expect("claim")
        .expect("queued run");
    assert_eq!(run.id, id);
    let t = Instant::now();
    execute(w, run, &CancellationToken::new())
        .await
        .expect("execute");
    let d = t.elapsed();
    let r = store.get_plan_run(id).await.expect("run");
    assert_eq!(r.status, "succeeded", "{}", r.message);
    d
}

async fn bare(steps: usize) -> Duration {
    let t = Instant::now();
    for _ in 0..steps {
        let s = tokio::process::Command::new("sh")
            .args(["-c", "true"])
            .status()
            .await
            .expect("sh");
        assert!(s.success());
    }
    t.elapsed()
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Poll like the Plans pane: the change stamp every `every`; when it moved, the run's steps.
/// Returns, for each step, (committed at, seen at) in epoch ms.
async fn watch(store: Store, id: i64, steps: usize, every: Duration) -> Vec<(i64, i64)> {
    let mut stamp = 0;
    let mut seen: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let s = store.plan_runs_stamp(now_ms()).await.expect("stamp");
        if s == stamp {
            continue;
        }
        stamp = s;
        let now = now_ms();
        for st in store.plan_run_steps(id).await.expect("steps") {
            if st.status == "succeeded" {
                seen.entry(st.seq).or_insert((st.finished_at, now));
            }
        }
        if seen.len() == steps {
            return seen.into_values().collect();
        }
    }
}

#[tokio::main]
async fn main() {
    let rounds = env("ROUNDS", 5).max(1);
    let steps = env("STEPS", 100).max(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/nw.db?mode=rwc", dir.path().display());
    let store = Store::connect(&url, &ConnectOptions::default())
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    let text = [
        plan("quick", steps, "{ kind = \"command\", script = \"true\" }"),
        plan("waits", steps, "{ kind = \"wait\", duration = \"1ms\" }")
            .replace("danger = \"G1\"\n", ""),
        plan(
            "paced",
            steps,
            "{ kind = \"command\", script = \"sleep 0.05\" }",
        ),
    ];
    let files: Vec<_> = text
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("p{i}.toml").into(), t.clone()))
        .collect();
    let bundle = load_bundle(&files, &[], &[], Targets::MustExist, &|_| Ok(())).expect("valid");
    store
        .apply_bundle(&bundle, false, "bench", now_ms())
        .await
        .expect("apply");
    let w = PlanWorker::new(store.clone(), "bench").expect("worker");
    run_plan(&store, &w, "quick").await; // warm-up

    println!("== 1. {steps} command steps (`true`), {rounds} alternating rounds");
    let (mut b, mut p) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        b.push(bare(steps).await);
        p.push(run_plan(&store, &w, "quick").await);
    }
    let (b, p) = (median(&mut b), median(&mut p));
    println!(
        "bare `sh -c true` x{steps}: median {:>8.1} ms ({:.2} ms each)",
        ms(b),
        ms(b) / steps as f64
    );
    println!(
        "plan of {steps} steps   : median {:>8.1} ms ({:.2} ms each) → overhead {:.2} ms per step",
        ms(p),
        ms(p) / steps as f64,
        (ms(p) - ms(b)) / steps as f64
    );

    println!("\n== 2. {steps} `wait 1ms` steps (no process), {rounds} rounds");
    let mut v: Vec<Duration> = Vec::new();
    for _ in 0..rounds {
        v.push(run_plan(&store, &w, "waits").await);
    }
    let m = median(&mut v);
    println!(
        "plan of {steps} waits    : median {:>8.1} ms → overhead {:.2} ms per step (beyond the 1 ms wait)",
        ms(m),
        (ms(m) - steps as f64) / steps as f64
    );

    println!("\n== 3. step state committed → seen by a poller reading like the Plans pane");
    for every in [Duration::from_millis(1000), Duration::from_millis(100)] {
        let p = prepare(&store, "paced", &BTreeMap::new(), None)
            .await
            .expect("prepare");
        let yes = Confirmation {
            yes: true,
            ..Confirmation::default()
        };
        let id = launch(&store, &p, false, &yes, "bench", false, false, 0)
            .await
            .expect("launch");
        let watcher = tokio::spawn(watch(store.clone(), id, steps, every));
        let run = store
            .claim_plan_run("bench", now_ms(), 600_000)
            .await
            .expect("claim")
            .expect("run");
        let w2 = PlanWorker::new(store.clone(), "bench").expect("worker");
        execute(&w2, run, &CancellationToken::new())
            .await
            .expect("execute");
        let seen = watcher.await.expect("watcher");
        let mut delays: Vec<i64> = seen.iter().map(|(c, s)| s - c).collect();
        delays.sort_unstable();
        println!(
            "poll every {:>4} ms: delay median {:>4} ms, p90 {:>4} ms, max {:>4} ms ({} steps of ~50 ms)",
            every.as_millis(),
            delays[delays.len() / 2],
            delays[delays.len() * 9 / 10],
            delays[delays.len() - 1],
            delays.len()
        );
    }
    store.close().await;
}
