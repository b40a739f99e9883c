//! Processes for the pairs: servers stopped on drop, one-shot commands, and a writer feeding a
//! client's stdin.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server process stopped on drop: SIGTERM, up to 10 s for a clean exit, then SIGKILL.
pub struct Daemon {
    pub name: String,
    child: Child,
}

impl Daemon {
    pub fn spawn(name: &str, cmd: &mut Command) -> Daemon {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        Daemon {
            name: name.to_owned(),
            child,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Send a signal by name (`STOP`, `CONT`, `TERM`).
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.pid().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill -{sig} {}", self.name);
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // A stopped process cannot act on TERM: continue it first.
        let _ = Command::new("kill")
            .args(["-CONT", &self.child.id().to_string()])
            .status();
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run a command to completion; its stdout, or a panic with its stderr.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A child process fed lines on stdin by a thread, one every `period`, until dropped: the
/// continuous writes on a primary while a link is broken.
pub struct Writer {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    paused: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    pub fn start(
        mut cmd: Command,
        period: Duration,
        line: impl Fn(u64) -> String + Send + 'static,
    ) -> Writer {
        use std::io::Write as _;
        use std::sync::atomic::{AtomicBool, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let paused = std::sync::Arc::new(AtomicBool::new(false));
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start writer");
        let (s, p) = (stop.clone(), paused.clone());
        let thread = std::thread::spawn(move || {
            let mut stdin = child.stdin.take().expect("stdin");
            let mut n = 0;
            while !s.load(Ordering::Relaxed) {
                if !p.load(Ordering::Relaxed) {
                    n += 1;
                    if stdin.write_all(line(n).as_bytes()).is_err() || stdin.flush().is_err() {
                        break;
                    }
                }
                std::thread::sleep(period);
            }
            drop(stdin);
            let _ = child.kill();
            let _ = child.wait();
        });
        Writer {
            stop,
            paused,
            thread: Some(thread),
        }
    }

    /// Stop or resume writing (to compare figures while nothing moves).
    pub fn pause(&self, on: bool) {
        self.paused.store(on, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
