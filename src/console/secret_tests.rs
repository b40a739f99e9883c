//! No secret reaches the screen or the log. Secrets are saved through the real [`SysConfig`] over a
//! temporary SQLite database, every effect the console asks for is performed by the real runtime
//! code ([`perform`]), and every pane, popup and Config screen is drawn at 80×24 and 160×48
//! (list, value, editor, review + confirm, history of every version, conflict, rollback) while a
//! tracing subscriber captures the log. Neither a buffer nor the log may contain a secret, nor the
//! first eight characters of one (a wrapped line could split it).

use std::sync::{Arc, Mutex};

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::action::{Action, ConfigAction, Operation};
use super::app::App;
use super::effect::Effect;
use super::fixture;
use super::runtime::{EffectIo, perform};
use super::tab::Tab;
use crate::domain::Danger;
use crate::domain::sysconfig::{REGISTRY, secret_pointers};
use crate::store::{ConnectOptions, Store};
use crate::sysconfig::{Input, SetRequest, SysConfig};

const ASO_SECRET: &str = "Sup3rS3cret-ASO-accessKeyInfo-4711";
const IAM_SECRET: &str = "hunter2-IAM-Passw0rd-0815";
const IAM_DESC_SECRET: &str = "Desc-Passw0rd-for-IAM-7777";
const ROTATED: &str = "R0tated-ASO-accessKey-9922";

#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct Harness {
    app: App,
    io: EffectIo,
    secrets: Vec<String>,
    frames: usize,
}

impl Harness {
    /// Feed an action, then perform every effect it asks for (and theirs) with the real runtime.
    async fn act(&mut self, action: Action) {
        let mut queue: Vec<Effect> = self.app.update(action);
        while !queue.is_empty() {
            let effect = queue.remove(0);
            if matches!(effect, Effect::LoadTheme(_) | Effect::LoadOverview { .. }) {
                continue;
            }
            let answer = perform(&self.io, effect).await;
            queue.extend(self.app.update(answer));
        }
    }

    /// Draw at both sizes; no secret may appear.
    fn check(&mut self, what: &str) {
        for (w, h) in [(80, 24), (160, 48)] {
            let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
            terminal
                .draw(|f| f.render_widget(&self.app, f.area()))
                .unwrap();
            let screen = terminal.backend().to_string();
            for s in &self.secrets {
                let head: String = s.chars().take(8).collect();
                assert!(
                    !screen.contains(s.as_str()) && !screen.contains(&head),
                    "{what} at {w}x{h} shows a secret:\n{screen}"
                );
            }
            self.frames += 1;
        }
    }

    fn editor_text(&self) -> String {
        self.app.sysconf.editor().unwrap().text()
    }
}

fn set(key: &str, value: serde_json::Value, actor: &str) -> SetRequest {
    SetRequest {
        key: key.into(),
        input: Input::Value(value),
        base_version: None,
        actor: actor.into(),
        reason: "secret test".into(),
        allow_new: false,
    }
}

#[tokio::test]
async fn no_secret_reaches_any_buffer_or_the_log() {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let _log = tracing::subscriber::set_default(subscriber);

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nw.db?mode=rwc", dir.path().display());
    let store = Store::connect(&url, &ConnectOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let cfg = SysConfig::new(store.clone(), dir.path().to_path_buf(), None, false);
    cfg.seed_generated().await.unwrap();
    let aso = serde_json::json!({"endPoint": "https://aso.internal", "accessKeyInfo": ASO_SECRET});
    cfg.set(set("ASO_API_CONFIG", aso, "alice")).await.unwrap();
    let iam = serde_json::json!({"iamUser": "admin", "iamUserPassword": IAM_SECRET, "iamUserDescPassword": IAM_DESC_SECRET});
    cfg.set(set("IAM_CONFIG", iam, "alice")).await.unwrap();

    // Every secret now stored (including the generated ones), in clear, to look for.
    let mut secrets: Vec<String> = vec![ROTATED.into()];
    for spec in REGISTRY {
        let value = cfg.reveal(spec.name, "secret-test").await.unwrap();
        for p in secret_pointers(Some(spec), &value) {
            if let Some(s) = value.pointer(&p).and_then(|v| v.as_str())
                && s.len() >= 8
            {
                secrets.push(s.to_owned());
            }
        }
    }
    for s in [ASO_SECRET, IAM_SECRET, IAM_DESC_SECRET] {
        assert!(secrets.iter().any(|x| x == s), "{s} is stored as a secret");
    }
    assert!(
        secrets.len() >= 5,
        "generated secrets found too: {}",
        secrets.len()
    );

    let io = EffectIo {
        store,
        sysconfig: cfg.clone(),
        config_dir: dir.path().join("config"),
        read_only: false,
    };
    let mut h = Harness {
        app: fixture::app(false),
        io,
        secrets,
        frames: 0,
    };

    // Every tab and the generic popups.
    for tab in [
        Tab::Overview,
        Tab::Events,
        Tab::Dr,
        Tab::Inspections,
        Tab::Plans,
    ] {
        h.app.tab = tab;
        h.check(&format!("tab {tab}"));
    }
    h.act(Action::Overview).await;
    h.act(Action::Help).await;
    h.check("help");
    h.act(Action::Back).await;
    h.act(Action::Bottom).await;
    h.act(Action::Menu).await;
    h.check("menu");
    h.act(Action::Back).await;
    h.act(Action::Select).await;
    h.check("detail");
    h.act(Action::Back).await;
    for danger in [Danger::G1, Danger::G2, Danger::G3] {
        let op = Operation::Test {
            danger,
            target: "db".into(),
        };
        h.act(Action::Request(op)).await;
        h.check("confirmation");
        h.act(Action::No).await;
    }

    // The Config pane: the list, then every key's value, editor and history.
    h.act(Action::Config).await;
    assert!(
        h.app.sysconf.loaded,
        "the list came through the real service"
    );
    h.check("config list");
    let keys: Vec<String> = h.app.sysconf.views.iter().map(|v| v.key.clone()).collect();
    for key in &keys {
        h.act(Action::OpenConfigKey(key.clone())).await;
        h.check(&format!("value of {key}"));
        h.act(Action::PageDown).await;
        h.check(&format!("value of {key}, scrolled"));
        h.act(Action::OnConfig(ConfigAction::Edit)).await;
        h.check(&format!("editor of {key}"));
        h.act(Action::Back).await;
        h.act(Action::OnConfig(ConfigAction::History)).await;
        let versions = h
            .app
            .sysconf
            .history_mut()
            .unwrap()
            .entries
            .clone()
            .unwrap()
            .len();
        for _ in 0..versions.max(1) {
            h.check(&format!("history of {key}"));
            h.act(Action::Down).await;
        }
        h.act(Action::Back).await;
    }

    // Edit keys holding secrets, review, confirm, save for real; then their history and rollback.
    for (key, from, to) in [
        (
            "ASO_API_CONFIG",
            "https://aso.internal",
            "https://aso2.internal",
        ),
        ("IAM_CONFIG", "\"admin\"", "\"root\""),
    ] {
        h.act(Action::OpenConfigKey(key.into())).await;
        h.act(Action::OnConfig(ConfigAction::Edit)).await;
        let text = h.editor_text().replace(from, to);
        h.app.sysconf.editor_mut().unwrap().set_text(&text);
        h.act(Action::OnConfig(ConfigAction::Save)).await;
        h.check(&format!("review of {key}"));
        h.act(Action::Paste("CHG-9 secret test".into())).await;
        h.act(Action::Submit).await;
        let msg = h.app.message.clone().unwrap();
        assert!(msg.text.contains("saved v"), "{key}: {msg:?}");
        h.check(&format!("{key} saved"));
        h.act(Action::OnConfig(ConfigAction::History)).await;
        h.check(&format!("history of {key}"));
        h.act(Action::Bottom).await;
        h.act(Action::OnConfig(ConfigAction::Rollback)).await;
        h.check(&format!("rollback review of {key}"));
        h.act(Action::No).await;
        h.act(Action::Back).await;
    }
    let iam = cfg.reveal("IAM_CONFIG", "secret-test").await.unwrap();
    assert_eq!(
        iam["iamUserPassword"], IAM_SECRET,
        "the masked edit kept the secret"
    );

    // A conflict: someone rotates the ASO secret while the console edits the key.
    h.act(Action::OpenConfigKey("ASO_API_CONFIG".into())).await;
    h.act(Action::OnConfig(ConfigAction::Edit)).await;
    let aso = serde_json::json!({"endPoint": "https://aso3.internal", "accessKeyInfo": ROTATED});
    cfg.set(set("ASO_API_CONFIG", aso, "bob")).await.unwrap();
    let text = h.editor_text().replace("aso2", "aso4");
    h.app.sysconf.editor_mut().unwrap().set_text(&text);
    h.act(Action::OnConfig(ConfigAction::Save)).await;
    h.act(Action::Paste("CHG-10".into())).await;
    h.act(Action::Submit).await;
    let conflict = h.app.sysconf.editor().unwrap().conflict.clone().unwrap();
    assert!(conflict.theirs.is_some(), "their change was loaded");
    h.check("conflict");
    h.act(Action::OnConfig(ConfigAction::Reapply)).await;
    h.check("review after re-apply");
    h.act(Action::Paste("CHG-10 on top".into())).await;
    h.act(Action::Submit).await;
    h.check("saved after re-apply");
    let aso = cfg.reveal("ASO_API_CONFIG", "secret-test").await.unwrap();
    assert_eq!(
        aso["accessKeyInfo"], ROTATED,
        "re-applied on top keeps their secret"
    );
    assert_eq!(aso["endPoint"], "https://aso4.internal");

    // A switch toggle, confirmed and saved.
    h.act(Action::OpenConfigKey("useAke".into())).await;
    h.act(Action::OnConfig(ConfigAction::Toggle)).await;
    h.check("switch review");
    h.act(Action::Paste("CHG-11".into())).await;
    h.act(Action::Submit).await;
    h.check("switch saved");

    assert!(h.frames > 100, "drew {} frames", h.frames);
    let log = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(
        log.contains("configuration saved"),
        "the log was captured:\n{log}"
    );
    for s in &h.secrets {
        let head: String = s.chars().take(8).collect();
        assert!(
            !log.contains(s.as_str()) && !log.contains(&head),
            "the log shows a secret:\n{log}"
        );
    }
}
