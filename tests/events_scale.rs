//! The event store at scale, on every backend: the change stamp moves with every write and only
//! then; the maintained counts stay equal to a `GROUP BY` through ingest (new, repeated,
//! suppressed, resolved), operators' actions and retention; keyset pages equal OFFSET pages for
//! every sort; free text goes through each backend's index and finds what `LIKE` finds; capped
//! counts; per-hour statistics bucketed in SQL; retention archives closed events only.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use std::collections::BTreeMap;

use common::TestDb;
use nightwatch::domain::event::{EventQuery, Incoming, Keyset, Level, SortKey, Status};
use nightwatch::store::{EventAction, IngestItem, Store};

const HOUR: i64 = 3_600_000;

fn item(fp: &str, level: Level, title: &str, component: &str, at: i64, keep: bool) -> IngestItem {
    IngestItem {
        incoming: Incoming {
            fingerprint: fp.to_owned(),
            source: "api".to_owned(),
            ds_type: "STACK#rds".to_owned(),
            level,
            title: title.to_owned(),
            summary: format!("summary of {fp}"),
            labels: BTreeMap::from([("k".to_owned(), fp.to_owned())]),
            annotations: BTreeMap::new(),
            component: component.to_owned(),
            firing: true,
            starts_at: at,
            source_url: String::new(),
        },
        keep,
    }
}

/// The maintained counts equal a fresh `GROUP BY` (recount finds nothing to fix).
async fn assert_counts_exact(store: &Store, when: &str) {
    let wrong = store.recount_events().await.unwrap();
    assert!(
        wrong.is_empty(),
        "{when}: maintained counts drifted: {wrong:?}"
    );
}

async fn stamp_and_counts_follow_every_write(store: Store, db: TestDb) -> TestDb {
    let s0 = store.events_stamp().await.unwrap();
    // New events (one suppressed), in one batch.
    let batch: Vec<IngestItem> = (0..50)
        .map(|i| {
            let level = Level::ALL[i % 4];
            item(&format!("e{i}"), level, "Disk full", "db-1", 1_000, i != 7)
        })
        .collect();
    store.ingest_batch(&batch, &[], 1_000).await.unwrap();
    let s1 = store.events_stamp().await.unwrap();
    assert!(s1 > s0, "an ingest moves the stamp");
    assert_counts_exact(&store, "after new events").await;
    // Reads move nothing.
    store.list_events(&EventQuery::default()).await.unwrap();
    store.event_stats(2_000).await.unwrap();
    assert_eq!(store.events_stamp().await.unwrap(), s1, "reads do not");

    // Repeats of 40 of them in one batch (one multi-row UPDATE), one resolving, one new.
    let mut repeats: Vec<IngestItem> = (10..50)
        .map(|i| {
            let level = Level::ALL[i % 4];
            item(
                &format!("e{i}"),
                level,
                "Disk full again",
                "db-2",
                1_000,
                true,
            )
        })
        .collect();
    repeats[3].incoming.firing = false;
    repeats.push(item("new", Level::P0, "Fresh", "db-9", 2_000, true));
    let out = store.ingest_batch(&repeats, &[], 3_000).await.unwrap();
    assert_eq!((out.created, out.updated), (1, 40));
    let e0 = store
        .list_events(&EventQuery {
            components: vec!["db-2".into()],
            statuses: Status::ALL.to_vec(),
            limit: 100,
            ..EventQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(e0.len(), 40, "every repeat updated its row");
    assert!(
        e0.iter()
            .all(|e| e.title == "Disk full again" && e.last_seen == 3_000)
    );
    let resolved = e0.iter().find(|e| e.fingerprint == "e13").unwrap();
    // A resolved notification resolves without counting as a repeat (issue 11).
    assert_eq!((resolved.status, resolved.count), (Status::Resolved, 1));
    let s2 = store.events_stamp().await.unwrap();
    assert!(s2 > s1);
    assert_counts_exact(&store, "after repeats").await;

    // Operators: ack, re-grade, close; a comment moves the stamp but no count.
    let ids: Vec<i64> = e0.iter().take(6).map(|e| e.id).collect();
    let ack = EventAction::Ack { note: "n".into() };
    store
        .event_action(&ids[..2], &ack, "op", 4_000)
        .await
        .unwrap();
    let regrade = EventAction::Regrade {
        level: Level::P0,
        reason: "r".into(),
    };
    store
        .event_action(&ids[2..4], &regrade, "op", 4_000)
        .await
        .unwrap();
    let close = EventAction::Close { note: "c".into() };
    store
        .event_action(&ids[..6], &close, "op", 4_000)
        .await
        .unwrap();
    assert_counts_exact(&store, "after actions").await;
    let s3 = store.events_stamp().await.unwrap();
    let comment = EventAction::Comment { text: "x".into() };
    store
        .event_action(&ids[..1], &comment, "op", 4_000)
        .await
        .unwrap();
    assert!(
        store.events_stamp().await.unwrap() > s3,
        "a comment shows too"
    );

    // The Overview statistics come from the counts.
    let stats = store.event_stats(5_000).await.unwrap();
    assert_eq!(stats.total, 51);
    assert_eq!(stats.suppressed, 1);
    let closed: i64 = stats
        .by_level_status
        .iter()
        .filter(|(_, s, _)| s == "closed")
        .map(|(_, _, n)| n)
        .sum();
    assert_eq!(closed, 6);
    // Counts narrowed by level and status are exact; others count what matches.
    let q = EventQuery::parse("status:closed level:P0", "").unwrap();
    let exact = store
        .list_events(&EventQuery {
            limit: 100,
            ..q.clone()
        })
        .await
        .unwrap();
    assert_eq!(store.count_events(&q).await.unwrap(), exact.len() as i64);
    assert!(
        store.count_events_capped(&q, 1).await.unwrap().1,
        "level/status: exact"
    );
    let q = EventQuery::parse("component:db-2", "").unwrap();
    assert_eq!(store.count_events(&q).await.unwrap(), 40);
    assert_eq!(
        store.count_events_capped(&q, 10).await.unwrap(),
        (10, false)
    );
    assert_eq!(
        store.count_events_capped(&q, 100).await.unwrap(),
        (40, true)
    );

    // Retention: only closed events last seen before the cutoff move to the archive.
    let moved = store.archive_closed_events(3_500, 9_000).await.unwrap();
    assert_eq!(moved, 6);
    assert_eq!(store.archive_closed_events(3_500, 9_000).await.unwrap(), 0);
    assert_counts_exact(&store, "after retention").await;
    let archived = store.list_archived(0, 100).await.unwrap();
    assert_eq!(archived.len(), 6);
    assert!(
        archived
            .iter()
            .all(|a| a.event.status == Status::Closed && a.archived_at == 9_000)
    );
    assert_eq!(store.event_stats(9_000).await.unwrap().total, 45);
    db
}

async fn keyset_pages_equal_offset_pages(store: Store, db: TestDb) -> TestDb {
    // 230 events with many ties in every sort column.
    let items: Vec<IngestItem> = (0..230)
        .map(|i| {
            let title = ["alpha", "beta", "gamma"][i % 3];
            item(&format!("k{i:03}"), Level::ALL[i % 4], title, "c", 0, true)
        })
        .collect();
    for (n, chunk) in items.chunks(40).enumerate() {
        // Six different last_seen values, each shared by 40 events.
        store
            .ingest_batch(chunk, &[], 1_000 + n as i64)
            .await
            .unwrap();
    }
    for (sort, descending) in [
        (SortKey::LastSeen, true),
        (SortKey::LastSeen, false),
        (SortKey::Title, false),
        (SortKey::Level, true),
        (SortKey::Count, false),
        (SortKey::Id, true),
    ] {
        let base = EventQuery {
            sort,
            descending,
            limit: 1000,
            ..EventQuery::default()
        };
        let all = store.list_events(&base).await.unwrap();
        assert_eq!(all.len(), 230);
        // Walk by keyset, 37 rows at a time.
        let mut walked = Vec::new();
        let mut after = None;
        loop {
            let q = EventQuery {
                limit: 37,
                after: after.clone(),
                ..base.clone()
            };
            let page = store.list_events(&q).await.unwrap();
            let Some(last) = page.last() else { break };
            after = Some(Keyset::of(last, sort));
            walked.extend(page);
        }
        let ids =
            |v: &[nightwatch::domain::event::Event]| v.iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!(
            ids(&walked),
            ids(&all),
            "keyset walk = one read, {sort:?} desc={descending}"
        );
        // An inclusive anchor starts on the row itself; OFFSET agrees.
        let at = &all[100];
        let q = EventQuery {
            limit: 5,
            after: Some(Keyset::of(at, sort).inclusive(descending)),
            ..base.clone()
        };
        let from_key = store.list_events(&q).await.unwrap();
        let q = EventQuery {
            limit: 5,
            offset: 100,
            ..base.clone()
        };
        assert_eq!(ids(&from_key), ids(&store.list_events(&q).await.unwrap()));
    }
    db
}

async fn text_goes_through_the_index(store: Store, db: TestDb) -> TestDb {
    let items = vec![
        item(
            "t1",
            Level::P1,
            "Disk usage above 90% on /data",
            "db-1",
            0,
            true,
        ),
        item(
            "t2",
            Level::P1,
            "Replication lag over 30 s",
            "db-2",
            0,
            true,
        ),
        item("t3", Level::P1, "Replication broken", "cache-7", 0, true),
        item("t4", Level::P1, "Backup job failed", "db-7", 0, true),
    ];
    store.ingest_batch(&items, &[], 1_000).await.unwrap();
    let find = |text: &str| {
        let store = store.clone();
        let q = EventQuery::parse(text, "").unwrap();
        async move {
            #[allow(clippy::redundant_locals)]
            let q = q;
            let mut fps: Vec<String> = store
                .list_events(&EventQuery {
                    limit: 100,
                    ..q.clone()
                })
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.fingerprint)
                .collect();
            fps.sort();
            assert_eq!(
                store.count_events(&q).await.unwrap(),
                fps.len() as i64,
                "{q:?}"
            );
            fps
        }
    };
    assert_eq!(
        find("replication").await,
        ["t2", "t3"],
        "a word in the title"
    );
    assert_eq!(
        find("REPLICATION lag").await,
        ["t2"],
        "words are ANDed, case-insensitive"
    );
    assert_eq!(find("cache").await, ["t3"], "the component");
    assert_eq!(
        find("summary t4").await,
        ["t4"],
        "a short word: LIKE, with an indexed one"
    );
    assert_eq!(find("db-7").await, ["t4"], "punctuation");
    assert_eq!(find("backup level:P1").await, ["t4"], "with other filters");
    assert_eq!(find("nomatchword").await, Vec::<String>::new());
    // An update of the title re-indexes it.
    let mut again = items[3].clone();
    again.incoming.title = "Restore drill passed".into();
    store.ingest_batch(&[again], &[], 2_000).await.unwrap();
    assert_eq!(find("backup").await, Vec::<String>::new());
    assert_eq!(find("restore").await, ["t4"]);
    db
}

async fn per_hour_statistics_in_sql(store: Store, db: TestDb) -> TestDb {
    let now = 1_000 * HOUR + HOUR * 3 / 4;
    // 45 min into hour 1000. first_seen: 0.5 h ago (this hour), 2.2 h ago (hour 998), 30 h ago
    // (outside), one suppressed this hour.
    let items = vec![
        item("h1", Level::P0, "a", "c", now - HOUR / 2, true),
        item("h2", Level::P1, "b", "c", now - 2 * HOUR - HOUR / 5, true),
        item("h3", Level::P1, "c", "c", now - 30 * HOUR, true),
        item("h4", Level::P2, "d", "c", now - HOUR / 3, false),
    ];
    store.ingest_batch(&items, &[], now).await.unwrap();
    let stats = store.event_stats(now).await.unwrap();
    assert_eq!(stats.hour, 1_000);
    assert_eq!(stats.per_hour.len(), 24);
    let mut want = vec![0_i64; 24];
    want[23] = 1; // h1 in the current hour
    want[21] = 1; // h2: 2.2 h ago, in hour 998
    assert_eq!(
        stats.per_hour, want,
        "buckets are whole hours, suppressed left out"
    );
    assert_eq!((stats.total, stats.suppressed), (4, 1));
    db
}

/// A word in most titles (more matches than the store's "common word" bound, 10,000): SQLite
/// walks last_seen and probes the text index per row instead of sorting every match. The pages
/// are the same as what a plain filter in Rust gives, first page and keyset pages alike.
async fn a_common_word_pages_like_a_rare_one(store: Store, db: TestDb) -> TestDb {
    let n = 11_700_usize;
    let title = |i: usize| {
        if i.is_multiple_of(13) {
            "Backup job failed".to_owned()
        } else {
            format!("Disk usage above {}% on /data", 80 + i % 20)
        }
    };
    let items: Vec<IngestItem> = (0..n)
        .map(|i| item(&format!("d{i:05}"), Level::P2, &title(i), "db", 0, true))
        .collect();
    for (k, chunk) in items.chunks(800).enumerate() {
        store
            .ingest_batch(chunk, &[], 1_000 + k as i64)
            .await
            .unwrap();
    }
    // What "disk" must give: the default order (last_seen, id descending), titles with the word.
    let mut want: Vec<i64> = Vec::new();
    let mut rows: Vec<(i64, i64)> = Vec::new();
    let mut after = None;
    loop {
        let q = EventQuery {
            limit: 1_000,
            after: after.clone(),
            ..EventQuery::parse("", "").unwrap()
        };
        let page = store.list_events(&q).await.unwrap();
        let Some(last) = page.last() else { break };
        after = Some(Keyset::of(last, SortKey::LastSeen));
        for e in &page {
            rows.push((e.id, i64::from(e.title.starts_with("Disk"))));
        }
    }
    assert_eq!(rows.len(), n, "every event walked");
    want.extend(rows.iter().filter(|r| r.1 == 1).map(|r| r.0));
    assert!(
        want.len() > 10_000,
        "more matches than the common-word bound"
    );
    let q = EventQuery {
        limit: 60,
        ..EventQuery::parse("disk", "").unwrap()
    };
    let mut got: Vec<i64> = Vec::new();
    let mut after = None;
    for _ in 0..3 {
        let page = store
            .list_events(&EventQuery {
                after: after.clone(),
                ..q.clone()
            })
            .await
            .unwrap();
        after = page.last().map(|e| Keyset::of(e, SortKey::LastSeen));
        got.extend(page.iter().map(|e| e.id));
    }
    assert_eq!(got, want[..180], "three pages of a common word");
    assert_eq!(store.count_events(&q).await.unwrap(), want.len() as i64);
    db
}

on_every_backend!(
    stamp_and_counts_follow_every_write,
    keyset_pages_equal_offset_pages,
    text_goes_through_the_index,
    a_common_word_pages_like_a_rare_one,
    per_hour_statistics_in_sql,
);

/// Retention end to end on the CLI's database: old closed events are archived, recent closed and
/// old open ones stay, and `events archived -o json` exports what moved.
#[tokio::test]
async fn archived_events_are_exported_by_the_cli() {
    let sb = common::Sandbox::new();
    let (ok, out) = sb.run(&["migrate"]);
    assert!(ok, "{out}");
    let url = format!(
        "sqlite://{}/nightwatch/nightwatch.db",
        sb.dir.path().join("data").display()
    );
    let store = Store::connect(&url, &Default::default()).await.unwrap();
    let day = 86_400_000;
    let now = 1_000 * day;
    let items = vec![
        item("old-closed", Level::P1, "Old and closed", "c", 0, true),
        item("old-open", Level::P1, "Old and open", "c", 0, true),
    ];
    store
        .ingest_batch(&items, &[], now - 500 * day)
        .await
        .unwrap();
    store
        .ingest_batch(
            &[item("new-closed", Level::P2, "New", "c", 0, true)],
            &[],
            now - day,
        )
        .await
        .unwrap();
    let all = store
        .list_events(&EventQuery {
            limit: 10,
            ..EventQuery::default()
        })
        .await
        .unwrap();
    let ids: Vec<i64> = all
        .iter()
        .filter(|e| e.fingerprint.ends_with("closed"))
        .map(|e| e.id)
        .collect();
    let close = EventAction::Close {
        note: "done".into(),
    };
    // Closing does not move last_seen: the old one stays 500 days old.
    store.event_action(&ids, &close, "op", now).await.unwrap();
    let moved = store
        .archive_closed_events(now - 400 * day, now)
        .await
        .unwrap();
    assert_eq!(moved, 1, "only the closed event past 400 days");
    assert_counts_exact(&store, "after retention").await;
    store.close().await;
    let v = common::json_of(&sb, &["events", "archived", "-o", "json"]);
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 1, "{v}");
    assert_eq!(arr[0]["fingerprint"], "old-closed");
    assert_eq!(arr[0]["status"], "closed");
    assert_eq!(arr[0]["archived_at"], now);
    let v = common::json_of(&sb, &["events", "list", "status:open,closed", "-o", "json"]);
    let left: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["fingerprint"].as_str())
        .collect();
    assert_eq!(left.len(), 2, "the others stay: {left:?}");
}
