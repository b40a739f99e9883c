//! The DR dashboard's tables on every backend (SQLite, MariaDB, PostgreSQL; see `common`): the
//! model applied as content and read back, samples written in batches and read as the latest
//! round, link histories bucketed for the sparkline, downsampling and retention, readiness
//! verdicts.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use std::path::PathBuf;

use common::TestDb;
use nightwatch::domain::content::{Targets, load_bundle};
use nightwatch::domain::dr::{LevelKind, LinkSample, LinkState, Readiness, WaterLevel};
use nightwatch::store::{HISTORY_BUCKETS, SampleRow, Store};

fn good() -> Vec<(PathBuf, String)> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/content/dr-good.toml");
    let t = std::fs::read_to_string(&p).unwrap();
    vec![(p, t)]
}

fn sample(link: &str, at: i64, lag: i64, state: LinkState) -> LinkSample {
    LinkSample {
        link: link.into(),
        at,
        state,
        lag_ms: Some(lag),
        bytes: Some(lag * 10),
        message: format!("m{at}"),
        detail: serde_json::json!({"at": at}),
    }
}

async fn the_model_applies_reads_back_and_reapplies_unchanged(store: Store, db: TestDb) -> TestDb {
    let b = load_bundle(&good(), &[], &[], Targets::MustExist, &|_| Ok(())).unwrap();
    let plan = store.apply_bundle(&b, false, "test", 1).await.unwrap();
    for kind in ["datacenter", "dr_system", "link"] {
        assert!(
            plan.added.iter().any(|(k, _)| k == kind),
            "{kind}: {plan:?}"
        );
    }
    let mut expect = b.dr.clone();
    expect.links.sort_by(|x, y| x.name.cmp(&y.name));
    assert_eq!(store.dr_model().await.unwrap(), expect, "read back by name");
    let again = store.plan_apply(&b).await.unwrap();
    assert!(
        again.added.is_empty() && again.changed.is_empty(),
        "{again:?}"
    );
    // A changed RPO is a change of that system only.
    let mut b2 = b.clone();
    b2.dr.systems[0].rpo_ms = 60_000;
    let p2 = store.plan_apply(&b2).await.unwrap();
    assert_eq!(
        p2.changed,
        vec![("dr_system".to_owned(), "orders".to_owned())]
    );
    db
}

async fn samples_latest_round_history_and_compaction(store: Store, db: TestDb) -> TestDb {
    let hour = 3_600_000;
    let now = 10 * hour;
    let mut rows = Vec::new();
    // Two hours of samples every 10 s for two links; the newest round breaks link-b.
    for i in 0..720 {
        let at = now - 2 * hour + i * 10_000;
        rows.push(SampleRow::of_link(&sample(
            "link-a",
            at,
            i,
            LinkState::Running,
        )));
        let state = if i == 719 {
            LinkState::Broken
        } else {
            LinkState::Running
        };
        rows.push(SampleRow::of_link(&sample("link-b", at, 2 * i, state)));
    }
    let level = WaterLevel {
        component: "redis-a".into(),
        kind: LevelKind::Memory,
        at: now - 10_000,
        used: 97,
        max: 100,
    };
    rows.push(SampleRow::of_level(&level, "critical"));
    store.insert_dr_samples(&rows).await.unwrap();
    let latest = store.latest_link_samples().await.unwrap();
    assert_eq!(latest.len(), 2);
    assert_eq!(
        latest[1],
        sample("link-b", now - 10_000, 1438, LinkState::Broken)
    );
    assert_eq!(store.latest_water_levels().await.unwrap(), vec![level]);
    // The last hour in buckets: the worst lag of each, oldest first.
    let h = store.link_histories(now, hour).await.unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].points.len(), HISTORY_BUCKETS);
    assert!(h[0].points.iter().all(Option::is_some), "{:?}", h[0].points);
    assert_eq!(h[0].points[HISTORY_BUCKETS - 1], Some(719));
    assert!(h[1].points.windows(2).all(|w| w[0] <= w[1]));
    // Compaction: raw rows older than an hour become 5-minute averages; retention drops the rest.
    let (made, _) = store
        .compact_dr_samples(now, hour, 90 * 60_000)
        .await
        .unwrap();
    assert!(made > 0);
    let a = store
        .dr_samples_of("link", "link-a", 0, 10_000)
        .await
        .unwrap();
    let coarse: Vec<&SampleRow> = a.iter().filter(|r| r.coarse).collect();
    let raw = a.iter().filter(|r| !r.coarse).count();
    assert!(coarse.iter().all(|r| r.at % 300_000 == 0));
    assert!(
        coarse.iter().all(|r| r.at >= now - 90 * 60_000),
        "retention"
    );
    assert_eq!(
        coarse.len(),
        6,
        "90 min retention, 60 min raw: six 5-minute buckets"
    );
    assert!((359..=361).contains(&raw), "one hour of raw rows: {raw}");
    // The average of a bucket of 30 samples i..i+29 is i+14 (integer mean).
    let first = coarse[0];
    let i0 = (first.at - (now - 2 * hour)) / 10_000;
    assert_eq!(first.amount, i0 + 14);
    // Compacting again changes nothing.
    let (made, dropped) = store
        .compact_dr_samples(now, hour, 90 * 60_000)
        .await
        .unwrap();
    assert_eq!((made, dropped), (0, 0));
    db
}

async fn readiness_verdicts_replace_per_direction(store: Store, db: TestDb) -> TestDb {
    let v = |ready, at| Readiness {
        from: "dc-a".into(),
        to: "dc-b".into(),
        ready,
        reasons: if ready {
            vec![]
        } else {
            vec!["link x dc-a→dc-b lag 45 s > RPO 30 s".into()]
        },
        est_rto_ms: Some(120_000),
        rto_ms: Some(900_000),
        at,
        traffic: Some((30.0, 10.0)),
        load: nightwatch::domain::dr::project(60, 20, 100, Some((30.0, 10.0))),
    };
    store.put_readiness(&[v(false, 1)]).await.unwrap();
    store.put_readiness(&[v(true, 2)]).await.unwrap();
    assert_eq!(store.list_readiness().await.unwrap(), vec![v(true, 2)]);
    store.put_readiness(&[v(false, 3)]).await.unwrap();
    assert_eq!(store.list_readiness().await.unwrap(), vec![v(false, 3)]);
    db
}

on_every_backend!(
    the_model_applies_reads_back_and_reapplies_unchanged,
    samples_latest_round_history_and_compaction,
    readiness_verdicts_replace_per_direction,
);
