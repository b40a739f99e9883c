//! The sql probe against SQLite, MariaDB and PostgreSQL (a fresh database per test, see
//! `common::TestDb`): values, row counts, read-only sessions, and clear errors with the password
//! masked.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Backend, TestDb};
use nightwatch::probes::{self, ProbeError, ProbeSpec, SqlSpec, Target};
use serde_json::json;
use sqlx::Connection as _;

const T: Duration = Duration::from_secs(10);

fn sql(query: &str) -> ProbeSpec {
    ProbeSpec::Sql(SqlSpec {
        dsn: None,
        query: query.into(),
        args: Vec::new(),
    })
}

/// The git storage `node` table of DOMAIN.md §3, created with the test's own connection.
async fn fixture(url: &str) {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    for stmt in [
        "CREATE TABLE node (id INTEGER PRIMARY KEY, pod_id INTEGER, node_type INTEGER, status INTEGER, host VARCHAR(64), weight REAL)",
        "INSERT INTO node VALUES (1, 1, 0, 1, 'git-a', 1.5), (2, 1, 1, 1, 'git-b', 2.5), (3, 1, 2, 0, 'git-c', 0.5)",
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(stmt))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    conn.close().await.unwrap();
}

async fn on(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    fixture(&db.url).await;
    let t = Target {
        name: "git-db".into(),
        endpoints: json!({"dsn": db.url}),
        labels: json!({}),
    };

    let out = probes::run(&sql("SELECT 1"), &t, T).await.unwrap();
    assert_eq!(
        (out.values["VALUE"].clone(), out.values["ROWS"].clone()),
        (json!(1), json!(1))
    );

    let q = "SELECT COUNT(*) FROM node WHERE node_type = 0 AND status = 1";
    assert_eq!(
        probes::run(&sql(q), &t, T).await.unwrap().values["VALUE"],
        1
    );

    let q = "SELECT host, node_type, weight FROM node ORDER BY id";
    let out = probes::run(&sql(q), &t, T).await.unwrap();
    assert_eq!(out.values["VALUE"], "git-a");
    assert_eq!(out.values["ROWS"], 3);
    assert_eq!(
        out.values["ROW"],
        json!({"host": "git-a", "node_type": 0, "weight": 1.5})
    );
    assert!(
        out.output
            .starts_with("host\tnode_type\tweight\ngit-a\t0\t1.5\n"),
        "{}",
        out.output
    );

    let out = probes::run(&sql("SELECT id FROM node WHERE id > 99"), &t, T)
        .await
        .unwrap();
    assert_eq!(out.values["ROWS"], 0);
    assert!(!out.values.contains_key("VALUE"), "no rows, no VALUE");

    // The session is read-only: a probe cannot write, whatever its text.
    let err = probes::run(&sql("DELETE FROM node"), &t, T)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.to_lowercase().contains("read"), "{backend:?}: {err}");
    let out = probes::run(&sql("SELECT COUNT(*) FROM node"), &t, T)
        .await
        .unwrap();
    assert_eq!(out.values["VALUE"], 3, "nothing was deleted");

    let err = probes::run(&sql("SELECT no_such_column FROM node"), &t, T)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProbeError::Failed(ref m) if m.contains("no_such_column")),
        "{err}"
    );
    db.cleanup().await;
}

#[tokio::test]
async fn sqlite_target() {
    on(Backend::Sqlite).await;
}

#[tokio::test]
async fn mariadb_target() {
    on(Backend::MySql).await;
}

#[tokio::test]
async fn postgres_target() {
    on(Backend::Postgres).await;
}

/// Refused credentials: a Failed error that names the URL with the password masked. `user`
/// replaces the user name when given: the test PostgreSQL trusts local connections (pg_hba
/// `trust`, as `.ci/run` sets it up), so there a wrong password alone would be let in, while an
/// unknown role is refused.
async fn refused_credentials(backend: Backend, user: Option<&str>) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let mut url = url::Url::parse(&db.url).unwrap();
    url.set_password(Some("not-the-password")).unwrap();
    if let Some(user) = user {
        url.set_username(user).unwrap();
    }
    let spec = ProbeSpec::Sql(SqlSpec {
        dsn: Some(url.to_string()),
        query: "SELECT 1".into(),
        args: Vec::new(),
    });
    let err = probes::run(&spec, &Target::local(), T).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ProbeError::Failed(_)), "{err:?}");
    assert!(!text.contains("not-the-password"), "{text}");
    assert!(
        text.contains(&nightwatch::store::mask_url(url.as_str())),
        "{text}"
    );
    assert!(text.contains(":***@"), "{text}");
    db.cleanup().await;
}

#[tokio::test]
async fn mariadb_wrong_password() {
    refused_credentials(Backend::MySql, None).await;
}

#[tokio::test]
async fn postgres_refused_credentials() {
    refused_credentials(Backend::Postgres, Some("nw_no_such_role")).await;
}

#[tokio::test]
async fn missing_dsn_and_unknown_scheme() {
    let err = probes::run(&sql("SELECT 1"), &Target::local(), T)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProbeError::Config(ref m) if m.contains("`dsn`")),
        "{err}"
    );
    let spec = ProbeSpec::Sql(SqlSpec {
        dsn: Some("oracle://u:pw@h/db".into()),
        query: "SELECT 1".into(),
        args: Vec::new(),
    });
    let err = probes::run(&spec, &Target::local(), T)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unknown scheme") && !err.contains(":pw@"),
        "{err}"
    );
}
