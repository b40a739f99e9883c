//! The engine's own TLS listener (issue 11): a certificate made by `openssl` for the test (a CA and
//! a server certificate for 127.0.0.1 signed by it). An alert posted over HTTPS (reqwest trusting
//! only the test CA, and the real Alertmanager with `tls_config.ca_file`) is stored; plain HTTP to
//! the TLS port gets no HTTP answer; `/healthz` says `tls`; a non-loopback address needs no
//! `--insecure-listen` with TLS; a missing, garbled or mismatched certificate or key stops the start
//! with exit code 3 and a message naming the setting; a stalled handshake is cut after the header
//! timeout.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Proc, Sandbox, free_port, json_of, require_program, serve, wait_until};

const AM: &str = "/usr/bin/prometheus-alertmanager";
const AMTOOL: &str = "/usr/bin/amtool";

struct Certs {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A throw-away CA and a server certificate for 127.0.0.1 / localhost signed by it.
fn make_certs(dir: &Path, name: &str) -> Certs {
    let dir = dir.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &dir,
        &[
            &["req", "-x509"][..],
            &ec,
            &["-keyout", "ca.key", "-out", "ca.crt", "-days", "2"],
            &["-subj", "/CN=nightwatch test CA"],
        ]
        .concat(),
    );
    openssl(
        &dir,
        &[
            &["req"][..],
            &ec,
            &["-keyout", "server.key", "-out", "server.csr"],
            &["-subj", "/CN=127.0.0.1"],
        ]
        .concat(),
    );
    std::fs::write(
        dir.join("ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(
        &dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "ext",
        ],
    );
    Certs {
        ca: dir.join("ca.crt"),
        cert: dir.join("server.crt"),
        key: dir.join("server.key"),
    }
}

fn db(sb: &Sandbox) -> String {
    format!("sqlite://{}/nw.db?mode=rwc", sb.dir.path().display())
}

fn tls_env(c: &Certs) -> [(&'static str, String); 2] {
    [
        (
            "NIGHTWATCH_ENGINE_TLS_CERT_FILE",
            c.cert.display().to_string(),
        ),
        (
            "NIGHTWATCH_ENGINE_TLS_KEY_FILE",
            c.key.display().to_string(),
        ),
    ]
}

fn serve_tls(sb: &Sandbox, url: &str, c: &Certs) -> (Proc, u16) {
    let env = tls_env(c);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    serve(sb, url, &env)
}

fn auth(sb: &Sandbox, url: &str) -> serde_json::Value {
    let v = json_of(
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
    v.get("value").cloned().unwrap_or(v)
}

fn events(sb: &Sandbox, url: &str) -> serde_json::Value {
    json_of(sb, &["--database-url", url, "events", "list", "-o", "json"])
}

fn find<'a>(events: &'a serde_json::Value, title: &str) -> Option<&'a serde_json::Value> {
    events.as_array()?.iter().find(|e| e["title"] == title)
}

fn curl(args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new("curl")
        .args(["-s", "--max-time", "5"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_alerts_are_stored_and_plain_http_gets_no_answer() {
    let sb = Sandbox::new();
    let certs = make_certs(sb.dir.path(), "pki");
    let url = db(&sb);
    let (_engine, port) = serve_tls(&sb, &url, &certs);

    // /healthz over HTTPS, trusting only the test CA: it says TLS, not insecure.
    let ca = certs.ca.display().to_string();
    let (ok, body) = curl(&[
        "--cacert",
        &ca,
        &format!("https://127.0.0.1:{port}/healthz"),
    ]);
    assert!(ok, "healthz over https: {body}");
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["tls"], true, "{health}");
    assert_eq!(health["insecure_listen"], false, "{health}");
    // Without the CA the certificate is not trusted (it is the test's own, not a public one).
    let (ok, _) = curl(&[&format!("https://127.0.0.1:{port}/healthz")]);
    assert!(!ok, "an untrusted certificate is refused by curl");

    // An alert over HTTPS (reqwest with the test CA as its only root) is stored.
    let token = auth(&sb, &url)["alertmanager"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let client = reqwest::Client::builder()
        .tls_certs_only([
            reqwest::Certificate::from_pem(&std::fs::read(&certs.ca).unwrap()).unwrap(),
        ])
        .build()
        .unwrap();
    let body = serde_json::json!({"version": "4", "alerts": [{
        "status": "firing",
        "labels": {"alertname": "TlsDisk", "level": "P1", "instance": "db-1"},
        "annotations": {"summary": "posted over https"},
        "startsAt": "2026-11-21T00:00:00Z", "endsAt": "0001-01-01T00:00:00Z"
    }]});
    let r = client
        .post(format!(
            "https://127.0.0.1:{port}/api/v1/alerts/alertmanager"
        ))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    let stored = events(&sb, &url);
    let e = find(&stored, "posted over https").expect("the HTTPS alert is stored");
    assert_eq!(e["level"], "P1", "{e}");

    // Plain HTTP to the TLS port: no HTTP answer, the connection is closed.
    let (ok, out) = curl(&[&format!("http://127.0.0.1:{port}/healthz")]);
    assert!(
        !ok && !out.contains("nightwatch"),
        "plain HTTP answered: {out}"
    );
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: nw\r\n\r\n")
        .unwrap();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    assert!(
        !got.starts_with(b"HTTP/"),
        "plain HTTP got an HTTP answer: {:?}",
        String::from_utf8_lossy(&got)
    );
    // A plain-HTTP alert is never stored either.
    let (ok, _) = curl(&[
        "-X",
        "POST",
        "-H",
        &format!("authorization: Bearer {token}"),
        "-d",
        r#"{"alerts":[{"status":"firing","labels":{"alertname":"PlainOne"},"annotations":{"summary":"plain http"}}]}"#,
        &format!("http://127.0.0.1:{port}/api/v1/alerts/alertmanager"),
    ]);
    assert!(!ok);
    assert!(find(&events(&sb, &url), "plain http").is_none());
    // A second engine on the same port is refused (naming the owner is best effort: the probe of
    // the port's owner gives it 1 s per scheme, which a loaded machine may miss).
    let out = sb
        .command()
        .args([
            "--database-url",
            &url,
            "--listen",
            &format!("127.0.0.1:{port}"),
            "serve",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code() == Some(1) && err.contains("is already in use"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alertmanager_posts_over_https_with_its_ca_file() {
    if !require_program(AM, "prometheus-alertmanager")
        || !require_program(AMTOOL, "prometheus-alertmanager")
    {
        return;
    }
    let sb = Sandbox::new();
    let certs = make_certs(sb.dir.path(), "pki");
    let url = db(&sb);
    let (_engine, nw_port) = serve_tls(&sb, &url, &certs);
    let token = auth(&sb, &url)["alertmanager"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let am_port = free_port();
    let dir = sb.dir.path().join("am");
    std::fs::create_dir_all(&dir).unwrap();
    let config = format!(
        "route:\n  receiver: nightwatch\n  group_by: ['alertname']\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n\
         receivers:\n- name: nightwatch\n  webhook_configs:\n  - url: https://127.0.0.1:{nw_port}/api/v1/alerts/alertmanager\n    send_resolved: true\n\
         \x20   http_config:\n      authorization:\n        type: Bearer\n        credentials: {token}\n      tls_config:\n        ca_file: {}\n",
        certs.ca.display()
    );
    let file = dir.join("alertmanager.yml");
    std::fs::write(&file, config).unwrap();
    let _am = Proc(
        std::process::Command::new(AM)
            .arg(format!("--config.file={}", file.display()))
            .arg(format!("--storage.path={}", dir.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{am_port}"))
            .arg("--cluster.listen-address=")
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(dir.join("am.log")).unwrap())
            .spawn()
            .unwrap(),
    );
    wait_until("alertmanager ready", 30, || {
        curl(&["-f", &format!("http://127.0.0.1:{am_port}/-/ready")])
            .0
            .then_some(())
    });
    let out = std::process::Command::new(AMTOOL)
        .arg(format!("--alertmanager.url=http://127.0.0.1:{am_port}"))
        .args([
            "alert",
            "add",
            "alertname=TlsFromAlertmanager",
            "level=P1",
            "instance=db-9",
            "--annotation=summary=Alertmanager over TLS",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let e = wait_until("the alert arrives over HTTPS", 60, || {
        find(&events(&sb, &url), "Alertmanager over TLS").cloned()
    });
    assert_eq!(e["level"], "P1", "{e}");
    assert_eq!(e["source"], "alertmanager", "{e}");
}

fn start_fails(sb: &Sandbox, url: &str, env: &[(&str, String)]) -> String {
    let mut c = sb.command();
    c.args([
        "--database-url",
        url,
        "--listen",
        &format!("127.0.0.1:{}", free_port()),
        "serve",
    ]);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(3), "a configuration error: {err}");
    err
}

#[test]
fn a_bad_certificate_or_key_is_a_configuration_error_naming_the_setting() {
    let sb = Sandbox::new();
    let url = db(&sb);
    let good = make_certs(sb.dir.path(), "good");
    let other = make_certs(sb.dir.path(), "other");
    let cert = (
        "NIGHTWATCH_ENGINE_TLS_CERT_FILE",
        good.cert.display().to_string(),
    );
    let key = (
        "NIGHTWATCH_ENGINE_TLS_KEY_FILE",
        good.key.display().to_string(),
    );

    // Missing file.
    let missing = sb.dir.path().join("nope.crt").display().to_string();
    let err = start_fails(
        &sb,
        &url,
        &[("NIGHTWATCH_ENGINE_TLS_CERT_FILE", missing), key.clone()],
    );
    assert!(
        err.contains("engine.tls_cert_file") && err.contains("cannot read"),
        "{err}"
    );
    // Not a certificate.
    let garbage = sb.dir.path().join("garbage.crt");
    std::fs::write(&garbage, "this is not a certificate\n").unwrap();
    let err = start_fails(
        &sb,
        &url,
        &[
            (
                "NIGHTWATCH_ENGINE_TLS_CERT_FILE",
                garbage.display().to_string(),
            ),
            key.clone(),
        ],
    );
    assert!(
        err.contains("engine.tls_cert_file") && err.contains("BEGIN CERTIFICATE"),
        "{err}"
    );
    // A key that is not the certificate's.
    let err = start_fails(
        &sb,
        &url,
        &[
            cert.clone(),
            (
                "NIGHTWATCH_ENGINE_TLS_KEY_FILE",
                other.key.display().to_string(),
            ),
        ],
    );
    assert!(
        err.contains("engine.tls_key_file") && err.contains("does not go with"),
        "{err}"
    );
    // The certificate given as its own key.
    let err = start_fails(
        &sb,
        &url,
        &[
            cert.clone(),
            (
                "NIGHTWATCH_ENGINE_TLS_KEY_FILE",
                good.cert.display().to_string(),
            ),
        ],
    );
    assert!(
        err.contains("engine.tls_key_file") && err.contains("private key"),
        "{err}"
    );
    // A certificate without a key.
    let err = start_fails(&sb, &url, &[cert]);
    assert!(
        err.contains("engine.tls_key_file") && err.contains("NIGHTWATCH_ENGINE_TLS_KEY_FILE"),
        "{err}"
    );
}

/// With TLS a non-loopback address starts without `--insecure-listen` (in a network namespace of
/// its own, so 0.0.0.0 reaches nothing else), and `/healthz` says TLS.
#[test]
fn a_non_loopback_listener_with_tls_needs_no_insecure_flag() {
    if !require_program("/usr/bin/unshare", "util-linux") {
        return;
    }
    let sb = Sandbox::new();
    let url = db(&sb);
    let certs = make_certs(sb.dir.path(), "pki");
    let bin = env!("CARGO_BIN_EXE_nightwatch");
    let script = format!(
        "ip link set lo up; {bin} --database-url \"$NW_URL\" --listen 0.0.0.0:9797 serve 2>\"$NW_LOG\" & pid=$!; \
         for i in $(seq 1 100); do out=$(curl -s --max-time 1 --cacert \"$NW_CA\" https://127.0.0.1:9797/healthz) && break; sleep 0.2; done; \
         kill $pid; wait $pid; echo \"$out\""
    );
    let log = sb.dir.path().join("serve.log");
    let out = std::process::Command::new("unshare")
        .args(["--net", "--", "sh", "-c", &script])
        .env("NW_URL", &url)
        .env("NW_CA", &certs.ca)
        .env("NW_LOG", &log)
        .env("NIGHTWATCH_ENGINE_TLS_CERT_FILE", &certs.cert)
        .env("NIGHTWATCH_ENGINE_TLS_KEY_FILE", &certs.key)
        .env("XDG_DATA_HOME", sb.dir.path().join("data"))
        .env("XDG_CONFIG_HOME", sb.dir.path().join("config"))
        .env("XDG_STATE_HOME", sb.dir.path().join("state"))
        .env("HOME", sb.dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        text.contains("\"tls\":true") && text.contains("\"insecure_listen\":false"),
        "{text}{}\n{log}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(log.contains("engine listening on https://"), "{log}");
}

/// A client that opens a TLS connection and never finishes its handshake is dropped after the
/// header timeout (not the 30 s idle timeout), while `/healthz` over HTTPS answers at once.
#[test]
fn a_stalled_tls_handshake_is_cut_after_the_header_timeout() {
    let sb = Sandbox::new();
    let certs = make_certs(sb.dir.path(), "pki");
    let url = db(&sb);
    let env = tls_env(&certs);
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.push(("NIGHTWATCH_ENGINE_HEADER_TIMEOUT_SECS", "2"));
    let (_engine, port) = serve(&sb, &url, &env);
    let started = std::time::Instant::now();
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    // The first bytes of a TLS record header (a handshake record), then nothing.
    s.write_all(&[0x16, 0x03, 0x01]).unwrap();
    let ca = certs.ca.display().to_string();
    let (ok, body) = curl(&[
        "--cacert",
        &ca,
        &format!("https://127.0.0.1:{port}/healthz"),
    ]);
    assert!(
        ok && body.contains("\"tls\":true"),
        "healthz meanwhile: {body}"
    );
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut buf = [0u8; 64];
    let _ = s.read(&mut buf);
    let cut = started.elapsed();
    eprintln!("stalled TLS handshake cut after {cut:?}");
    assert!(
        cut >= Duration::from_millis(1_800) && cut < Duration::from_millis(4_500),
        "cut after the 2 s header timeout: {cut:?}"
    );
}
