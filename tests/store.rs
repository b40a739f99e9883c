//! The store suite: every test runs on SQLite, MariaDB and PostgreSQL (see `common`), each in a
//! fresh database.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use common::TestDb;
use nightwatch::domain::{Component, Danger, Instance, Layer};
use nightwatch::store::{NewAudit, Store, StoreError};

fn instance(id: &str, heartbeat_at: i64) -> Instance {
    Instance {
        id: id.to_owned(),
        hostname: format!("host-{id}"),
        ip: "127.0.0.1".to_owned(),
        pid: 42,
        role: "engine".to_owned(),
        version: "0.1.0".to_owned(),
        listen: "127.0.0.1:9797".to_owned(),
        started_at: 1_000,
        heartbeat_at,
    }
}

async fn migrations_are_idempotent_and_versioned(store: Store, db: TestDb) -> TestDb {
    let latest = store.db_info().schema_latest;
    assert!(latest >= 1);
    assert_eq!(store.schema_version().await.unwrap(), Some(latest));
    let again = store.migrate().await.unwrap();
    assert!(
        again.applied.is_empty(),
        "second migrate applies nothing: {again:?}"
    );
    assert_eq!(again.before, Some(latest));
    store.check_schema().await.unwrap();
    db
}

async fn fresh_database_reports_no_schema(_store: Store, db: TestDb) -> TestDb {
    // A second, never-migrated database on the same backend.
    let other = TestDb::create(db.backend).await.unwrap();
    let store = other.store().await;
    assert_eq!(store.schema_version().await.unwrap(), None);
    let err = store.check_schema().await.unwrap_err().to_string();
    assert!(err.contains("nightwatch migrate"), "{err}");
    let report = store.migrate().await.unwrap();
    assert_eq!(report.before, None);
    assert_eq!(report.applied.first().map(|a| a.0), Some(1));
    store.close().await;
    other.cleanup().await;
    db
}

async fn components_round_trip_and_upsert_by_name(store: Store, db: TestDb) -> TestDb {
    let mut c = Component::new("redis-a", "redis", Layer::Database);
    c.zone = "dc1".into();
    c.role = "primary".into();
    c.labels = serde_json::json!({"product": "linke", "note": "主库 'quoted' ?"});
    c.endpoints = serde_json::json!({"addr": "127.0.0.1:6379"});
    store.upsert_component(&c, 10).await.unwrap();
    let got = store.get_component("redis-a").await.unwrap();
    assert_eq!(
        got,
        Component {
            updated_at: 10,
            ..c.clone()
        }
    );

    c.role = "standby".into();
    store.upsert_component(&c, 20).await.unwrap();
    let all = store.list_components().await.unwrap();
    assert_eq!(all.len(), 1, "upsert by name keeps one row");
    assert_eq!(all[0].role, "standby");
    assert_eq!(all[0].updated_at, 20);

    assert!(matches!(
        store.get_component("nope").await,
        Err(StoreError::NotFound(_))
    ));
    assert!(store.delete_component("redis-a").await.unwrap());
    assert!(!store.delete_component("redis-a").await.unwrap());
    db
}

async fn audit_is_append_only_and_ordered(store: Store, db: TestDb) -> TestDb {
    for i in 0..3 {
        let e = NewAudit::new("alice", "component.upsert", &format!("c{i}"), Danger::G2)
            .reason("change 42")
            .after(serde_json::json!({"i": i}));
        store.insert_audit(&e).await.unwrap();
    }
    let list = store.list_audit(2).await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].target, "c2", "newest first");
    assert_eq!(list[0].danger, Danger::G2);
    assert_eq!(list[0].reason, "change 42");
    assert_eq!(list[0].after, r#"{"i":2}"#);
    assert!(list[0].id > list[1].id);
    db
}

async fn heartbeat_updates_one_row_and_stale_instances_can_be_forgotten(
    store: Store,
    db: TestDb,
) -> TestDb {
    store.upsert_instance(&instance("a", 1_000)).await.unwrap();
    store.upsert_instance(&instance("a", 2_000)).await.unwrap();
    store.upsert_instance(&instance("b", 50_000)).await.unwrap();
    let list = store.list_instances().await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].id, "b", "newest heartbeat first");
    assert_eq!(list[1].heartbeat_at, 2_000, "heartbeat refreshed in place");

    assert!(
        !store
            .forget_stale_instance("b", 10_000, "op")
            .await
            .unwrap(),
        "live one refused"
    );
    assert!(
        store
            .forget_stale_instance("a", 10_000, "op")
            .await
            .unwrap()
    );
    assert_eq!(store.list_instances().await.unwrap().len(), 1);
    let audit = store.list_audit(10).await.unwrap();
    assert_eq!(audit.len(), 1, "only the real deletion is audited");
    assert_eq!(
        (audit[0].action.as_str(), audit[0].target.as_str()),
        ("instance.forget", "a")
    );
    db
}

async fn exactly_one_master_and_fencing_terms_grow(store: Store, db: TestDb) -> TestDb {
    let a = instance("a", 0);
    let b = instance("b", 0);
    // Eight contenders at once: exactly one wins.
    let mut tasks = Vec::new();
    for i in 0..8 {
        let s = store.clone();
        let me = instance(&format!("c{i}"), 0);
        tasks.push(tokio::spawn(async move {
            s.acquire_lease("race", &me, 15_000).await
        }));
    }
    let mut winners = 0;
    for t in tasks {
        winners += usize::from(t.await.unwrap().unwrap().is_some());
    }
    assert_eq!(winners, 1, "exactly one winner of a concurrent election");

    let lease = store
        .acquire_lease("master", &a, 15_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((lease.holder.as_str(), lease.term), ("a", 1));
    assert!(
        store
            .acquire_lease("master", &b, 15_000)
            .await
            .unwrap()
            .is_none(),
        "lease held"
    );
    let before = store.db_now_ms().await.unwrap();
    let renewed = store
        .acquire_lease("master", &a, 15_000)
        .await
        .unwrap()
        .unwrap();
    let after = store.db_now_ms().await.unwrap();
    assert_eq!(renewed.term, 1, "renewal keeps the term");
    assert!(
        (before + 15_000..=after + 15_000).contains(&renewed.expires_at),
        "the lease runs 15 s by the database's clock: {before} {} {after}",
        renewed.expires_at
    );
    // A renewal whose time is already past (as a dead master's lease becomes): it changes hands.
    store.acquire_lease("master", &a, -1).await.unwrap();
    let taken = store
        .acquire_lease("master", &b, 15_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (taken.holder.as_str(), taken.term),
        ("b", 2),
        "expired lease changes hands"
    );
    assert_eq!(taken.hostname, "host-b");
    store.release_lease("master", "b").await.unwrap();
    let back = store
        .acquire_lease("master", &a, 15_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (back.holder.as_str(), back.term),
        ("a", 3),
        "released lease is free at once"
    );
    assert_eq!(store.count_leases().await.unwrap(), 2, "one row per role");
    db
}

async fn read_only_store_refuses_every_write(store: Store, db: TestDb) -> TestDb {
    store
        .upsert_component(&Component::new("x", "host", Layer::Physical), 1)
        .await
        .unwrap();
    let ro = db.read_only_store().await;
    assert!(ro.is_read_only());
    assert_eq!(ro.list_components().await.unwrap().len(), 1, "reads work");
    let write = ro
        .upsert_component(&Component::new("y", "host", Layer::Physical), 2)
        .await;
    assert!(write.is_err(), "a read-only session must refuse writes");
    assert!(
        ro.insert_audit(&NewAudit::new("a", "x", "y", Danger::G1))
            .await
            .is_err()
    );
    assert!(matches!(
        ro.migrate().await,
        Err(StoreError::ReadOnly { .. })
    ));
    ro.check_schema().await.unwrap();
    ro.close().await;
    assert_eq!(
        store.list_components().await.unwrap().len(),
        1,
        "nothing was written"
    );
    db
}

async fn overview_counts_what_exists(store: Store, db: TestDb) -> TestDb {
    store
        .upsert_component(&Component::new("h1", "host", Layer::Physical), 5)
        .await
        .unwrap();
    store
        .upsert_component(&Component::new("h2", "host", Layer::Physical), 6)
        .await
        .unwrap();
    store
        .upsert_component(&Component::new("pg", "postgres", Layer::Database), 7)
        .await
        .unwrap();
    store.upsert_instance(&instance("a", 9_000)).await.unwrap();
    store
        .acquire_lease("master", &instance("a", 0), 15_000)
        .await
        .unwrap();
    let o = store.overview().await.unwrap();
    assert_eq!(o.components_total, 3);
    let physical = o
        .components_by_layer
        .iter()
        .find(|(l, _)| l == "physical")
        .unwrap();
    assert_eq!(physical.1, 2);
    assert_eq!(
        o.components_by_layer.len(),
        5,
        "every layer listed, zero or not"
    );
    assert_eq!(o.instances.len(), 1);
    assert_eq!(o.master.as_ref().map(|m| m.holder.as_str()), Some("a"));
    assert_eq!(o.db.schema_version, Some(o.db.schema_latest));
    // The lease runs by the database's clock: its expiry is the newest change here.
    let lease_expiry = o.master.as_ref().map_or(0, |m| m.expires_at);
    assert!(lease_expiry > 15_100);
    assert_eq!(o.stamp, lease_expiry, "stamp is the newest change seen");
    db
}

on_every_backend!(
    migrations_are_idempotent_and_versioned,
    fresh_database_reports_no_schema,
    components_round_trip_and_upsert_by_name,
    audit_is_append_only_and_ordered,
    heartbeat_updates_one_row_and_stale_instances_can_be_forgotten,
    exactly_one_master_and_fencing_terms_grow,
    read_only_store_refuses_every_write,
    overview_counts_what_exists,
);

#[tokio::test]
async fn unreachable_database_is_one_clear_line_with_the_password_masked() {
    let o = nightwatch::store::ConnectOptions {
        connect_timeout: std::time::Duration::from_secs(2),
        ..Default::default()
    };
    for url in [
        "postgres://nw:hunter2@127.0.0.1:1/nw",
        "mysql://nw:hunter2@127.0.0.1:1/nw",
    ] {
        let err = Store::connect(url, &o).await.unwrap_err();
        let text = err.to_string();
        assert!(err.is_transient(), "{text}");
        assert!(
            text.contains("127.0.0.1:1") && text.contains("***"),
            "{text}"
        );
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains('\n'), "one line: {text}");
    }
}
