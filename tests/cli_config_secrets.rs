//! `nightwatch config …` and secrets, from outside, on the embedded SQLite: a key of one's own
//! seals the fields the secret rule names, the password inside a URL and the paths it declares
//! (stored, shown, exported, edited); `config edit` works in a private temp file and never
//! follows a file planted at the old predictable path.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use std::process::Output;

use common::Sandbox;

fn run(sb: &Sandbox, args: &[&str]) -> Output {
    sb.command().args(args).output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn a_key_of_ones_own_seals_secret_fields_url_passwords_and_declared_paths() {
    let sb = Sandbox::new();
    // Field names of the secret rule, a password inside a URL, and a path declared secret.
    let value = r#"{"passwd": "pw-passwd-1", "api_key": "pw-apikey-2", "private_key": "pw-pkey-3",
        "credentials": "pw-cred-4", "auth": "pw-auth-5", "sk": "pw-sk-6",
        "dsn": "mysql://app:pw-dsn-7@db.internal:3306/shop", "pin": {"code": "pw-pin-8"},
        "host": "db.internal", "author": "ops team"}"#;
    let secrets = [
        "pw-passwd-1",
        "pw-apikey-2",
        "pw-pkey-3",
        "pw-cred-4",
        "pw-auth-5",
        "pw-sk-6",
        "pw-dsn-7",
        "pw-pin-8",
    ];
    let o = run(
        &sb,
        &[
            "config",
            "set",
            "--new",
            "MY_SHOP",
            value,
            "--secret-path",
            "/pin/code",
            "--reason",
            "shop db",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let export = sb.dir.path().join("export.json");
    let shown = [
        run(&sb, &["config", "get", "MY_SHOP", "-o", "json"]),
        run(&sb, &["config", "history", "MY_SHOP", "-o", "json"]),
        run(&sb, &["config", "export", "-f", export.to_str().unwrap()]),
    ];
    let db = std::fs::read(sb.dir.path().join("data/nightwatch/nightwatch.db")).unwrap();
    let stored = String::from_utf8_lossy(&db);
    for s in secrets {
        for o in &shown {
            assert!(!text(o).contains(s), "{s} shown: {}", text(o));
        }
        assert!(!stored.contains(s), "{s} stored in clear");
    }
    let got: serde_json::Value = serde_json::from_slice(&shown[0].stdout).unwrap();
    let v = &got["value"];
    assert_eq!(v["dsn"], "mysql://app:******@db.internal:3306/shop", "{v}");
    assert_eq!(v["pin"]["code"], "******");
    assert_eq!(
        (v["host"].as_str(), v["author"].as_str()),
        (Some("db.internal"), Some("ops team"))
    );
    assert_eq!(v["$secrets"], serde_json::json!(["/pin/code"]));
    let revealed = text(&run(
        &sb,
        &["config", "get", "MY_SHOP", "--reveal", "-o", "json"],
    ));
    for s in secrets {
        assert!(revealed.contains(s), "{s} not revealed: {revealed}");
    }
    // Editing the masked form keeps every secret, the one inside the URL included.
    let edited = serde_json::to_string(&{
        let mut e = v.clone();
        e["host"] = serde_json::json!("db2.internal");
        e
    })
    .unwrap();
    let o = run(
        &sb,
        &["config", "set", "MY_SHOP", &edited, "--reason", "move"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let revealed = text(&run(
        &sb,
        &["config", "get", "MY_SHOP", "--reveal", "-o", "json"],
    ));
    assert!(
        revealed.contains("mysql://app:pw-dsn-7@db.internal:3306/shop")
            && revealed.contains("db2.internal"),
        "{revealed}"
    );
    // A bad declaration is refused with what to write instead; a documented key cannot declare.
    let o = run(
        &sb,
        &[
            "config",
            "set",
            "--new",
            "MY_BAD",
            "{\"a\": 1}",
            "--secret-path",
            "a",
            "--reason",
            "r",
        ],
    );
    assert!(
        !o.status.success()
            && text(&o).contains("$secrets[0]")
            && text(&o).contains("JSON pointer"),
        "{}",
        text(&o)
    );
    let o = run(
        &sb,
        &[
            "config",
            "set",
            "WEB_POSTFIX",
            "x",
            "--secret-path",
            "/a",
            "--reason",
            "r",
        ],
    );
    assert!(
        !o.status.success() && text(&o).contains("documented key"),
        "{}",
        text(&o)
    );
}

#[test]
fn edit_never_follows_a_file_planted_at_a_predictable_path() {
    let sb = Sandbox::new();
    // Another user plants symlinks at every name the old predictable scheme
    // (`$TMPDIR/nightwatch-KEY-PID.json`) could use for the next few thousand processes, all
    // pointing at a file of the victim's.
    let victim = sb.dir.path().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    let next = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .unwrap_or(1);
    for pid in next..next + 4000 {
        let planted = sb
            .dir
            .path()
            .join(format!("nightwatch-WEB_PROTOCOL-{pid}.json"));
        std::os::unix::fs::symlink(&victim, planted).unwrap();
    }
    // The "editor" reports what it was given, then makes an edit.
    let editor = sb.dir.path().join("editor.sh");
    let report = sb.dir.path().join("report");
    std::fs::write(
        &editor,
        format!(
            "#!/bin/sh\n{{ test -L \"$1\" && echo symlink; stat -c '%a %h' \"$1\"; echo \"$1\"; \
             cut -d' ' -f4 /proc/$PPID/stat; }} > '{}'\n\
             printf '\"HTTPS\"\\n' > \"$1\"\n",
            report.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let o = sb
        .command()
        .args(["config", "edit", "WEB_PROTOCOL", "--reason", "tls"])
        .env("EDITOR", &editor)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    let seen = std::fs::read_to_string(&report).unwrap();
    let mut lines = seen.lines();
    assert_eq!(
        lines.next(),
        Some("600 1"),
        "a private regular file: {seen}"
    );
    let path = lines.next().unwrap();
    assert!(
        path.contains("nightwatch-WEB_PROTOCOL-") && path.ends_with(".json"),
        "{seen}"
    );
    assert!(
        !std::path::Path::new(path).exists(),
        "removed after the save"
    );
    let v: serde_json::Value =
        serde_json::from_slice(&run(&sb, &["config", "get", "WEB_PROTOCOL", "-o", "json"]).stdout)
            .unwrap();
    assert_eq!(v["value"], "HTTPS");
}
