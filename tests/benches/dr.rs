//! The DR dashboard, in release mode.
//!
//! Prints:
//! (a) collection cost: one collector round over LINKS sync links (default 200) defined against
//!     the three real pairs the tests use (MariaDB GTID replication, PostgreSQL streaming, Redis
//!     replication; started here, writes going on), with their water levels, stored in SQLite:
//!     CPU (user+sys of this process, from /proc/self/stat) and wall time per round, median and
//!     max over ROUNDS rounds (default 10), and per link. The servers' own CPU is not counted;
//! (b) the DR pane's frame time with 10 datacenters × 5 layers × 2,000 components and 500 links
//!     (`nightwatch::dr::synthetic`) at 160×48 and 80×24 (median, p99 over FRAMES frames, the
//!     selection moving between frames), against the aim of 2 ms; and, for context, the one-off
//!     derivation of a read (`update` with the board) and the same frame with 5 links.
//!
//! Run: `cargo bench --bench dr`. Env: LINKS, ROUNDS, FRAMES (default 500). A quick logic check in
//! debug: `LINKS=4 ROUNDS=2 FRAMES=5 cargo bench --profile dev --bench dr`.

#[path = "../common/mod.rs"]
#[allow(unused_imports)]
mod common;

use std::time::{Duration, Instant};

use common::dr_pairs::{MariaPair, PgPair, RedisPair};
use nightwatch::console::{Action, App};
use nightwatch::domain::content::{Targets, load_bundle};
use nightwatch::domain::dr::DashboardConfig;
use nightwatch::domain::time::now_ms;
use nightwatch::engine::dr::Collector;
use nightwatch::settings::Settings;
use nightwatch::store::{ConnectOptions, Store};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// user + system CPU of this process, in ms.
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // Fields after the command name (which may contain spaces, inside parentheses).
    let rest = &stat[stat.rfind(')').expect("stat") + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f[11].parse::<f64>().unwrap_or(0.0) + f[12].parse::<f64>().unwrap_or(0.0);
    // USER_HZ is 100 on Linux.
    ticks * 10.0
}

fn stats(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    let p99 = v[((v.len() * 99) / 100).min(v.len() - 1)];
    (v[v.len() / 2], p99)
}

fn content(n: usize, m: &MariaPair, p: &PgPair, r: &RedisPair) -> String {
    let mut t = String::from(
        "[[datacenter]]\nname = \"dc-a\"\nrole = \"active\"\n[[datacenter]]\nname = \"dc-b\"\nrole = \"standby\"\n\
         [[dr_system]]\nname = \"orders\"\narchitecture = \"remote-active-standby\"\ndatacenters = [\"dc-a\", \"dc-b\"]\nrpo = \"30s\"\nrto = \"15m\"\n",
    );
    let pairs = [
        (
            "mysql-replication",
            "database",
            format!("{{ dsn = \"{}\" }}", m.dsn("primary")),
            format!("{{ dsn = \"{}\" }}", m.dsn("replica")),
        ),
        (
            "postgres-streaming",
            "database",
            format!("{{ dsn = \"{}\" }}", p.dsn("primary")),
            format!("{{ dsn = \"{}\" }}", p.dsn("standby")),
        ),
        (
            "redis-replication",
            "hub",
            format!("{{ host = \"127.0.0.1\", port = {} }}", r.master_port),
            format!("{{ host = \"127.0.0.1\", port = {} }}", r.replica_port),
        ),
    ];
    for i in 0..n {
        let (kind, layer, a, b) = &pairs[i % 3];
        for (side, dc, ep) in [("a", "dc-a", a), ("b", "dc-b", b)] {
            t.push_str(&format!(
                "[[component]]\nname = \"c{i}-{side}\"\nkind = \"{kind}\"\nlayer = \"{layer}\"\nzone = \"{dc}\"\nendpoints = {ep}\n"
            ));
        }
        t.push_str(&format!(
            "[[link]]\nname = \"l{i:03}\"\nkind = \"{kind}\"\nsystem = \"orders\"\nsource = \"c{i}-a\"\ntarget = \"c{i}-b\"\n"
        ));
    }
    t
}

async fn collection(links: usize, rounds: usize) {
    let (Some(m), Some(p), Some(r)) = (MariaPair::start(), PgPair::start(), RedisPair::start())
    else {
        println!("(a) skipped: MariaDB, PostgreSQL or Redis is not installed");
        return;
    };
    let _w = (
        m.writer(Duration::from_millis(100)),
        p.writer(Duration::from_millis(100)),
        r.writer(Duration::from_millis(100)),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/dr.db?mode=rwc", dir.path().display());
    let store = Store::connect(&url, &ConnectOptions::default())
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    let files = vec![("bench.toml".into(), content(links, &m, &p, &r))];
    let bundle = load_bundle(&files, &[], &[], Targets::MustExist, &|_| Ok(())).expect("content");
    store
        .apply_bundle(&bundle, false, "bench", now_ms())
        .await
        .expect("apply");
    let config = DashboardConfig::default();
    let mut c = Collector::new(store.clone());
    // One warm-up round (connections, caches).
    c.round(&config, &serde_json::json!({}), &[], now_ms())
        .await
        .expect("round");
    let (mut cpu, mut wall, mut unknown) = (Vec::new(), Vec::new(), 0);
    for _ in 0..rounds {
        let (c0, t0) = (cpu_ms(), Instant::now());
        let rep = c
            .round(&config, &serde_json::json!({}), &[], now_ms())
            .await
            .expect("round");
        wall.push(t0.elapsed());
        cpu.push(cpu_ms() - c0);
        unknown += rep
            .samples
            .iter()
            .filter(|s| s.state.to_string() == "unknown")
            .count();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    cpu.sort_by(f64::total_cmp);
    let (wmed, wmax) = (
        stats(wall.clone()).0,
        *wall.iter().max().expect("rounds > 0"),
    );
    let cmed = cpu[cpu.len() / 2];
    println!(
        "(a) collection of {links} links (+ their water levels) against the real pairs, {rounds} rounds:\n    \
         CPU per round median {cmed:.0} ms (max {:.0} ms) = {:.2} ms per link; wall median {wmed:.0?} (max {wmax:.0?}) at concurrency {};\n    \
         default interval 10 s → {:.1}% of one core; links unknown (timed out) over all rounds: {unknown}",
        cpu[cpu.len() - 1],
        cmed / links as f64,
        config.concurrency,
        cmed / 10_000.0 * 100.0,
    );
}

fn frames(dcs: usize, comps: usize, links: usize, w: u16, h: u16, n: usize, label: &str) {
    let now = now_ms();
    let mut settings = Settings::default();
    let dir = tempfile::tempdir().expect("temp dir");
    settings.paths.config_dir = dir.path().join("config");
    let config = nightwatch::console::resources::load(&settings, "bench".into(), |_| None);
    let mut app = App::new(config, nightwatch::domain::DbInfo::default(), now);
    app.update(Action::Resize(w, h));
    app.update(Action::Dr);
    let board = Box::new(nightwatch::dr::synthetic(dcs, comps, links, now));
    let t0 = Instant::now();
    app.update(Action::DrLoaded(Ok(board)));
    let derive = t0.elapsed();
    app.update(Action::NextField); // focus the links: the selection moves down the table
    let area = Rect::new(0, 0, w, h);
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        let mut buf = Buffer::empty(area);
        (&app).render(area, &mut buf);
        times.push(t.elapsed());
        std::hint::black_box(&buf);
        app.update(if i % 100 < 50 {
            Action::Down
        } else {
            Action::Up
        });
    }
    let (med, p99) = stats(times);
    println!(
        "    {label} {w}x{h}: frame median {med:.2?}, p99 {p99:.2?} (aim < 2 ms); read → derived state {derive:.2?}"
    );
}

#[tokio::main]
async fn main() {
    // At least one of each: the statistics below index into what was measured.
    let links = env("LINKS", 200).max(1);
    let rounds = env("ROUNDS", 10).max(1);
    let n = env("FRAMES", 500).max(1);
    println!(
        "DR dashboard benchmark ({}; {} cores)",
        if cfg!(debug_assertions) {
            "DEBUG build: a logic check only, the figures mean nothing"
        } else {
            "release"
        },
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("(b) DR pane frame time:");
    frames(
        10,
        2_000,
        500,
        160,
        48,
        n,
        "10 DC × 5 layers × 2,000 components × 500 links",
    );
    frames(
        10,
        2_000,
        500,
        80,
        24,
        n,
        "10 DC × 5 layers × 2,000 components × 500 links",
    );
    frames(
        2,
        20,
        5,
        160,
        48,
        n,
        "2 DC × 20 components × 5 links (context)          ",
    );
    collection(links, rounds).await;
}
