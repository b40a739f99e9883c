//! A receiver that echoes what it was called with (DingTalk echoes the `access_token` of a refused
//! call; a proxy's error page quotes the whole URL): the engine scrubs every secret in use from
//! the answer before the outbox error, the event's timeline or a log line holds it. The
//! configuration is built the way the engine builds it (`Effective::rescrub`), on every backend.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::Query;
use axum::http::{StatusCode, Uri};
use axum::routing::post;
use nightwatch::domain::event::Level;
use nightwatch::engine::config_watch::Effective;
use nightwatch::engine::notify::Notifier;
use nightwatch::store::Store;
use serde_json::json;
use tokio::sync::watch;

use crate::common::TestDb;
use crate::support::{fast, notification};
use crate::{drained, enqueue, start};

const TOKEN: &str = "c0ffee9d1ce5b0a7d4c3b2a1e0f9e8d7c6b5a4f3";
const HOOK_SECRET: &str = "hook-s3cr3t-value-77";

/// DingTalk's refusal quotes the token; the webhook's 502 page quotes the full request URL.
async fn start_echo() -> String {
    let app = axum::Router::new()
        .route(
            "/robot/send",
            post(|Query(q): Query<HashMap<String, String>>| async move {
                let t = q.get("access_token").cloned().unwrap_or_default();
                Json(json!({"errcode": 300005, "errmsg": format!("token is not exist: access_token={t}")}))
            }),
        )
        .route(
            "/hook",
            post(|uri: Uri| async move {
                (StatusCode::BAD_GATEWAY, format!("upstream refused POST {uri}"))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

async fn an_echoed_token_never_reaches_the_outbox_or_the_timeline(
    store: Store,
    db: TestDb,
) -> TestDb {
    let base = start_echo().await;
    let mut e = Effective::default();
    e.values.insert(
        "NOTIFY_CHANNELS".to_owned(),
        (
            1,
            json!({"channels": [
                {"name": "ding", "kind": "dingtalk", "url": format!("{base}/robot/send?access_token={TOKEN}")},
                {"name": "hook", "kind": "webhook", "url": format!("{base}/hook?key={HOOK_SECRET}"), "secret": "x"},
            ]}),
        ),
    );
    e.rescrub();
    let cfg = watch::channel(Arc::new(e)).1;
    enqueue(&store, "ding", &notification(21, Level::P0)).await;
    enqueue(&store, "hook", &notification(22, Level::P0)).await;
    let (cancel, task) = start(Notifier::new(store.clone(), "w1".into(), cfg, fast()).unwrap());
    drained(&store).await;
    cancel.cancel();
    task.await.unwrap();
    for event in [21, 22] {
        let row = &store.outbox_for_event(event).await.unwrap()[0];
        assert_eq!(row.status, "failed", "{row:?}");
        let timeline =
            serde_json::to_string(&store.notification_log(event).await.unwrap()).unwrap();
        for text in [&row.last_error, &timeline] {
            assert!(
                !text.contains(TOKEN) && !text.contains(HOOK_SECRET),
                "a secret reached the store: {text}"
            );
        }
        // The answer itself is kept (it explains the refusal), the secret masked in it.
        assert!(row.last_error.contains("******"), "{}", row.last_error);
    }
    let ding = &store.outbox_for_event(21).await.unwrap()[0].last_error;
    assert!(
        ding.contains("token is not exist: access_token=******"),
        "{ding}"
    );
    db
}

crate::on_every_backend!(an_echoed_token_never_reaches_the_outbox_or_the_timeline);
