//! Console start-up and idle cost, in a real pseudo-terminal, on the release binary.
//!
//! Prints: binary size; cold start (fresh data dir: create the SQLite file, migrate, start the
//! engine) to first frame and warm start to first frame (median of N runs); then, with the console
//! idle on a stable screen, bytes written to the terminal per second and CPU use over a window.
//!
//! Then, per store size (SIZES, default "10000,100000,1000000" events bulk-loaded into the
//! console's SQLite file by one statement): start to the first frame that shows the event
//! statistics, and CPU while idle on every pane (tabs 1–6), without and with a filter that
//! matches nothing (`/nomatchxyz`), side by side.
//!
//! Run: `cargo bench --bench console_start_idle` (release). Env: RUNS (default 5), IDLE_SECS
//! (default 10), SIZES, PANE_SECS (idle window per pane, default 5).

use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

#[path = "../common/bulk.rs"]
mod bulk;

const BIN: &str = env!("CARGO_BIN_EXE_nightwatch");
/// Text that is on the first frame (the Overview pane's tab bar).
const FIRST_FRAME: &str = "Overview";
/// Text that appears once the first data refresh has rendered.
const DATA_LOADED: &str = "sqlite";

struct Session {
    child: Box<dyn portable_pty::Child + Send + Sync>,
    bytes: Arc<AtomicU64>,
    screen: Arc<Mutex<Vec<u8>>>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
    writer: Arc<Mutex<Box<dyn std::io::Write + Send>>>,
}

fn start(home: &std::path::Path, port: u16) -> Session {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 48,
            cols: 160,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("openpty");
    let mut cmd = CommandBuilder::new(BIN);
    cmd.args(["--listen", &format!("127.0.0.1:{port}")]);
    cmd.env("XDG_CONFIG_HOME", home.join("config"));
    cmd.env("XDG_DATA_HOME", home.join("data"));
    cmd.env("XDG_STATE_HOME", home.join("state"));
    cmd.env("TERM", "xterm-256color");
    cmd.env("LANG", "C.UTF-8");
    let child = pty.slave.spawn_command(cmd).expect("spawn");
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().expect("reader");
    let writer = Arc::new(Mutex::new(pty.master.take_writer().expect("writer")));
    let bytes = Arc::new(AtomicU64::new(0));
    let screen = Arc::new(Mutex::new(Vec::new()));
    let (b, s, w) = (Arc::clone(&bytes), Arc::clone(&screen), Arc::clone(&writer));
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            // Answer a cursor-position query (DSR) the way a terminal emulator does.
            if buf[..n].windows(4).any(|x| x == b"\x1b[6n")
                && let Ok(mut w) = w.lock()
            {
                let _ = w.write_all(b"\x1b[1;1R");
                let _ = w.flush();
            }
            b.fetch_add(n as u64, Ordering::Relaxed);
            if let Ok(mut s) = s.lock() {
                s.extend_from_slice(&buf[..n]);
            }
        }
    });
    Session {
        child,
        bytes,
        screen,
        _master: pty.master,
        writer,
    }
}

impl Session {
    fn send(&self, keys: &[u8]) {
        if let Ok(mut w) = self.writer.lock() {
            let _ = w.write_all(keys);
            let _ = w.flush();
        }
    }

    /// CPU (% of one core) over `secs` of idling.
    fn idle_cpu(&self, secs: u64) -> f64 {
        let (c0, t0) = (self.cpu_ticks(), Instant::now());
        std::thread::sleep(Duration::from_secs(secs));
        (self.cpu_ticks() - c0) as f64 / t0.elapsed().as_secs_f64()
    }

    fn wait_for(&self, text: &str, limit: Duration) -> Duration {
        self.wait_until(text, limit, |screen| screen.contains(text))
    }

    /// Until `found` holds for the bytes written so far (as text), at most `limit`.
    fn wait_until(&self, what: &str, limit: Duration, found: impl Fn(&str) -> bool) -> Duration {
        let t0 = Instant::now();
        loop {
            if self
                .screen
                .lock()
                .is_ok_and(|s| found(&String::from_utf8_lossy(&s)))
            {
                return t0.elapsed();
            }
            assert!(t0.elapsed() < limit, "no {what:?} within {limit:?}");
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    fn quit(mut self) {
        if let Ok(mut w) = self.writer.lock() {
            let _ = w.write_all(b"q");
            let _ = w.flush();
        }
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
    }

    /// utime + stime of the process, in clock ticks (USER_HZ = 100 on Linux).
    fn cpu_ticks(&self) -> u64 {
        let pid = self.child.process_id().expect("pid");
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
        let after_comm = &stat[stat.rfind(')').expect("comm") + 2..];
        let f: Vec<&str> = after_comm.split(' ').collect();
        f[11].parse::<u64>().unwrap_or(0) + f[12].parse::<u64>().unwrap_or(0)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

fn median(mut v: Vec<Duration>) -> (Duration, Duration, Duration) {
    v.sort();
    (v[0], v[v.len() / 2], v[v.len() - 1])
}

/// A console home whose SQLite file holds `n` bulk-loaded events (migrated by the store first).
fn home_with_events(n: u64) -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("tmp");
    let dir = home.path().join("data").join("nightwatch");
    std::fs::create_dir_all(&dir).expect("data dir");
    let url = format!("sqlite://{}/nightwatch.db?mode=rwc", dir.display());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        use sqlx::Connection as _;
        let store = nightwatch::store::Store::connect(&url, &Default::default())
            .await
            .expect("connect");
        store.migrate().await.expect("migrate");
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&url).await.expect("raw");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        sqlx::raw_sql(sqlx::AssertSqlSafe(bulk::bulk_events_sql("sqlite", n, now)))
            .execute(&mut conn)
            .await
            .expect("bulk load");
        // What the engine does every hour (and a minute after it starts).
        store
            .refresh_planner_stats()
            .await
            .expect("planner statistics");
        // A store that grew over a year has had its WAL checkpointed all along; the bulk load
        // leaves it whole (0.7 GB at 1M), and checkpointing it would be measured as idle CPU.
        sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut conn)
            .await
            .expect("checkpoint");
        conn.close().await.expect("close");
        store.recount_events().await.expect("recount");
        store.close().await;
    });
    home
}

/// Per store size: (events, first frame with statistics, [(pane, idle CPU, idle CPU filtered)]).
type SizeRow = (u64, Duration, Vec<(char, f64, f64)>);

fn measure_size(n: u64, pane_secs: u64) -> SizeRow {
    let t = Instant::now();
    let home = home_with_events(n);
    println!("\n{n} events bulk-loaded in {:.1?}", t.elapsed());
    // The Overview's block title carries the total: wait for it (n, or a few more if the
    // engine's own host checks raised events meanwhile). The title first reads `Risk events -`
    // and ratatui rewrites only the cells that change, so the stream holds the number alone:
    // n/10 followed by a digit (the suppressed count, n/10 exactly, is followed by a space).
    let prefix = (n / 10).to_string();
    let s = start(home.path(), free_port());
    let first = s.wait_until(
        &format!("Risk events {prefix}…"),
        Duration::from_secs(120),
        |screen| {
            screen.match_indices(&prefix).any(|(i, _)| {
                screen[i + prefix.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit())
            })
        },
    );
    println!("start to the first frame with statistics: {first:.1?}");
    s.wait_for(DATA_LOADED, Duration::from_secs(30));
    std::thread::sleep(Duration::from_secs(3));
    let mut panes = Vec::new();
    for tab in ['1', '2', '3', '4', '5', '6'] {
        s.send(tab.to_string().as_bytes());
        std::thread::sleep(Duration::from_secs(2));
        let plain = s.idle_cpu(pane_secs);
        s.send(b"/nomatchxyz\r");
        std::thread::sleep(Duration::from_secs(2));
        let filtered = s.idle_cpu(pane_secs);
        s.send(b"\x1b");
        std::thread::sleep(Duration::from_millis(300));
        println!("  pane {tab}: idle CPU {plain:.2} %, with a no-match filter {filtered:.2} %");
        panes.push((tab, plain, filtered));
    }
    s.quit();
    (n, first, panes)
}

fn main() {
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let idle_secs: u64 = std::env::var("IDLE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let size = std::fs::metadata(BIN).map(|m| m.len()).unwrap_or(0);
    println!("binary: {BIN}");
    println!(
        "binary size: {:.1} MiB ({size} bytes)",
        size as f64 / 1_048_576.0
    );

    let mut cold = Vec::new();
    let mut warm = Vec::new();
    let warm_home = tempfile::tempdir().expect("tmp");
    for i in 0..runs {
        let fresh = tempfile::tempdir().expect("tmp");
        let s = start(fresh.path(), free_port());
        cold.push(s.wait_for(FIRST_FRAME, Duration::from_secs(30)));
        s.quit();
        let s = start(warm_home.path(), free_port());
        let t = s.wait_for(FIRST_FRAME, Duration::from_secs(30));
        if i > 0 {
            warm.push(t); // the first run of warm_home is itself cold
        }
        s.quit();
    }
    let (lo, med, hi) = median(cold);
    println!(
        "cold start to first frame: median {med:.1?} (min {lo:.1?}, max {hi:.1?}, {runs} runs)"
    );
    if !warm.is_empty() {
        let n = warm.len();
        let (lo, med, hi) = median(warm);
        println!(
            "warm start to first frame: median {med:.1?} (min {lo:.1?}, max {hi:.1?}, {n} runs)"
        );
    }

    let s = start(warm_home.path(), free_port());
    s.wait_for(DATA_LOADED, Duration::from_secs(30));
    // Let the first refreshes and heartbeats settle, then measure a quiet window.
    std::thread::sleep(Duration::from_secs(3));
    let (b0, c0, t0) = (
        s.bytes.load(Ordering::Relaxed),
        s.cpu_ticks(),
        Instant::now(),
    );
    std::thread::sleep(Duration::from_secs(idle_secs));
    let (b1, c1, secs) = (
        s.bytes.load(Ordering::Relaxed),
        s.cpu_ticks(),
        t0.elapsed().as_secs_f64(),
    );
    println!(
        "idle over {secs:.1}s (engine in-process, refresh 1000 ms): {:.1} bytes/s to the terminal ({} bytes), CPU {:.2} % of one core",
        (b1 - b0) as f64 / secs,
        b1 - b0,
        (c1 - c0) as f64 / secs // ticks are 1/100 s, so ticks per second = percent
    );
    s.quit();

    let pane_secs: u64 = std::env::var("PANE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let sizes: Vec<u64> = std::env::var("SIZES")
        .unwrap_or_else(|_| "10000,100000,1000000".into())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    let rows: Vec<SizeRow> = sizes.iter().map(|&n| measure_size(n, pane_secs)).collect();
    println!(
        "\nside by side: start to first frame with statistics; idle CPU % of one core per pane (plain / no-match filter), {pane_secs} s windows"
    );
    print!("{:>9} {:>12}", "events", "first stats");
    for tab in ['1', '2', '3', '4', '5', '6'] {
        print!(" {:>13}", format!("pane {tab}"));
    }
    println!();
    for (n, first, panes) in rows {
        print!("{n:>9} {:>9.0} ms", first.as_secs_f64() * 1e3);
        for (_, a, b) in panes {
            print!(" {:>13}", format!("{a:.1} / {b:.1}"));
        }
        println!();
    }
}
