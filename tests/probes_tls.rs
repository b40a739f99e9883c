//! The http probe's certificate expiry against a real `openssl s_server` with a 30-day
//! self-signed certificate.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use nightwatch::probes::{self, HttpSpec, ProbeSpec, Target};

const T: Duration = Duration::from_secs(5);

#[tokio::test]
async fn https_certificate_expiry_from_a_real_tls_server() {
    if !common::require_program("/usr/bin/openssl", "openssl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "30",
            "-subj",
            "/CN=localhost",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let port = common::free_port();
    let _server = common::Proc(
        std::process::Command::new("openssl")
            .args([
                "s_server",
                "-quiet",
                "-www",
                "-accept",
                &format!("127.0.0.1:{port}"),
            ])
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    common::wait_until("openssl s_server listening", 20, || {
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    });
    let t = Target::local();
    let url = format!("https://127.0.0.1:{port}/");
    let spec = ProbeSpec::Http(HttpSpec {
        url: Some(url.clone()),
        insecure: true,
        ..HttpSpec::default()
    });
    let out = probes::run(&spec, &t, T).await.unwrap();
    assert_eq!(out.values["STATUS"], 200);
    let days = out.values["CERT_EXPIRES_DAYS"].as_i64().unwrap();
    assert!((29..=30).contains(&days), "a 30-day certificate: {days}");
    // Without `insecure` the self-signed certificate is refused, and the message says so.
    let strict = ProbeSpec::Http(HttpSpec {
        url: Some(url.clone()),
        ..HttpSpec::default()
    });
    let err = probes::run(&strict, &t, T).await.unwrap_err().to_string();
    assert!(
        err.contains(&url) && err.to_lowercase().contains("certificate"),
        "{err}"
    );
}
