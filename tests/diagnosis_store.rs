//! The diagnosis queue on every backend: queued exactly once per dedup key, claimed by exactly one
//! of several engines racing for it, a run whose engine died is interrupted (and says so on the
//! event's timeline), a finished run records its trace and its timeline entry in one go, and the
//! matcher's cursor only moves forward.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use std::collections::BTreeMap;

use common::TestDb;
use nightwatch::domain::event::{Incoming, Level};
use nightwatch::store::{DiagnosisEnd, IngestItem, LeaseClock, NewDiagnosis, NewSelfHeal, Store};

async fn one_event(store: &Store) -> i64 {
    let item = IngestItem {
        incoming: Incoming {
            fingerprint: "fp-1".into(),
            source: "alertmanager".into(),
            ds_type: "PROM".into(),
            level: Level::P1,
            title: "t".into(),
            summary: String::new(),
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            component: "c".into(),
            firing: true,
            starts_at: 1,
            source_url: String::new(),
        },
        keep: true,
    };
    store.ingest_batch(&[item], &[], 1_000).await.unwrap();
    store.alerting_logs_after(0, 10).await.unwrap()[0].1
}

fn new(event_id: i64, dedup: &str) -> NewDiagnosis {
    NewDiagnosis {
        event_id,
        tree: "t".into(),
        scenario: "s".into(),
        dedup: dedup.into(),
        source_log: 1,
        requested_by: "engine".into(),
    }
}

async fn queued_once_claimed_once_interrupted_when_dead(store: Store, db: TestDb) -> TestDb {
    let event = one_event(&store).await;
    // Two engines queue the same episode: one row.
    let twice = new(event, "auto:1");
    let (a, b) = tokio::join!(
        store.queue_diagnosis(&twice, 2_000),
        store.queue_diagnosis(&twice, 2_000)
    );
    let ids: Vec<i64> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
    assert_eq!(ids.len(), 1, "queued exactly once");
    assert_eq!(
        store.list_diagnoses(Some(event), 10).await.unwrap().len(),
        1
    );

    // Four workers race for it: exactly one wins.
    let claims = futures::future::join_all((0..4).map(|i| {
        let store = store.clone();
        async move {
            store
                .claim_diagnosis(&format!("w{i}"), None, LeaseClock::Database, 30_000)
                .await
                .unwrap()
        }
    }))
    .await;
    let won: Vec<_> = claims.into_iter().flatten().collect();
    assert_eq!(won.len(), 1, "claimed exactly once: {won:?}");
    let run = &won[0];
    assert_eq!(run.status, "running");

    // A loser cannot finish it; the holder can, with the timeline entry.
    let end = DiagnosisEnd {
        status: "done",
        trace: "{\"path\":[]}",
        conclusion: "c1",
        cause: "because",
        level: "P0",
        log: "diagnosis t (run 1) [P0]: because",
    };
    let other = if run.claimed_by == "w0" { "w1" } else { "w0" };
    assert!(
        !store
            .finish_diagnosis(run.id, other, &end, 3_000)
            .await
            .unwrap()
    );
    assert!(
        store
            .finish_diagnosis(run.id, &run.claimed_by, &end, 3_000)
            .await
            .unwrap()
    );
    let done = store.get_diagnosis(run.id).await.unwrap();
    assert_eq!(
        (
            done.status.as_str(),
            done.conclusion.as_str(),
            done.level.as_str()
        ),
        ("done", "c1", "P0")
    );
    let log = store.event_log(event).await.unwrap();
    assert!(
        log.iter()
            .any(|l| l.kind == "diagnosed" && l.message.contains("because")),
        "{log:?}"
    );
    assert!(log.iter().any(|l| l.kind == "diagnosis-queued"), "{log:?}");

    // A run whose engine died (a lease already over) is interrupted, once.
    let second = store
        .queue_diagnosis(&new(event, "manual:x"), 4_000)
        .await
        .unwrap()
        .unwrap();
    let claimed = store
        .claim_diagnosis("dead", Some(second), LeaseClock::Database, -1_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, second);
    let interrupted = store
        .interrupt_expired_diagnoses(LeaseClock::Database)
        .await
        .unwrap();
    assert_eq!(interrupted, vec![second]);
    assert!(
        store
            .interrupt_expired_diagnoses(LeaseClock::Database)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.get_diagnosis(second).await.unwrap().status,
        "interrupted"
    );
    assert!(
        !store
            .renew_diagnosis(second, "dead", LeaseClock::Database, 30_000)
            .await
            .unwrap()
    );

    // The cursor never goes back.
    store.advance_diagnosis_cursor(10, 1).await.unwrap();
    store.advance_diagnosis_cursor(5, 2).await.unwrap();
    assert_eq!(store.diagnosis_cursor().await.unwrap(), 10);
    db
}

/// Self-heal decisions read their counts under one lock; K escalations in a row halt the policy
/// (the next decision sees `halted`), a heal clears the count, `resume` clears the halt.
async fn self_heal_counts_halt_and_resume(store: Store, db: TestDb) -> TestDb {
    let event = one_event(&store).await;
    let heal = |key: &str| NewSelfHeal {
        event_id: event,
        diagnosis_id: 1,
        scenario: "s".into(),
        conclusion: "c".into(),
        fault_key: key.into(),
        plan: "p".into(),
        params: "{}".into(),
    };
    let mut seen = Vec::new();
    for (i, key) in ["s:c:a", "s:c:a", "s:c:b"].iter().enumerate() {
        let now = 10_000 + i64::try_from(i).unwrap();
        let (_, d) = store
            .decide_self_heal(&heal(key), now, |c| {
                seen.push(c.clone());
                ("ran", String::new(), format!("heal {i}"))
            })
            .await
            .unwrap();
        assert_eq!(d, "ran");
    }
    assert_eq!(seen[1].last_for_key, Some(10_000), "the key's last heal");
    assert_eq!((seen[1].key_last_hour, seen[2].key_last_hour), (1, 0));
    assert_eq!(
        (
            seen[2].scenario_last_hour,
            seen[2].global_last_hour,
            seen[2].running
        ),
        (2, 2, 2)
    );
    let open = store.open_self_heals().await.unwrap();
    assert_eq!(open.len(), 3);
    // Two escalations in a row with halt_after 2: halted; the next decision sees it.
    assert!(
        store
            .finish_self_heal(open[0].id, false, "plan failed", 2, 20_000)
            .await
            .unwrap()
    );
    assert!(
        !store
            .finish_self_heal(open[0].id, false, "again", 2, 20_001)
            .await
            .unwrap(),
        "once"
    );
    assert!(store.halted_self_heals().await.unwrap().is_empty());
    assert!(
        store
            .finish_self_heal(open[1].id, false, "still open", 2, 20_002)
            .await
            .unwrap()
    );
    assert_eq!(store.halted_self_heals().await.unwrap()[0].0, "s");
    let mut halted = None;
    store
        .decide_self_heal(&heal("s:c:z"), 30_000, |c| {
            halted = Some(c.halted);
            ("skipped", "halted".into(), "halted".into())
        })
        .await
        .unwrap();
    assert_eq!(halted, Some(true));
    assert!(store.resume_self_heal("s", "ops", 40_000).await.unwrap());
    assert!(
        !store.resume_self_heal("s", "ops", 40_001).await.unwrap(),
        "not halted any more"
    );
    assert!(
        store
            .finish_self_heal(open[2].id, true, "resolved", 2, 50_000)
            .await
            .unwrap()
    );
    let log = store.event_log(event).await.unwrap();
    assert!(
        log.iter()
            .any(|l| l.kind == "self-heal"
                && l.message.contains("halted after 2 consecutive failures")),
        "{log:?}"
    );
    db
}

on_every_backend!(
    queued_once_claimed_once_interrupted_when_dead,
    self_heal_counts_halt_and_resume
);
