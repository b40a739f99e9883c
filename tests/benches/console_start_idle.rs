//! Console start-up and idle cost, in a real pseudo-terminal, on the release binary.
//!
//! Prints: binary size; cold start (fresh data dir: create the SQLite file, migrate, start the
//! engine) to first frame and warm start to first frame (median of N runs); then, with the console
//! idle on a stable screen, bytes written to the terminal per second and CPU use over a window.
//!
//! Run: `cargo bench --bench console_start_idle` (release). Env: RUNS (default 5), IDLE_SECS
//! (default 10).

use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

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
    fn wait_for(&self, text: &str, limit: Duration) -> Duration {
        let t0 = Instant::now();
        loop {
            if self
                .screen
                .lock()
                .is_ok_and(|s| String::from_utf8_lossy(&s).contains(text))
            {
                return t0.elapsed();
            }
            assert!(t0.elapsed() < limit, "no {text:?} within {limit:?}");
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
}
