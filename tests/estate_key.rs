//! One key for an estate: two data directories (two hosts) on one database. The second host's
//! engine refuses to start, and its `config set` refuses to write, with a message saying how to
//! bring the key, and no key is made there; with the exported key it starts and writes, and every
//! secret opens on both hosts. `key rotate` re-seals every secret; a host with the old key is
//! refused until it imports the new one. On SQLite, MariaDB and PostgreSQL.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use common::{Backend, Sandbox, TestDb, serve};

const RMS: &str = r#"{"hostEffective": true, "hostName": "rms.example", "rmsKernelOutsideTenantId": "paas_outsidetenant_id", "token": "first-secret-token", "version": "v3"}"#;
const RMS2: &str = r#"{"hostEffective": true, "hostName": "rms.example", "rmsKernelOutsideTenantId": "paas_outsidetenant_id", "token": "second-secret-token", "version": "v4"}"#;

fn key_file(sb: &Sandbox) -> std::path::PathBuf {
    sb.dir.path().join("data/nightwatch/secret.key")
}

/// `serve` that is expected to refuse: (exit code, stderr).
fn refused_serve(sb: &Sandbox, url: &str) -> (i32, String) {
    let out = sb
        .command()
        .args(["--database-url", url, "--listen", "127.0.0.1:0", "serve"])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn says_how_to_bring_the_key(text: &str) {
    for hint in [
        "nightwatch key export",
        "nightwatch key import",
        "NIGHTWATCH_SECRET_KEY",
        "secrets.key_file",
    ] {
        assert!(text.contains(hint), "the message names {hint}: {text}");
    }
}

fn reveal_token(sb: &Sandbox, url: &str) -> String {
    let v = common::json_of(
        sb,
        &[
            "--database-url",
            url,
            "config",
            "get",
            "RMS_CONFIG",
            "--reveal",
            "-o",
            "json",
        ],
    );
    let value = v.get("value").unwrap_or(&v);
    value["token"].as_str().unwrap().to_owned()
}

async fn two_hosts(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let url = db.url.clone();
    let a = Sandbox::new();
    let b = Sandbox::new();
    // Host A starts first: its key becomes the estate's key.
    let (engine_a, _) = serve(&a, &url, &[]);
    drop(engine_a);
    let (ok, out) = a.run(&[
        "--database-url",
        &url,
        "config",
        "set",
        "--reason",
        "t",
        "RMS_CONFIG",
        RMS,
    ]);
    assert!(ok, "{out}");

    // Host B, its own data directory, no key: refused, nothing written, no key made.
    let (code, err) = refused_serve(&b, &url);
    assert_ne!(code, 0, "{err}");
    says_how_to_bring_the_key(&err);
    let (ok, out) = b.run(&[
        "--database-url",
        &url,
        "config",
        "set",
        "--reason",
        "t",
        "RMS_CONFIG",
        RMS2,
    ]);
    assert!(!ok, "a host without the key cannot write: {out}");
    says_how_to_bring_the_key(&out);
    assert!(!key_file(&b).exists(), "no second key is ever made");
    assert_eq!(
        reveal_token(&a, &url),
        "first-secret-token",
        "nothing changed"
    );

    // A wrong key is refused too, by start and by import.
    let wrong = "00".repeat(32);
    let out = b
        .command()
        .env("NIGHTWATCH_SECRET_KEY", &wrong)
        .args([
            "--database-url",
            &url,
            "config",
            "set",
            "--reason",
            "t",
            "RMS_CONFIG",
            RMS2,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    says_how_to_bring_the_key(&String::from_utf8_lossy(&out.stderr));
    let wrong_file = b.dir.path().join("wrong.txt");
    std::fs::write(&wrong_file, &wrong).unwrap();
    let (ok, out) = b.run(&[
        "--database-url",
        &url,
        "key",
        "import",
        wrong_file.to_str().unwrap(),
    ]);
    assert!(!ok && out.contains("not this database's key"), "{out}");

    // Bring the key: export on A, import on B. B starts and writes; A reads what B sealed.
    let exported = a
        .command()
        .args(["--database-url", &url, "key", "export"])
        .output()
        .unwrap();
    assert!(exported.status.success());
    let key_txt = b.dir.path().join("key.txt");
    std::fs::write(&key_txt, &exported.stdout).unwrap();
    let (ok, out) = b.run(&[
        "--database-url",
        &url,
        "key",
        "import",
        key_txt.to_str().unwrap(),
    ]);
    assert!(ok, "{out}");
    let (engine_b, _) = serve(&b, &url, &[]);
    drop(engine_b);
    let (ok, out) = b.run(&[
        "--database-url",
        &url,
        "config",
        "set",
        "--reason",
        "t",
        "RMS_CONFIG",
        RMS2,
    ]);
    assert!(ok, "{out}");
    assert_eq!(
        reveal_token(&a, &url),
        "second-secret-token",
        "one key: A opens B's secret"
    );

    // Rotation on A: every secret re-sealed; B (old key) is refused until it imports the new one.
    let (ok, out) = a.run(&[
        "--database-url",
        &url,
        "key",
        "rotate",
        "--reason",
        "yearly",
    ]);
    assert!(ok, "{out}");
    assert!(out.contains("re-sealed"), "{out}");
    assert_eq!(reveal_token(&a, &url), "second-secret-token");
    let (ok, out) = a.run(&[
        "--database-url",
        &url,
        "config",
        "rollback",
        "RMS_CONFIG",
        "2",
        "--reason",
        "t",
    ]);
    assert!(ok, "history was re-sealed too: {out}");
    assert_eq!(reveal_token(&a, &url), "first-secret-token");
    let (code, err) = refused_serve(&b, &url);
    assert_ne!(code, 0, "{err}");
    says_how_to_bring_the_key(&err);
    let exported = a
        .command()
        .args(["--database-url", &url, "key", "export"])
        .output()
        .unwrap();
    std::fs::write(&key_txt, &exported.stdout).unwrap();
    let (ok, out) = b.run(&[
        "--database-url",
        &url,
        "key",
        "import",
        "--force",
        key_txt.to_str().unwrap(),
    ]);
    assert!(ok, "{out}");
    assert_eq!(reveal_token(&b, &url), "first-secret-token");
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hosts_one_key_sqlite() {
    two_hosts(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hosts_one_key_mariadb() {
    two_hosts(Backend::MySql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hosts_one_key_postgres() {
    two_hosts(Backend::Postgres).await;
}
