//! The outbox's claim protocol, straight on the store (every backend): exclusive claims, lease
//! take-over, settling only while holding the claim, truncated errors, release on shutdown.

use nightwatch::domain::event::Level;
use nightwatch::domain::time::now_ms;
use nightwatch::store::Store;

use crate::common::TestDb;
use crate::enqueue;
use crate::support::notification;

async fn claims_are_exclusive_conditional_and_released(store: Store, db: TestDb) -> TestDb {
    for id in 1..=4 {
        enqueue(&store, "c", &notification(id, Level::P0)).await;
    }
    let t = now_ms();
    let a = store.claim_due_outbox("a", t, 1_000, 3).await.unwrap();
    assert_eq!(
        a.iter().map(|i| i.event_id).collect::<Vec<_>>(),
        [1, 2, 3],
        "oldest first"
    );
    let b = store.claim_due_outbox("b", t, 1_000, 10).await.unwrap();
    assert_eq!(
        b.iter().map(|i| i.event_id).collect::<Vec<_>>(),
        [4],
        "only what a does not hold"
    );
    // a's lease expires; b takes row 1 over, and a can no longer complete it.
    let later = store
        .claim_due_outbox("b", t + 1_001, 1_000, 1)
        .await
        .unwrap();
    assert_eq!(later[0].id, a[0].id);
    assert!(
        !store
            .complete_outbox(a[0].id, "a", t + 1_002)
            .await
            .unwrap()
    );
    assert!(
        store
            .complete_outbox(a[0].id, "b", t + 1_002)
            .await
            .unwrap()
    );
    // A failure with a retry time: pending again, not due before it.
    let long = "x".repeat(2_000);
    assert!(
        store
            .fail_outbox(b[0].id, "b", t, &long, Some(t + 60_000))
            .await
            .unwrap()
    );
    let row = &store.outbox_for_event(4).await.unwrap()[0];
    assert_eq!(
        (row.status.as_str(), row.attempts, row.next_try),
        ("pending", 1, t + 60_000)
    );
    assert_eq!(row.last_error.len(), 500, "errors are kept truncated");
    let wide = "é".repeat(600);
    assert!(
        store
            .fail_outbox(a[1].id, "a", t, &wide, Some(t))
            .await
            .unwrap()
    );
    let row = &store.outbox_for_event(2).await.unwrap()[0];
    assert_eq!(
        row.last_error.chars().count(),
        500,
        "cut on a character boundary"
    );
    // A clean shutdown gives a's remaining claims back at once.
    assert_eq!(
        store.release_outbox("a").await.unwrap(),
        1,
        "row 3; row 2 was settled"
    );
    let c = store.claim_due_outbox("c", t + 1, 1_000, 10).await.unwrap();
    assert_eq!(c.iter().map(|i| i.event_id).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(store.outbox_counts().await.unwrap(), (3, 1, 0));
    db
}

crate::on_every_backend!(claims_are_exclusive_conditional_and_released);
