//! The event reads on a big store use an index, per backend: the plan each database gives for the
//! very queries the store runs (`Store::explain_event_read`), after bulk-loading a year of events
//! (1,000,000 rows on MariaDB and PostgreSQL, 100,000 on SQLite; `EXPLAIN_ROWS` overrides). The
//! assertions name the index each read must use and refuse a full scan: plans, not timings.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use common::{Backend, TestDb};
use nightwatch::domain::event::{EventQuery, KeyValue, Keyset};
use nightwatch::store::{EventRead, Store};
use sqlx::Connection as _;

#[path = "common/bulk.rs"]
mod bulk;

const NOW: i64 = 1_800_000_000_000;

async fn load(db: &TestDb, store: &Store, rows: u64) {
    // SQLite's statistics come from the engine's own refresh (hourly, `PRAGMA optimize`); the
    // servers keep theirs, which a fresh bulk load has not caught up with yet.
    let (name, analyze) = match db.backend {
        Backend::Sqlite => ("sqlite", None),
        Backend::MySql => ("mysql", Some("ANALYZE TABLE risk_events")),
        Backend::Postgres => ("postgres", Some("ANALYZE risk_events")),
    };
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    let t = std::time::Instant::now();
    let sql = bulk::bulk_events_sql(name, rows, NOW);
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .unwrap();
    match analyze {
        Some(analyze) => {
            sqlx::raw_sql(sqlx::AssertSqlSafe(analyze.to_owned()))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        None => {
            store.refresh_planner_stats().await.unwrap();
            let (indexes,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'risk_events' AND idx IS NOT NULL",
            )
            .fetch_one(&mut conn)
            .await
            .unwrap();
            assert!(
                indexes >= 8,
                "the refresh gave the planner statistics for every index of risk_events: {indexes}"
            );
        }
    }
    conn.close().await.unwrap();
    store.recount_events().await.unwrap();
    eprintln!("{name}: {rows} events loaded in {:.1?}", t.elapsed());
}

/// The plan uses `index` (one of them) and scans no table whole.
fn assert_indexed(backend: Backend, what: &str, plan: &str, indexes: &[&str]) {
    eprintln!("{backend:?} {what}:\n{plan}\n");
    assert!(
        indexes.iter().any(|i| plan.contains(i)),
        "{what}: expected one of {indexes:?} in the plan:\n{plan}"
    );
    let full_scan = match backend {
        Backend::Postgres => plan.contains("Seq Scan on risk_events"),
        Backend::MySql => plan
            .lines()
            .any(|l| l.contains("table=risk_events") && l.contains("type=ALL")),
        // `SCAN risk_events_text VIRTUAL TABLE …` is the FTS5 index itself.
        Backend::Sqlite => plan.lines().any(|l| {
            (l.ends_with("SCAN risk_events") || l.contains("SCAN risk_events "))
                && !l.contains("USING")
        }),
    };
    assert!(!full_scan, "{what}: a full scan in the plan:\n{plan}");
}

async fn plans(store: Store, db: TestDb) -> TestDb {
    let rows: u64 = std::env::var("EXPLAIN_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if db.backend == Backend::Sqlite {
            100_000
        } else {
            1_000_000
        });
    load(&db, &store, rows).await;
    let b = db.backend;
    let page = |text: &str| EventQuery {
        limit: 83,
        ..EventQuery::parse(text, "").unwrap()
    };
    let explain = |read: EventRead| {
        let store = store.clone();
        async move { store.explain_event_read(&read).await.unwrap() }
    };
    let last_seen = ["risk_events_last_seen", "risk_events_status_last_seen"];

    let plan = explain(EventRead::Page(Box::new(page("")))).await;
    assert_indexed(b, "the default first page", &plan, &last_seen);
    // A page 90% deep, by keyset from the row before it.
    let deep = (rows as i64) * 9 / 10;
    let mut q = page("");
    q.after = Some(Keyset {
        value: KeyValue::Int(NOW - deep * 30_000),
        id: deep,
    });
    let plan = explain(EventRead::Page(Box::new(q))).await;
    assert_indexed(b, "a deep keyset page", &plan, &last_seen);
    // Most events are open: walking last_seen and filtering is as good as the status index.
    let plan = explain(EventRead::Page(Box::new(page("status:open")))).await;
    assert_indexed(b, "status:open", &plan, &last_seen);
    let plan = explain(EventRead::Page(Box::new(page("status:acked")))).await;
    assert_indexed(b, "status:acked", &plan, &last_seen);
    let plan = explain(EventRead::Page(Box::new(page("sort:-count")))).await;
    assert_indexed(b, "sort:-count", &plan, &["risk_events_count"]);
    let plan = explain(EventRead::Page(Box::new(page("ds:STACK#redis")))).await;
    assert_indexed(
        b,
        "ds:",
        &plan,
        &["risk_events_ds_type", "risk_events_last_seen"],
    );
    let plan = explain(EventRead::Page(Box::new(page("component:db-7")))).await;
    assert_indexed(b, "component:", &plan, &["risk_events_component"]);
    let plan = explain(EventRead::Page(Box::new(page("sort:title")))).await;
    assert_indexed(b, "sort:title", &plan, &["risk_events_title"]);
    // The filtered columns ride in the sort's index (0017): no level index, and the first titles
    // hold no P0 at all, so the walk tests 166,000 entries at 1M before the first match.
    let plan = explain(EventRead::Page(Box::new(page("level:P0 sort:title")))).await;
    assert_indexed(b, "level:P0 sort:title", &plan, &["risk_events_title"]);
    // The planner would read a data source's 250,000 matches through its index and sort them.
    let plan = explain(EventRead::Page(Box::new(page(
        "ds:STACK#redis level:P2 sort:title",
    ))))
    .await;
    assert_indexed(b, "ds: level: sort:title", &plan, &["risk_events_title"]);
    let plan = explain(EventRead::Page(Box::new(page(
        "status:suppressed sort:-count",
    ))))
    .await;
    assert_indexed(
        b,
        "status:suppressed sort:-count",
        &plan,
        &["risk_events_count", "risk_events_status_last_seen"],
    );
    // A word in one title of six: on SQLite the page walks last_seen and tests each row (reading
    // 160,000 matches from the text index to sort them was the slowest filter at 1M).
    let plan = explain(EventRead::Page(Box::new(page("disk")))).await;
    let dense: &[&str] = if b == Backend::Sqlite {
        &["risk_events_last_seen"]
    } else {
        &["risk_events_text", "risk_events_last_seen"]
    };
    assert_indexed(b, "a common word", &plan, dense);
    let plan = explain(EventRead::Page(Box::new(page("nomatchxyz")))).await;
    assert_indexed(b, "free text", &plan, &["risk_events_text"]);
    let plan = explain(EventRead::Page(Box::new(page("replication 123456")))).await;
    assert_indexed(
        b,
        "two words",
        &plan,
        &["risk_events_text", "risk_events_last_seen"],
    );
    let plan = explain(EventRead::PerHour { now: NOW }).await;
    assert_indexed(b, "per-hour statistics", &plan, &["risk_events_first_seen"]);
    // A cutoff 300 days back: the oldest seventh of the closed events qualify.
    let plan = explain(EventRead::Retention {
        cutoff: NOW - 300 * 86_400_000,
    })
    .await;
    assert_indexed(b, "retention", &plan, &last_seen);
    db
}

#[tokio::test]
async fn event_reads_use_an_index_on_sqlite() {
    common::run_on(Backend::Sqlite, plans).await;
}

#[tokio::test]
async fn event_reads_use_an_index_on_mariadb_with_a_million_events() {
    common::run_on(Backend::MySql, plans).await;
}

#[tokio::test]
async fn event_reads_use_an_index_on_postgres_with_a_million_events() {
    common::run_on(Backend::Postgres, plans).await;
}
