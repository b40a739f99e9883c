//! The risk-event store on every backend: batched ingest with dedup, resolve, re-open, flapping and
//! suppression; filters, sort and paging; operator actions on the timeline and in the audit log;
//! statistics; the outbox rows a notification channel gets.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use std::collections::BTreeMap;

use common::TestDb;
use nightwatch::domain::event::{EventQuery, Incoming, Level, Status};
use nightwatch::domain::notify::parse_channels;
use nightwatch::store::{EventAction, IngestItem, Store};

fn inc(fp: &str, level: Level, firing: bool) -> IngestItem {
    let labels: BTreeMap<String, String> = [("alertname".to_owned(), fp.to_owned())].into();
    IngestItem {
        incoming: Incoming {
            fingerprint: fp.to_owned(),
            source: "alertmanager".to_owned(),
            ds_type: "STACK#rds".to_owned(),
            level,
            title: format!("title {fp} 'quoted' ? %"),
            summary: "s".to_owned(),
            labels,
            annotations: BTreeMap::new(),
            component: format!("db-{fp}"),
            firing,
            starts_at: 100,
            source_url: String::new(),
        },
        keep: true,
    }
}

fn all() -> EventQuery {
    EventQuery {
        statuses: Status::ALL.to_vec(),
        limit: 1000,
        ..EventQuery::default()
    }
}

async fn dedup_resolve_reopen_flap(store: Store, db: TestDb) -> TestDb {
    // One batch with a repeat of the same fingerprint folds into one event.
    let out = store
        .ingest_batch(
            &[
                inc("a", Level::P1, true),
                inc("b", Level::P0, true),
                inc("a", Level::P1, true),
            ],
            &[],
            1_000,
        )
        .await
        .unwrap();
    assert_eq!((out.created, out.updated), (2, 0));
    let events = store.list_events(&all()).await.unwrap();
    assert_eq!(events.len(), 2);
    let a = events.iter().find(|e| e.fingerprint == "a").unwrap();
    assert_eq!(
        (a.count, a.status, a.title.as_str()),
        (2, Status::Open, "title a 'quoted' ? %")
    );
    // Resolve, re-open, flip until flapping.
    store
        .ingest_batch(&[inc("a", Level::P1, false)], &[], 2_000)
        .await
        .unwrap();
    assert_eq!(
        store.get_event(a.id).await.unwrap().status,
        Status::Resolved
    );
    store
        .ingest_batch(&[inc("a", Level::P1, true)], &[], 3_000)
        .await
        .unwrap();
    store
        .ingest_batch(&[inc("a", Level::P1, false)], &[], 4_000)
        .await
        .unwrap();
    store
        .ingest_batch(&[inc("a", Level::P1, true)], &[], 5_000)
        .await
        .unwrap();
    let a2 = store.get_event(a.id).await.unwrap();
    assert!(a2.flapping, "four flips within an hour");
    // Two firings before, two more since; the two resolved notifications are not occurrences.
    assert_eq!((a2.status, a2.count), (Status::Open, 4));
    let kinds: Vec<String> = store
        .event_log(a.id)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.kind)
        .collect();
    for k in ["received", "resolved", "reopened", "flapping"] {
        assert!(kinds.contains(&k.to_owned()), "{k} in {kinds:?}");
    }
    db
}

async fn suppressed_filters_sort_and_pages(store: Store, db: TestDb) -> TestDb {
    let mut items: Vec<IngestItem> = (0..30)
        .map(|i| {
            inc(
                &format!("e{i:02}"),
                if i % 3 == 0 { Level::P0 } else { Level::P2 },
                true,
            )
        })
        .collect();
    items[29].keep = false;
    store.ingest_batch(&items, &[], 10_000).await.unwrap();
    assert_eq!(
        store.count_events(&EventQuery::default()).await.unwrap(),
        29,
        "suppressed hidden by default"
    );
    let q = EventQuery::parse("status:suppressed", "me").unwrap();
    assert_eq!(store.list_events(&q).await.unwrap()[0].fingerprint, "e29");
    let q = EventQuery::parse("level:P0 status:open", "me").unwrap();
    assert_eq!(store.count_events(&q).await.unwrap(), 10);
    let q = EventQuery::parse("db-e1", "me").unwrap();
    assert_eq!(
        store.count_events(&q).await.unwrap(),
        10,
        "free text matches the component (db-e10..db-e19)"
    );
    let q = EventQuery {
        limit: 7,
        offset: 7,
        ..EventQuery::parse("sort:title", "me").unwrap()
    };
    let page = store.list_events(&q).await.unwrap();
    assert_eq!(page.len(), 7);
    assert_eq!(
        page[0].fingerprint, "e07",
        "ascending by title, second page"
    );
    let q = EventQuery {
        limit: 1,
        ..EventQuery::parse("sort:-id ds:STACK#rds source:alertmanager", "me").unwrap()
    };
    assert_eq!(store.list_events(&q).await.unwrap()[0].fingerprint, "e28");
    db
}

async fn actions_land_on_timeline_and_audit(store: Store, db: TestDb) -> TestDb {
    store
        .ingest_batch(
            &[inc("x", Level::P1, true), inc("y", Level::P1, true)],
            &[],
            1_000,
        )
        .await
        .unwrap();
    let ids: Vec<i64> = store
        .list_events(&all())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    let r = store
        .event_action(
            &ids,
            &EventAction::Ack {
                note: "on it".into(),
            },
            "alice",
            2_000,
        )
        .await
        .unwrap();
    assert!(r.iter().all(|(_, r)| r.is_ok()));
    let again = store
        .event_action(
            &ids[..1],
            &EventAction::Ack {
                note: String::new(),
            },
            "alice",
            2_001,
        )
        .await
        .unwrap();
    assert!(
        again[0].1.as_ref().unwrap_err().contains("acked"),
        "ack of an acked event is refused"
    );
    store
        .event_action(
            &ids[..1],
            &EventAction::Assign { to: "bob".into() },
            "alice",
            2_002,
        )
        .await
        .unwrap();
    assert!(
        store
            .event_action(
                &ids[..1],
                &EventAction::Regrade {
                    level: Level::P0,
                    reason: " ".into()
                },
                "alice",
                2_003
            )
            .await
            .is_err()
    );
    store
        .event_action(
            &ids[..1],
            &EventAction::Regrade {
                level: Level::P0,
                reason: "customer impact".into(),
            },
            "alice",
            2_004,
        )
        .await
        .unwrap();
    let e = store.get_event(ids[0]).await.unwrap();
    assert_eq!(
        (e.status, e.assignee.as_str(), e.level, e.original_level),
        (Status::Acked, "bob", Level::P0, Level::P1)
    );
    // The source repeating its level does not undo the operator's grade.
    store
        .ingest_batch(&[inc(&e.fingerprint, Level::P1, true)], &[], 3_000)
        .await
        .unwrap();
    assert_eq!(store.get_event(ids[0]).await.unwrap().level, Level::P0);
    let q = EventQuery::parse("assignee:me", "bob").unwrap();
    assert_eq!(store.count_events(&q).await.unwrap(), 1);
    let audit = store.list_audit(10).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "event.regraded"
        && a.reason == "customer impact"
        && a.actor == "alice"));
    assert_eq!(
        audit.iter().filter(|a| a.action == "event.acked").count(),
        2
    );
    db
}

async fn stats_and_outbox(store: Store, db: TestDb) -> TestDb {
    let now = 100 * 3_600_000;
    let channels = parse_channels(&serde_json::json!({"channels": [
        {"name": "ding", "kind": "dingtalk", "url": "https://oapi.example/robot/send?access_token=t"},
        {"name": "all", "kind": "webhook", "url": "https://hook.example", "levels": ["P0","P1","P2","P3"], "resolved": false}
    ]}))
    .0;
    let mut p3 = inc("low", Level::P3, true);
    p3.incoming.starts_at = now - 2 * 3_600_000;
    let mut hi = inc("hi", Level::P1, true);
    hi.incoming.starts_at = now - 1_800_000;
    let out = store.ingest_batch(&[hi, p3], &channels, now).await.unwrap();
    assert_eq!(
        out.notifications, 3,
        "P1 to both channels, P3 only to the one that wants every level"
    );
    assert_eq!(out.alerting.len(), 2);
    let out = store
        .ingest_batch(&[inc("hi", Level::P1, false)], &channels, now + 1)
        .await
        .unwrap();
    assert_eq!(
        out.notifications, 1,
        "the resolution goes only where resolved = true"
    );
    let stats = store.event_stats(now + 10).await.unwrap();
    assert_eq!(stats.total, 2);
    assert_eq!(stats.per_hour.len(), 24);
    assert_eq!(stats.per_hour.iter().sum::<i64>(), 2);
    // Buckets are whole hours, the current one last.
    let bucket = |t: i64| 23 - ((now + 10) / 3_600_000 - t / 3_600_000) as usize;
    assert_eq!(
        stats.per_hour[bucket(now - 2 * 3_600_000)],
        1,
        "the P3 started two hours ago"
    );
    assert_eq!(
        stats.per_hour[bucket(now - 1_800_000)],
        1,
        "the P1 started half an hour ago"
    );
    assert!(
        stats
            .by_level_status
            .contains(&("P1".to_owned(), "resolved".to_owned(), 1))
    );
    assert_eq!(
        store.urgent_after(0).await.unwrap().len(),
        0,
        "the P1 is resolved, the P3 is not urgent"
    );
    db
}

/// Several writers at once (engines sharing a database, an inspection run's checks), their
/// batches overlapping in fingerprints and in opposite orders: on a server InnoDB picks deadlock
/// victims here, and the store runs them again, so every batch commits and every receipt counts.
async fn concurrent_overlapping_batches_all_commit(store: Store, db: TestDb) -> TestDb {
    const WRITERS: usize = 8;
    const BATCHES: usize = 15;
    const POOL: usize = 24;
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for b in 0..BATCHES {
                // Every writer touches a new fingerprint of its own and the shared pool, half of
                // them walking it backwards.
                let mut fps: Vec<String> = (0..POOL).map(|i| format!("shared-{i}")).collect();
                if (w + b) % 2 == 1 {
                    fps.reverse();
                }
                fps.push(format!("own-{w}-{b}"));
                let items: Vec<IngestItem> =
                    fps.iter().map(|fp| inc(fp, Level::P2, true)).collect();
                store
                    .ingest_batch(&items, &[], 1_000 + b as i64)
                    .await
                    .map_err(|e| format!("writer {w} batch {b}: {e}"))?;
            }
            Ok::<(), String>(())
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let events = store.list_events(&all()).await.unwrap();
    assert_eq!(events.len(), POOL + WRITERS * BATCHES);
    let shared: i64 = events
        .iter()
        .filter(|e| e.fingerprint.starts_with("shared-"))
        .map(|e| e.count)
        .sum();
    assert_eq!(
        shared,
        (POOL * WRITERS * BATCHES) as i64,
        "every receipt of a shared alert counted once"
    );
    let stats = store.event_stats(2_000).await.unwrap();
    assert_eq!(stats.total, events.len() as i64, "maintained counts agree");
    db
}

on_every_backend!(
    dedup_resolve_reopen_flap,
    suppressed_filters_sort_and_pages,
    actions_land_on_timeline_and_audit,
    stats_and_outbox,
    concurrent_overlapping_batches_all_commit
);
