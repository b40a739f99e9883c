//! End to end through a started engine: events posted to the ingest API are stored, routed by each
//! channel's levels to the outbox, and delivered by the engine's notifier with `NOTIFY_CHANNELS` as
//! saved through the system configuration (URL and secret sealed at rest, in clear only inside the
//! engine), DingTalk signed; and the engine still stops promptly.

use std::time::{Duration, Instant};

use nightwatch::engine::Engine;
use nightwatch::settings::Settings;
use nightwatch::store::{ConnectOptions, Store};
use nightwatch::sysconfig::{Input, SetRequest, SysConfig};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::SECRET;
use crate::common::{Sandbox, free_port};
use crate::support::{Receiver, until};

/// A sandbox with settings for an engine on the embedded SQLite, its migrated store, and the
/// system configuration over it.
async fn fresh() -> (Sandbox, Settings, Store, SysConfig) {
    let sb = Sandbox::new();
    let mut s = Settings::default();
    s.paths.data_dir = sb.dir.path().join("data");
    s.database.url = format!("sqlite://{}/nw.db?mode=rwc", sb.dir.path().display());
    s.engine.listen = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let store = Store::connect(&s.database_url(), &ConnectOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let cfg = SysConfig::from_settings(store.clone(), &s);
    (sb, s, store, cfg)
}

#[tokio::test]
async fn ingested_events_reach_the_channels_that_want_them() {
    let (_sb, s, store, cfg) = fresh().await;

    let rx = Receiver::start(SECRET).await;
    let channels = json!({"channels": [
        {"name": "oncall", "kind": "dingtalk", "secret": SECRET, "url": rx.url("/robot/send?access_token=TOKEN")},
        {"name": "p0-only", "kind": "webhook", "url": rx.url("/hook/p0"), "levels": ["P0"]},
    ]});
    let set = SetRequest {
        key: "NOTIFY_CHANNELS".into(),
        input: Input::Value(channels),
        base_version: None,
        actor: "tester".into(),
        reason: "test".into(),
        allow_new: false,
    };
    cfg.set(set).await.unwrap();
    let stored = store.get_config("NOTIFY_CHANNELS").await.unwrap().unwrap();
    assert!(
        !stored.value.contains("TOKEN") && !stored.value.contains(SECRET),
        "sealed at rest"
    );

    let engine = Engine::start(&s, store.clone(), CancellationToken::new())
        .await
        .unwrap();
    let (_, auth) = cfg.effective("INGEST_AUTH").await.unwrap();
    let token = auth["api"]["token"].as_str().unwrap().to_owned();
    // A sender as the README asks: a 503 means "nothing stored, come back" (shortened from its
    // Retry-After here). Anything else but 200 fails the test.
    let post = |body: Value| {
        let url = format!("http://{}/api/v1/events", engine.listen);
        let token = token.clone();
        async move {
            for _ in 0..50 {
                let r = reqwest::Client::new()
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                if status.is_success() {
                    return;
                }
                let text = r.text().await.unwrap();
                assert_eq!(status, 503, "{text}");
                eprintln!("503, retrying: {text}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("still 503 after 50 tries");
        }
    };
    let event = |fp: &str, level: &str, status: &str| {
        let title = format!("disk full {fp}");
        json!({"title": title, "level": level, "status": status, "fingerprint": fp, "component": "db-1"})
    };
    post(json!([
        event("a", "P1", "firing"),
        event("b", "P0", "firing")
    ]))
    .await;
    post(event("a", "P1", "resolved")).await;

    // oncall (P0/P1 by default, resolutions on): a, b, a resolved. p0-only: b.
    until("4 deliveries", || async {
        store.outbox_counts().await.unwrap() == (0, 4, 0)
    })
    .await;
    assert_eq!(rx.rejected("robot"), 0, "signed with the secret in clear");
    let titles: Vec<String> = rx
        .accepted("robot")
        .iter()
        .map(|b| b["markdown"]["title"].as_str().unwrap().to_owned())
        .collect();
    for want in [
        "[P1] FIRING: disk full a",
        "[P0] FIRING: disk full b",
        "[P1] RESOLVED: disk full a",
    ] {
        assert!(titles.iter().any(|t| t == want), "{want} in {titles:?}");
    }
    let p0 = rx.accepted("p0");
    assert_eq!(p0.len(), 1, "a P1 event never reaches a P0-only channel");
    assert_eq!(p0[0]["event"]["level"], "P0");
    let id = p0[0]["event"]["id"].as_i64().unwrap();
    let log = store.notification_log(id).await.unwrap();
    let mut sent: Vec<&str> = log.iter().map(|l| l.message.as_str()).collect();
    sent.sort_unstable();
    assert_eq!(sent, ["sent to oncall", "sent to p0-only"]);

    let t = Instant::now();
    engine.shutdown().await;
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "shutdown took {:?}",
        t.elapsed()
    );
    store.close().await;
}

/// A finished inspection run pushes its summary to the task's `notify` channels, and the risk
/// event its failing check raises is routed like any other event (by level and source).
#[tokio::test]
async fn an_inspection_run_summary_reaches_the_tasks_channels() {
    use nightwatch::domain::content::{Targets, load_bundle};
    use nightwatch::domain::time::now_ms;

    let (_sb, s, store, cfg) = fresh().await;
    let rx = Receiver::start(SECRET).await;
    let channels = json!({"channels": [
        {"name": "oncall", "kind": "dingtalk", "secret": SECRET, "url": rx.url("/robot/send?access_token=TOKEN")},
        {"name": "inspections", "kind": "webhook", "url": rx.url("/hook/insp"),
         "levels": ["P0", "P1", "P2", "P3"], "sources": ["inspection"]},
    ]});
    cfg.set(SetRequest {
        key: "NOTIFY_CHANNELS".into(),
        input: Input::Value(channels),
        base_version: None,
        actor: "tester".into(),
        reason: "test".into(),
        allow_new: false,
    })
    .await
    .unwrap();

    // A port nobody listens on: the check fails on the first run.
    let port = free_port();
    let content = format!(
        "[[component]]\nname = \"svc-1\"\nkind = \"svc\"\nlayer = \"business\"\n\
         endpoints = {{ host = \"127.0.0.1\", port = {port} }}\n\n\
         [[rule]]\nname = \"svc-port\"\nprobe = {{ kind = \"tcp\" }}\n\
         condition = \"[CONNECTED] == true\"\nlevel = \"P1\"\ntargets = {{ kind = \"svc\" }}\n\n\
         [[task]]\nname = \"svc\"\nrules = [\"svc-port\"]\nevery = \"1h\"\ntimeout = \"2s\"\n\
         notify = [\"oncall\", \"inspections\", \"gone\"]\n"
    );
    let bundle = load_bundle(
        &[("svc.toml".into(), content)],
        &[],
        &[],
        Targets::MustExist,
        &|_| Ok(()),
    )
    .unwrap();
    store
        .apply_bundle(&bundle, false, "tester", now_ms())
        .await
        .unwrap();

    let engine = Engine::start(&s, store.clone(), CancellationToken::new())
        .await
        .unwrap();
    // Applied with `next_run` = now: the scheduler queues the first run at once.
    // oncall: the summary + the P1 event; inspections: the summary + the event; gone: fails.
    until("the run's five deliveries", || async {
        store.outbox_counts().await.unwrap() == (0, 4, 1)
    })
    .await;
    let runs = store.list_runs(Some("svc"), 10).await.unwrap();
    assert_eq!(runs.len(), 1, "one scheduled run: {runs:?}");
    assert_eq!(runs[0].status, "failed");
    let run = runs[0].id;

    let titles: Vec<String> = rx
        .accepted("robot")
        .iter()
        .map(|b| b["markdown"]["title"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        titles.contains(
            &"[inspection] svc: FAILED (1 failed, 0 errors, 0 warnings of 1 checks)".to_owned()
        ),
        "{titles:?}"
    );
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("[P1] FIRING: [CONNECTED] == true is false on svc-1")),
        "the inspection event is routed to a P1 channel: {titles:?}"
    );
    assert_eq!(rx.rejected("robot"), 0);
    let hook = rx.accepted("insp");
    let notice = hook
        .iter()
        .find(|b| b["kind"] == "inspection-run")
        .unwrap_or_else(|| panic!("no summary in {hook:?}"));
    assert_eq!(notice["task"], "svc");
    assert_eq!(notice["run_id"], run);
    assert_eq!(notice["fail"], 1);
    assert_eq!(notice["failures"][0]["rule"], "svc-port");
    assert_eq!(notice["failures"][0]["target"], "svc-1");
    assert!(
        hook.iter()
            .any(|b| b["event"]["fingerprint"] == "inspection:svc-port:svc-1"),
        "{hook:?}"
    );
    // The channel named by the task but not configured fails visibly, naming itself.
    let notices = store
        .outbox_for_event(nightwatch::store::NO_EVENT)
        .await
        .unwrap();
    let status: Vec<(&str, &str)> = notices
        .iter()
        .map(|o| (o.channel.as_str(), o.status.as_str()))
        .collect();
    assert_eq!(
        status,
        [
            ("oncall", "delivered"),
            ("inspections", "delivered"),
            ("gone", "failed")
        ]
    );
    assert!(
        notices[2].last_error.contains("not configured"),
        "{notices:?}"
    );
    assert!(
        store
            .notification_log(nightwatch::store::NO_EVENT)
            .await
            .unwrap()
            .is_empty(),
        "a run summary writes no event timeline"
    );
    engine.shutdown().await;
    store.close().await;
}
