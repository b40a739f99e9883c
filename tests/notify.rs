//! Notifications end to end over loopback HTTP: the outbox on every backend (see `common`), the
//! notifier, and a local receiver that behaves like the real ones (a DingTalk robot that recomputes
//! and checks the signature, a Slack hook, a webhook that can be told to fail). Nothing of ours is
//! mocked; waits are on conditions with a deadline, never fixed sleeps.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

#[path = "notify/claims.rs"]
mod claims;
mod common;
#[path = "notify/echo.rs"]
mod echo;
#[path = "notify/engine.rs"]
mod engine;
#[path = "notify/support.rs"]
mod support;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use common::TestDb;
use nightwatch::domain::event::Level;
use nightwatch::domain::notify::Notification;
use nightwatch::domain::time::now_ms;
use nightwatch::engine::notify::Notifier;
use nightwatch::store::Store;
use serde_json::json;
use support::{Receiver, channels, fast, logs, notification, until};
use tokio_util::sync::CancellationToken;

pub const SECRET: &str = "SECrobot-secret-0001";

pub async fn enqueue(store: &Store, channel: &str, n: &Notification) {
    let payload = serde_json::to_string(n).unwrap();
    store
        .enqueue_outbox(channel, n.event.id, &payload, now_ms())
        .await
        .unwrap();
}

/// Start `notifier` in the background; cancel the token to stop it.
fn start(notifier: Notifier) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    logs();
    let cancel = CancellationToken::new();
    let task = tokio::spawn(notifier.run(cancel.clone()));
    (cancel, task)
}

async fn drained(store: &Store) {
    until("the outbox to drain", || async {
        store.outbox_counts().await.unwrap().0 == 0
    })
    .await;
}

async fn dingtalk_signature_is_verified(store: Store, db: TestDb) -> TestDb {
    let rx = Receiver::start(SECRET).await;
    let cfg = channels(json!([
        {"name": "ding-good", "kind": "dingtalk", "url": rx.url("/robot/send?access_token=TOKEN"), "secret": SECRET},
        {"name": "ding-bad", "kind": "dingtalk", "url": rx.url("/robot/send?access_token=TOKEN"), "secret": "SECwrong"},
    ]));
    enqueue(&store, "ding-good", &notification(1, Level::P0)).await;
    enqueue(&store, "ding-bad", &notification(2, Level::P0)).await;
    let (cancel, task) = start(Notifier::new(store.clone(), "w1".into(), cfg, fast()).unwrap());
    drained(&store).await;
    cancel.cancel();
    task.await.unwrap();

    assert_eq!(store.outbox_counts().await.unwrap(), (0, 1, 1));
    let good = rx.accepted("robot");
    assert_eq!(good.len(), 1, "signed right: posted once");
    assert_eq!(good[0]["msgtype"], "markdown");
    assert!(
        good[0]["markdown"]["text"]
            .as_str()
            .unwrap()
            .contains("**Count**: 4"),
        "{good:?}"
    );
    assert_eq!(
        rx.rejected("robot"),
        3,
        "signed wrong: refused on each of the 3 attempts"
    );

    let bad = &store.outbox_for_event(2).await.unwrap()[0];
    assert_eq!((bad.status.as_str(), bad.attempts), ("failed", 3));
    assert!(bad.last_error.contains("310000"), "{}", bad.last_error);
    assert!(
        !bad.last_error.contains("TOKEN"),
        "never the URL: {}",
        bad.last_error
    );
    let log = store.notification_log(1).await.unwrap();
    assert_eq!(
        (log[0].kind.as_str(), log[0].message.as_str()),
        ("notified", "sent to ding-good")
    );
    let log = store.notification_log(2).await.unwrap();
    assert_eq!(
        log.len(),
        1,
        "one timeline entry for the final failure, none per retry"
    );
    assert_eq!(log[0].kind, "notify-failed");
    assert!(
        log[0]
            .message
            .starts_with("not sent to ding-bad: DingTalk errcode 310000")
    );
    db
}

async fn slack_and_webhook_bodies(store: Store, db: TestDb) -> TestDb {
    let rx = Receiver::start(SECRET).await;
    let cfg = channels(json!([
        {"name": "slack", "kind": "slack", "url": rx.url("/hook/slack")},
        {"name": "hook", "kind": "webhook", "url": rx.url("/hook/generic")},
    ]));
    let n = notification(5, Level::P1);
    enqueue(&store, "slack", &n).await;
    enqueue(&store, "hook", &n).await;
    let (cancel, task) = start(Notifier::new(store.clone(), "w1".into(), cfg, fast()).unwrap());
    drained(&store).await;
    cancel.cancel();
    task.await.unwrap();
    let slack = rx.accepted("slack");
    assert!(
        slack[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("*[P1] FIRING: disk full on db-5*")
    );
    let hook = rx.accepted("generic");
    assert_eq!(
        serde_json::from_value::<Notification>(hook[0].clone()).unwrap(),
        n
    );
    db
}

async fn retries_with_backoff_until_accepted(store: Store, db: TestDb) -> TestDb {
    let rx = Receiver::start(SECRET).await;
    rx.fail_next("flaky", 2);
    let cfg = channels(json!([{"name": "flaky", "kind": "webhook", "url": rx.url("/hook/flaky")}]));
    enqueue(&store, "flaky", &notification(9, Level::P0)).await;
    let (cancel, task) = start(Notifier::new(store.clone(), "w1".into(), cfg, fast()).unwrap());
    drained(&store).await;
    cancel.cancel();
    task.await.unwrap();

    let row = &store.outbox_for_event(9).await.unwrap()[0];
    assert_eq!((row.status.as_str(), row.attempts), ("delivered", 2));
    assert!(row.last_error.starts_with("HTTP 500"), "{}", row.last_error);
    let times = rx.times("flaky");
    assert_eq!(times.len(), 3, "500, 500, 200");
    // Backoff of `fast()`: 20 ms after the first failure, 40 ms after the second.
    assert!(
        times[1] - times[0] >= Duration::from_millis(20),
        "{times:?}"
    );
    assert!(
        times[2] - times[1] >= Duration::from_millis(40),
        "{times:?}"
    );
    db
}

async fn racing_workers_deliver_each_row_once(store: Store, db: TestDb) -> TestDb {
    const ROWS: i64 = 60;
    let rx = Receiver::start(SECRET).await;
    let list = json!([{"name": "hook", "kind": "webhook", "url": rx.url("/hook/race")}]);
    for id in 1..=ROWS {
        enqueue(&store, "hook", &notification(id, Level::P0)).await;
    }
    // Two engines: separate pools on the same database, small batches so their claims interleave.
    let other = db.store().await;
    let opts = nightwatch::engine::notify::Options { batch: 4, ..fast() };
    let a = Notifier::new(
        store.clone(),
        "engine-a".into(),
        channels(list.clone()),
        opts,
    )
    .unwrap();
    let b = Notifier::new(other.clone(), "engine-b".into(), channels(list), opts).unwrap();
    let (ma, mb) = (a.handle().metrics, b.handle().metrics);
    let (ca, ta) = start(a);
    let (cb, tb) = start(b);
    let sent = || ma.sent.load(Relaxed) + mb.sent.load(Relaxed);
    // Both conditions: a counter moves just after its row's commit, and cancelling in between
    // would lose the increment, not the delivery.
    until("every row delivered and counted", || async {
        store.outbox_counts().await.unwrap().1 == ROWS && sent() == 60
    })
    .await;
    ca.cancel();
    cb.cancel();
    ta.await.unwrap();
    tb.await.unwrap();
    other.close().await;

    let mut per_event = BTreeMap::new();
    for body in rx.accepted("race") {
        *per_event
            .entry(body["event"]["id"].as_i64().unwrap())
            .or_insert(0) += 1;
    }
    assert_eq!(per_event.len(), usize::try_from(ROWS).unwrap());
    assert!(
        per_event.values().all(|&n| n == 1),
        "each exactly once: {per_event:?}"
    );
    let (sa, sb) = (ma.sent.load(Relaxed), mb.sent.load(Relaxed));
    eprintln!("{:?}: engine-a sent {sa}, engine-b sent {sb}", db.backend);
    db
}

async fn pending_rows_survive_a_restart(store: Store, db: TestDb) -> TestDb {
    let rx = Receiver::start(SECRET).await;
    for id in 1..=5 {
        enqueue(&store, "hook", &notification(id, Level::P0)).await;
    }
    // An engine claimed three rows and died before sending them (its lease runs out in 300 ms).
    let claimed_at = now_ms();
    let dead = store
        .claim_due_outbox("dead-engine", claimed_at, 300, 3)
        .await
        .unwrap();
    assert_eq!(dead.len(), 3);
    store.close().await;

    // A new process: a new pool, a new worker.
    let fresh = db.store().await;
    let cfg =
        channels(json!([{"name": "hook", "kind": "webhook", "url": rx.url("/hook/restart")}]));
    let (cancel, task) =
        start(Notifier::new(fresh.clone(), "new-engine".into(), cfg, fast()).unwrap());
    until("all five rows delivered", || async {
        fresh.outbox_counts().await.unwrap().1 == 5
    })
    .await;
    for row in &dead {
        let after = &fresh.outbox_for_event(row.event_id).await.unwrap()[0];
        assert!(
            after.delivered_at > claimed_at + 300,
            "a claimed row waits for the lease to run out"
        );
    }
    cancel.cancel();
    task.await.unwrap();
    let mut ids: Vec<i64> = rx
        .accepted("restart")
        .iter()
        .map(|b| b["event"]["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, [1, 2, 3, 4, 5]);
    fresh.close().await;
    db
}

on_every_backend!(
    dingtalk_signature_is_verified,
    slack_and_webhook_bodies,
    retries_with_backoff_until_accepted,
    racing_workers_deliver_each_row_once,
    pending_rows_survive_a_restart,
);
