//! The engine applies configuration changes live (within `engine.config_poll_secs`), honours the
//! `RMS_CONFIG` version gate, and keeps restart-required keys until it restarts.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use std::time::Duration;

use common::{Sandbox, free_port};
use nightwatch::domain::sysconfig::KeyState;
use nightwatch::engine::Engine;
use nightwatch::settings::Settings;
use nightwatch::store::{ConnectOptions, Store};
use nightwatch::sysconfig::{Input, SetRequest, SysConfig};
use tokio_util::sync::CancellationToken;

fn settings(sb: &Sandbox) -> Settings {
    let mut s = Settings::default();
    s.paths.data_dir = sb.dir.path().join("data");
    s.database.url = format!("sqlite://{}/nw.db?mode=rwc", sb.dir.path().display());
    s.engine.listen = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    s.engine.heartbeat_secs = 1;
    s.engine.lease_secs = 3;
    s.engine.config_poll_secs = 1;
    s
}

fn set(key: &str, value: serde_json::Value) -> SetRequest {
    SetRequest {
        key: key.into(),
        input: Input::Value(value),
        base_version: None,
        actor: "tester".into(),
        reason: "test".into(),
        allow_new: false,
    }
}

/// Wait (bounded) until the engine's adopted configuration satisfies `check`.
async fn until_effective(
    engine: &mut Engine,
    what: &str,
    check: impl Fn(&nightwatch::engine::config_watch::Effective) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !check(&engine.config.borrow_and_update()) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        assert!(!left.is_zero(), "not within 30 s: {what}");
        let _ = tokio::time::timeout(left, engine.config.changed()).await;
    }
}

/// Wait until the engine has looked at the configuration at least `n` more times.
async fn reloads_after(engine: &Engine, before: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while engine
        .metrics
        .config_reloads
        .load(std::sync::atomic::Ordering::Relaxed)
        <= before
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "engine never reloaded"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn changes_apply_live_by_their_rules() {
    let sb = Sandbox::new();
    let s = settings(&sb);
    let store = Store::connect(&s.database_url(), &ConnectOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let cfg = SysConfig::from_settings(store.clone(), &s);
    let cancel = CancellationToken::new();
    let mut engine = Engine::start(&s, store.clone(), cancel.clone())
        .await
        .unwrap();
    let rms = engine.config.borrow().get("RMS_CONFIG");
    assert_eq!(rms["version"], "v3", "generated default adopted at start");
    assert_eq!(
        rms["token"].as_str().unwrap().len(),
        32,
        "the engine sees the secret in clear"
    );

    // An ordinary key applies at once.
    cfg.set(set("WEB_PROTOCOL", serde_json::json!("TCP")))
        .await
        .unwrap();
    until_effective(&mut engine, "WEB_PROTOCOL=TCP", |e| {
        e.get("WEB_PROTOCOL") == "TCP"
    })
    .await;

    // RMS_CONFIG without raising `version`: saved, but not applied, and shown as such.
    let mut edited = rms.clone();
    edited["hostName"] = serde_json::json!("rms.internal");
    let before = engine
        .metrics
        .config_reloads
        .load(std::sync::atomic::Ordering::Relaxed);
    cfg.set(set("RMS_CONFIG", edited.clone())).await.unwrap();
    reloads_after(&engine, before).await;
    assert_eq!(
        engine.config.borrow().get("RMS_CONFIG")["hostName"],
        "127.0.0.1",
        "version not raised"
    );
    assert_eq!(
        cfg.get("RMS_CONFIG").await.unwrap().state,
        KeyState::NotApplied
    );

    // Raising `version` applies it.
    edited["version"] = serde_json::json!("v4");
    cfg.set(set("RMS_CONFIG", edited)).await.unwrap();
    until_effective(&mut engine, "RMS hostName", |e| {
        e.get("RMS_CONFIG")["hostName"] == "rms.internal"
    })
    .await;
    assert_eq!(
        cfg.get("RMS_CONFIG").await.unwrap().state,
        KeyState::Modified
    );

    // A restart-required key waits for the restart.
    let before = engine
        .metrics
        .config_reloads
        .load(std::sync::atomic::Ordering::Relaxed);
    cfg.set(set("META_SYNC_INTERVAL", serde_json::json!(7_200_000)))
        .await
        .unwrap();
    reloads_after(&engine, before).await;
    assert_eq!(engine.config.borrow().get("META_SYNC_INTERVAL"), 21_600_000);
    assert_eq!(
        cfg.get("META_SYNC_INTERVAL").await.unwrap().state,
        KeyState::RestartNeeded
    );
    engine.shutdown().await;

    let mut s2 = settings(&sb);
    s2.database.url = s.database.url.clone();
    let cancel = CancellationToken::new();
    let engine = Engine::start(&s2, store.clone(), cancel.clone())
        .await
        .unwrap();
    assert_eq!(
        engine.config.borrow().get("META_SYNC_INTERVAL"),
        7_200_000,
        "adopted at restart"
    );
    assert_eq!(
        cfg.get("META_SYNC_INTERVAL").await.unwrap().state,
        KeyState::Modified
    );
    engine.shutdown().await;
}
