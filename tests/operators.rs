//! Who acts is the real OS account, never an environment variable: two real Unix accounts (the
//! second one created for the test) for the two-person rule of G3 runs
//! (`PLAN_G3_SECOND_APPROVER`); the same account is refused as its own second operator whatever
//! `USER`, `LOGNAME` or `SUDO_USER` claim; the audit log names the account and the SSH client
//! address. On the embedded SQLite (shared by both accounts), MariaDB and PostgreSQL.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use common::accounts::{Account, share_sqlite};
use common::{Backend, Sandbox, TestDb};
use serde_json::Value;

fn text(o: &std::process::Output) -> (bool, String) {
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

#[test]
fn the_second_approver_is_another_account_on_sqlite() {
    two_person_rule(Backend::Sqlite);
}

#[test]
fn the_second_approver_is_another_account_on_mariadb() {
    two_person_rule(Backend::MySql);
}

#[test]
fn the_second_approver_is_another_account_on_postgres() {
    two_person_rule(Backend::Postgres);
}

/// The two-person rule on `backend`, whatever `USER` says.
fn two_person_rule(backend: Backend) {
    let Some(bob) = Account::create() else {
        return;
    };
    let sb = Sandbox::new();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = if backend == Backend::Sqlite {
        None
    } else {
        let Some(db) = rt.block_on(TestDb::create(backend)) else {
            return;
        };
        Some(db)
    };
    let url = db.as_ref().map_or_else(
        || format!("sqlite://{}/nw.db?mode=rwc", sb.dir.path().display()),
        |d| d.url.clone(),
    );
    if let Some(d) = &db {
        rt.block_on(async {
            let store = d.store().await;
            store.migrate().await.unwrap();
            store.close().await;
        });
    }
    let me = String::from_utf8(
        std::process::Command::new("id")
            .arg("-un")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_owned();
    // This process's account, claiming to be bob.
    let as_me = |args: &[&str]| {
        let o = sb
            .command()
            .env("USER", &bob.name)
            .env("LOGNAME", &bob.name)
            .env("SUDO_USER", &bob.name)
            .env_remove("SSH_CONNECTION")
            .args(["--database-url", url.as_str()])
            .args(args)
            .output()
            .unwrap();
        let r = text(&o);
        share_sqlite(sb.dir.path());
        r
    };
    // bob's account, claiming to be this one, from an SSH session.
    let as_bob = |args: &[&str]| {
        let o = bob
            .nightwatch(&me)
            .env("SSH_CONNECTION", "203.0.113.9 50022 10.0.0.1 22")
            .args(["--database-url", url.as_str()])
            .args(args)
            .output()
            .unwrap();
        text(&o)
    };
    let plan = sb.dir.path().join("g3.toml");
    std::fs::write(
        &plan,
        "[[plan]]\nname = \"wipe-cache\"\n\n[[plan.step]]\nid = \"wipe\"\ndanger = \"G3\"\n\
         op = { kind = \"command\", script = \"true\" }\n",
    )
    .unwrap();
    let (ok, out) = as_me(&["apply", plan.to_str().unwrap()]);
    assert!(ok, "{out}");
    let (ok, out) = as_me(&[
        "config",
        "set",
        "PLAN_G3_SECOND_APPROVER",
        "true",
        "--reason",
        "four eyes",
    ]);
    assert!(ok, "{out}");
    let launch = [
        "plan",
        "run",
        "wipe-cache",
        "--reason",
        "CR-7",
        "--confirm",
        "wipe-cache",
        "--no-wait",
    ];
    let (ok, out) = as_me(&launch);
    assert!(ok && out.contains("awaiting a second operator"), "{out}");
    let (ok, out) = as_bob(&launch);
    assert!(ok && out.contains("awaiting a second operator"), "{out}");
    let runs = |who: &dyn Fn(&[&str]) -> (bool, String)| -> Vec<Value> {
        let (ok, out) = who(&["plan", "runs", "-o", "json"]);
        assert!(ok, "{out}");
        serde_json::from_str(&out).unwrap()
    };
    let listed = runs(&as_me);
    let by = |id: i64| -> Value { listed.iter().find(|r| r["id"] == id).cloned().unwrap() };
    assert!(
        by(1)["requested_by"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{me}@")),
        "USER was not believed: {}",
        by(1)
    );
    assert!(
        by(2)["requested_by"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}@", bob.name)),
        "{}",
        by(2)
    );

    // The same account twice, whatever it claims: refused, nothing changes.
    let (ok, out) = as_me(&["plan", "approve", "1", "--reason", "me again"]);
    assert!(
        !ok && out.contains("a second operator must approve"),
        "{out}"
    );
    let (ok, out) = as_bob(&["plan", "approve", "2", "--reason", "me again"]);
    assert!(
        !ok && out.contains("a second operator must approve"),
        "{out}"
    );
    assert!(
        runs(&as_me)
            .iter()
            .all(|r| r["status"] == "awaiting_approval")
    );

    // Two different accounts: each approves the other's run.
    let (ok, out) = as_bob(&["plan", "approve", "1", "--reason", "checked CR-7"]);
    assert!(ok, "{out}");
    let (ok, out) = as_me(&["plan", "approve", "2", "--reason", "checked CR-7"]);
    assert!(ok, "{out}");
    let after = runs(&as_me);
    let approved = |id: i64| {
        let r = after.iter().find(|r| r["id"] == id).unwrap();
        assert_eq!(r["status"], "queued", "{r}");
        r["approved_by"].as_str().unwrap().to_owned()
    };
    assert!(approved(1).starts_with(&format!("{}@", bob.name)));
    assert!(approved(2).starts_with(&format!("{me}@")));

    // The audit log: the account, and the SSH client address it came from.
    let audit = rt.block_on(async {
        let store = nightwatch::store::Store::connect(&url, &Default::default())
            .await
            .unwrap();
        store.list_audit(50).await.unwrap()
    });
    let entry = audit
        .iter()
        .find(|e| e.action == "plan.approve" && e.actor.starts_with(&format!("{}@", bob.name)))
        .expect("bob's approval is audited");
    assert_eq!(entry.client, "203.0.113.9");
    assert!(
        audit
            .iter()
            .all(|e| !e.actor.starts_with(&format!("{}@", bob.name)) || e.client == "203.0.113.9")
    );
    assert!(
        audit
            .iter()
            .filter(|e| e.actor.starts_with(&format!("{me}@")))
            .all(|e| e.client.is_empty())
    );
    if let Some(d) = db {
        rt.block_on(d.cleanup());
    }
}
