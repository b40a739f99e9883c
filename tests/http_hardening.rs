//! The HTTP server holds under abuse: wrong-token uploads are refused on their headers (the body
//! is never buffered, RSS stays flat); idle/slow connections beyond the cap are answered 503 at
//! once and closed after the idle timeout, so `/healthz` stays fast and comes back; lower-case
//! `bearer` is accepted; a header sent byte by byte is cut after the header timeout; a non-loopback
//! listener needs TLS or `--insecure-listen` (exit code 3 without).

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use std::io::Write as _;
use std::time::{Duration, Instant};

use common::{Sandbox, serve, wait_until};

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn db(sb: &Sandbox) -> String {
    format!("sqlite://{}/nw.db?mode=rwc", sb.dir.path().display())
}

/// `/healthz`: (status, latency).
async fn health(client: &reqwest::Client, port: u16) -> (u16, Duration) {
    let t = Instant::now();
    let code = client
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    (code, t.elapsed())
}

fn token(sb: &Sandbox, url: &str) -> String {
    let v = common::json_of(
        sb,
        &[
            "--database-url",
            url,
            "config",
            "get",
            "INGEST_AUTH",
            "--reveal",
            "-o",
            "json",
        ],
    );
    let v = v.get("value").unwrap_or(&v);
    v["alertmanager"]["token"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_token_uploads_are_refused_before_the_body_is_read() {
    let sb = Sandbox::new();
    let url = db(&sb);
    let (engine, port) = serve(&sb, &url, &[]);
    let pid = engine.0.id();
    let client = reqwest::Client::new();
    let before = rss_kib(pid);
    let body = vec![b' '; 15 * 1024 * 1024];
    let mut uploads = Vec::new();
    for _ in 0..40 {
        let (client, body) = (client.clone(), body.clone());
        uploads.push(tokio::spawn(async move {
            client
                .post(format!(
                    "http://127.0.0.1:{port}/api/v1/alerts/alertmanager"
                ))
                .header("authorization", "Bearer wrong")
                .body(body)
                .send()
                .await
                .map(|r| r.status().as_u16())
        }));
    }
    let (code, took) = health(&client, port).await;
    assert_eq!(code, 200);
    assert!(
        took < Duration::from_secs(1),
        "/healthz during the uploads: {took:?}"
    );
    let mut refused = 0;
    for u in uploads {
        // The server answers 401 on the headers and may close before the client finished
        // sending: a reset upload is refused too.
        match u.await.unwrap() {
            Ok(code) => {
                assert_eq!(code, 401);
                refused += 1;
            }
            Err(_) => refused += 1,
        }
    }
    assert_eq!(refused, 40);
    let after = rss_kib(pid);
    eprintln!("RSS {before} KiB before, {after} KiB after 40 wrong-token 15 MB uploads");
    assert!(
        after < before + 64 * 1024,
        "RSS grew by {} KiB (40 × 15 MB bodies buffered?)",
        after - before
    );
    // Lower-case scheme works with the right token.
    let r = client
        .post(format!(
            "http://127.0.0.1:{port}/api/v1/alerts/alertmanager"
        ))
        .header("authorization", format!("bearer {}", token(&sb, &url)))
        .body(r#"{"alerts": []}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_connections_beyond_the_cap_get_503_and_idle_ones_are_closed() {
    let sb = Sandbox::new();
    let (engine, port) = serve(
        &sb,
        &db(&sb),
        &[("NIGHTWATCH_ENGINE_MAX_CONNECTIONS", "100")],
    );
    let pid = engine.0.id();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let before = rss_kib(pid);
    // 300 slow-loris connections: half a request's headers, then nothing.
    let mut held = Vec::new();
    for _ in 0..300 {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let _ = s.write_all(b"POST /api/v1/alerts/alertmanager HTTP/1.1\r\nHost: nw\r\n");
        held.push(s);
    }
    let (code, took) = health(&client, port).await;
    eprintln!("/healthz with 300 slow connections open: {code} in {took:?}");
    assert!(took < Duration::from_secs(1), "answered at once: {took:?}");
    assert!(code == 503 || code == 200, "{code}");
    let during = rss_kib(pid);
    // After the idle timeout the server closed them: /healthz is 200 again.
    let freed = Instant::now();
    wait_until("/healthz is 200 again after the idle timeout", 45, || {
        let c = std::process::Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "--max-time",
                "2",
            ])
            .arg(format!("http://127.0.0.1:{port}/healthz"))
            .output()
            .ok()?;
        (String::from_utf8_lossy(&c.stdout) == "200").then_some(())
    });
    eprintln!(
        "RSS {before} KiB before, {during} KiB with 300 slow connections; healthy again {:?} later",
        freed.elapsed()
    );
    assert!(
        during < before + 32 * 1024,
        "RSS grew by {} KiB",
        during - before
    );
    drop(held);
}

/// A slow-loris that keeps sending its header one byte at a time (so the idle timeout never fires)
/// is disconnected once `engine.header_timeout_secs` has passed since it connected, while
/// `/healthz` answers at once throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_trickled_byte_by_byte_is_cut_after_the_header_timeout() {
    use std::io::Read as _;
    let sb = Sandbox::new();
    let (_engine, port) = serve(
        &sb,
        &db(&sb),
        &[("NIGHTWATCH_ENGINE_HEADER_TIMEOUT_SECS", "2")],
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let trickle = std::thread::spawn(move || {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let started = Instant::now();
        s.write_all(b"POST /api/v1/events HTTP/1.1\r\nHost: nw\r\n")
            .unwrap();
        s.set_nonblocking(true).unwrap();
        let header = b"X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        let mut sent = 0;
        // One byte every 100 ms (the pace of the attack, not a wait for a condition); the
        // connection is over when a read says so (EOF, reset, or an answer such as 408).
        loop {
            let mut buf = [0u8; 256];
            match s.read(&mut buf) {
                Ok(_) => break,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => break,
            }
            if s.write_all(&header[sent % header.len()..=sent % header.len()])
                .is_err()
            {
                break;
            }
            sent += 1;
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "still connected after {sent} header bytes in 20 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        (started.elapsed(), sent)
    });
    // /healthz stays fast while the slow header is coming.
    let mut worst = Duration::ZERO;
    while !trickle.is_finished() {
        let (code, took) = health(&client, port).await;
        assert_eq!(code, 200);
        worst = worst.max(took);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (cut_after, sent) = trickle.join().unwrap();
    eprintln!(
        "slow header cut after {cut_after:?} ({sent} bytes sent one by one); /healthz worst {worst:?}"
    );
    assert!(
        cut_after >= Duration::from_millis(1_800) && cut_after < Duration::from_millis(4_500),
        "cut after the 2 s header timeout, not before and not much later: {cut_after:?}"
    );
    assert!(
        worst < Duration::from_secs(1),
        "/healthz answered within 1 s: {worst:?}"
    );
}

#[test]
fn a_non_loopback_listener_needs_insecure_listen_and_says_so() {
    let sb = Sandbox::new();
    let url = db(&sb);
    let out = sb
        .command()
        .args(["--database-url", &url, "--listen", "0.0.0.0:0", "serve"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "a configuration error: {err}");
    assert!(
        err.contains("--insecure-listen") && err.contains("TLS"),
        "{err}"
    );
    // With the flag, inside a network namespace of its own (only its loopback exists there, so
    // 0.0.0.0 reaches nothing else): it starts and /healthz says it is insecure.
    if !common::require_program("/usr/bin/unshare", "util-linux") {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_nightwatch");
    let script = format!(
        "ip link set lo up; {bin} --database-url '{url}' --listen 0.0.0.0:9797 --insecure-listen serve 2>/dev/null & pid=$!; \
         for i in $(seq 1 100); do out=$(curl -s --max-time 1 http://127.0.0.1:9797/healthz) && break; sleep 0.2; done; \
         kill $pid; wait $pid; echo \"$out\""
    );
    let out = std::process::Command::new("unshare")
        .args(["--net", "--", "sh", "-c", &script])
        .env("XDG_DATA_HOME", sb.dir.path().join("data"))
        .env("XDG_CONFIG_HOME", sb.dir.path().join("config"))
        .env("XDG_STATE_HOME", sb.dir.path().join("state"))
        .env("HOME", sb.dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("\"insecure_listen\":true"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
