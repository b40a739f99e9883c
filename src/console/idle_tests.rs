//! An idle console reads change stamps and nothing else (issue 13): the Overview, the Config
//! pane, the Events page and statistics, and an open event's detail each poll with the stamp of
//! what they show; the real runtime ([`perform`]) over a real SQLite store answers `…_unchanged`
//! without reading the rest, and reads again as soon as something changed. Asserted on the answers
//! the runtime gives (each `…_unchanged` is returned before any other query), not on timings.

use super::action::Action;
use super::app::App;
use super::effect::Effect;
use super::fixture;
use super::runtime::{EffectIo, perform};
use crate::domain::event::{Incoming, Level};
use crate::domain::time::now_ms;
use crate::store::{ConnectOptions, EventAction, IngestItem, Store};
use crate::sysconfig::{Input, SetRequest, SysConfig};

struct Harness {
    app: App,
    io: EffectIo,
    now: i64,
}

impl Harness {
    /// Feed `action`, perform every effect it asks for (and theirs) with the real runtime, and
    /// return the names of the answers.
    async fn act(&mut self, action: Action) -> Vec<&'static str> {
        let mut answers = Vec::new();
        let mut queue: Vec<Effect> = self.app.update(action);
        while !queue.is_empty() {
            let effect = queue.remove(0);
            if matches!(effect, Effect::LoadTheme(_) | Effect::Bell) {
                continue;
            }
            let answer = perform(&self.io, effect).await;
            answers.push(answer.name());
            queue.extend(self.app.update(answer));
        }
        answers
    }

    /// One refresh period later.
    async fn tick(&mut self) -> Vec<&'static str> {
        self.now += 1_100;
        self.act(Action::Tick(self.now)).await
    }

    /// Three idle periods: every answer must be one of `allowed`.
    async fn idle(&mut self, what: &str, allowed: &[&str]) {
        for _ in 0..3 {
            let answers = self.tick().await;
            assert!(
                answers.iter().all(|a| allowed.contains(a)),
                "{what}: idle, something was read again: {answers:?}"
            );
        }
    }
}

fn alert(fp: &str) -> IngestItem {
    IngestItem {
        incoming: Incoming {
            fingerprint: fp.to_owned(),
            source: "alertmanager".to_owned(),
            ds_type: "STACK#redis".to_owned(),
            level: Level::P1,
            title: format!("{fp} down"),
            summary: String::new(),
            labels: [("alertname".to_owned(), fp.to_owned())].into(),
            annotations: Default::default(),
            component: "redis-a".to_owned(),
            firing: true,
            starts_at: 100,
            source_url: String::new(),
        },
        keep: true,
    }
}

#[tokio::test]
async fn an_idle_console_reads_only_change_stamps_and_reads_again_after_a_change() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nw.db?mode=rwc", dir.path().display());
    let store = Store::connect(&url, &ConnectOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let cfg = SysConfig::new(store.clone(), dir.path().to_path_buf(), None, false);
    cfg.seed_generated().await.unwrap();
    store
        .ingest_batch(&[alert("RedisDown")], &[], now_ms())
        .await
        .unwrap();
    let now = now_ms();
    let mut h = Harness {
        app: App::new(fixture::config(false), fixture::db(), now),
        io: EffectIo {
            store: store.clone(),
            sysconfig: cfg.clone(),
            config_dir: dir.path().join("config"),
            read_only: false,
        },
        now,
    };

    // Overview: the first poll reads everything, then only stamps.
    let first = h.tick().await;
    assert!(first.contains(&"overview_loaded"), "{first:?}");
    assert!(first.contains(&"event_stats_loaded"), "{first:?}");
    let audit_before = h.app.overview.as_ref().unwrap().audit_total;
    h.idle(
        "Overview",
        &[
            "overview_unchanged",
            "event_stats_unchanged",
            "urgent_checked",
        ],
    )
    .await;

    // Config: the list once, then only its stamp.
    let shown = h.act(Action::Config).await;
    assert!(shown.contains(&"config_loaded"), "{shown:?}");
    h.idle(
        "Config",
        &["overview_unchanged", "config_unchanged", "urgent_checked"],
    )
    .await;
    // A save (written elsewhere: another console) is read at the next poll, and the audit log
    // that grew with it is counted again.
    cfg.set(SetRequest {
        key: "WEB_PROTOCOL".into(),
        input: Input::Value(serde_json::json!("HTTPS")),
        base_version: None,
        actor: "elsewhere".into(),
        reason: "idle test".into(),
        allow_new: false,
    })
    .await
    .unwrap();
    let after = h.tick().await;
    assert!(after.contains(&"config_loaded"), "{after:?}");
    assert!(after.contains(&"overview_loaded"), "{after:?}");
    let view = h.app.sysconf.views.iter().find(|v| v.key == "WEB_PROTOCOL");
    assert_eq!(
        view.map(|v| v.value.clone()),
        Some(serde_json::json!("HTTPS"))
    );
    let audit_now = h.app.overview.as_ref().unwrap().audit_total;
    assert!(audit_now > audit_before, "{audit_before} → {audit_now}");
    assert_eq!(
        audit_now,
        store.overview().await.unwrap().audit_total,
        "the stamped count is the full count"
    );

    // An open event detail: read once, then only its stamp (the list's stamp too).
    h.act(Action::Events).await;
    let opened = h.act(Action::Select).await;
    assert!(opened.contains(&"event_detail_loaded"), "{opened:?}");
    h.idle(
        "event detail",
        &[
            "overview_unchanged",
            "event_detail_unchanged",
            "events_unchanged",
            "urgent_checked",
        ],
    )
    .await;
    // Acknowledged on another console: the detail and the list read again.
    let id = h.app.events.detail.as_ref().unwrap().id;
    store
        .event_action(
            &[id],
            &EventAction::Ack {
                note: String::new(),
            },
            "bob",
            now_ms(),
        )
        .await
        .unwrap();
    let after = h.tick().await;
    assert!(after.contains(&"event_detail_loaded"), "{after:?}");
    let detail = h.app.events.detail.as_ref().unwrap();
    assert_eq!(
        detail.event.as_ref().map(|e| e.status.as_str()),
        Some("acked")
    );
}
