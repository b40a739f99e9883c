//! System configuration on every backend: versions, history, rollback, conflicts between writers,
//! secrets sealed at rest and masked everywhere, bad input refused with nothing saved.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use common::TestDb;
use nightwatch::domain::sysconfig::{KeyState, MASK};
use nightwatch::store::Store;
use nightwatch::sysconfig::{ConfigError, Input, SetRequest, SysConfig};
use serde_json::json;

const SECRET: &str = "Sup3r-Secret-AK-4711";

fn service(store: &Store, dir: &std::path::Path) -> SysConfig {
    SysConfig::new(store.clone(), dir.to_path_buf(), None, false)
}

fn set(key: &str, text: &str, base: Option<i64>, actor: &str) -> SetRequest {
    SetRequest {
        key: key.into(),
        input: Input::Text(text.into()),
        base_version: base,
        actor: actor.into(),
        reason: "CHG-1 test".into(),
        allow_new: false,
    }
}

async fn versions_history_and_rollback(store: Store, db: TestDb) -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let cfg = service(&store, dir.path());
    let v = cfg.get("YUNYOU_VERSION").await.unwrap();
    assert_eq!(
        (v.version, v.value.clone(), v.state.clone()),
        (0, json!("4.4.1"), KeyState::Default)
    );

    cfg.set(set("YUNYOU_VERSION", "4.4.2", None, "alice"))
        .await
        .unwrap();
    let v2 = cfg
        .set(set("YUNYOU_VERSION", "4.5.0", None, "bob"))
        .await
        .unwrap();
    assert_eq!((v2.version, v2.state.clone()), (2, KeyState::Modified));
    assert_eq!(v2.updated_by, "bob");

    let h = cfg.history("YUNYOU_VERSION").await.unwrap();
    assert_eq!(
        h.iter().map(|e| e.version).collect::<Vec<_>>(),
        vec![2, 1],
        "nothing overwritten"
    );
    assert_eq!(h[1].value, json!("4.4.2"));
    assert!(
        h[0].diff
            .iter()
            .any(|l| l.tag == '+' && l.text.contains("4.5.0"))
    );
    assert!(
        h[0].diff
            .iter()
            .any(|l| l.tag == '-' && l.text.contains("4.4.2"))
    );

    let back = cfg
        .rollback("YUNYOU_VERSION", 1, None, "carol", "bad upgrade")
        .await
        .unwrap();
    assert_eq!(
        (back.version, back.value.clone()),
        (3, json!("4.4.2")),
        "rollback is a new version"
    );
    let h = cfg.history("YUNYOU_VERSION").await.unwrap();
    assert_eq!(h[0].action, "rollback");
    assert!(h[0].reason.contains("rollback to v1"));

    let err = cfg
        .rollback("YUNYOU_VERSION", 9, None, "carol", "x")
        .await
        .unwrap_err();
    assert!(
        matches!(err, ConfigError::NoSuchVersion { latest: 3, .. }),
        "{err}"
    );
    let err = cfg
        .set(set("YUNYOU_VERSION", "4.4.2", None, "dave"))
        .await
        .unwrap_err();
    assert!(matches!(err, ConfigError::NoChange { .. }), "{err}");

    let audit = store.list_audit(10).await.unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|a| a.target == "YUNYOU_VERSION")
            .count(),
        3,
        "every save audited"
    );
    assert!(
        audit
            .iter()
            .all(|a| a.danger == nightwatch::domain::Danger::G2)
    );
    db
}

async fn two_writers_conflict_and_the_loser_learns_who_won(store: Store, db: TestDb) -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (service(&store, dir.path()), service(&store, dir.path()));
    let base = a.get("RISK_DASHBOARD_CONFIG").await.unwrap().version;
    let mut doc = a.get("RISK_DASHBOARD_CONFIG").await.unwrap().value;
    doc["riskLevelMap"]["P2"] = json!(true);
    a.set(set(
        "RISK_DASHBOARD_CONFIG",
        &doc.to_string(),
        Some(base),
        "alice",
    ))
    .await
    .unwrap();
    doc["riskLevelMap"]["P3"] = json!(true);
    let err = b
        .set(set(
            "RISK_DASHBOARD_CONFIG",
            &doc.to_string(),
            Some(base),
            "bob",
        ))
        .await
        .unwrap_err();
    let (current, by, _) = err.conflict().expect("a conflict");
    assert_eq!((current, by), (1, "alice"));
    assert!(
        err.to_string().contains("alice") && err.to_string().contains("current version is 1"),
        "{err}"
    );
    let now = b.get("RISK_DASHBOARD_CONFIG").await.unwrap();
    assert_eq!(
        now.value["riskLevelMap"]["P3"],
        json!(false),
        "the loser wrote nothing"
    );

    // Two writers racing on the same base: exactly one wins.
    let mut tasks = Vec::new();
    for i in 0..6 {
        let s = service(&store, dir.path());
        tasks.push(tokio::spawn(async move {
            s.set(set(
                "WEB_POSTFIX",
                &format!("site{i}.example"),
                Some(0),
                &format!("op{i}"),
            ))
            .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => assert!(e.conflict().is_some(), "{e}"),
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(a.history("WEB_POSTFIX").await.unwrap().len(), 1);
    db
}

async fn secrets_are_sealed_at_rest_masked_when_shown_and_kept_on_masked_edits(
    store: Store,
    db: TestDb,
) -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let cfg = service(&store, dir.path());
    let value =
        json!({"endPoint": "https://aso.local", "accessKeyInfo": SECRET, "socketTimeout": 10000});
    cfg.set(set("ASO_API_CONFIG", &value.to_string(), None, "alice"))
        .await
        .unwrap();

    let raw = store
        .get_config("ASO_API_CONFIG")
        .await
        .unwrap()
        .unwrap()
        .value;
    assert!(
        !raw.contains(SECRET) && raw.contains("enc:v1:"),
        "sealed at rest: {raw}"
    );
    let shown = cfg.get("ASO_API_CONFIG").await.unwrap();
    assert_eq!(shown.value["accessKeyInfo"], MASK);
    assert!(shown.has_secrets);

    // Editing the non-secret part with the mask left in place keeps the secret.
    let mut edit = shown.value.clone();
    edit["socketTimeout"] = json!(20000);
    cfg.set(set("ASO_API_CONFIG", &edit.to_string(), None, "bob"))
        .await
        .unwrap();
    let (_, clear) = cfg.effective("ASO_API_CONFIG").await.unwrap();
    assert_eq!(clear["accessKeyInfo"], SECRET);
    assert_eq!(clear["socketTimeout"], 20000);

    // Rotating the secret shows as changed, never in clear.
    let mut rotate = edit.clone();
    rotate["accessKeyInfo"] = json!("another-secret-value");
    cfg.set(set("ASO_API_CONFIG", &rotate.to_string(), None, "bob"))
        .await
        .unwrap();
    let history = serde_json::to_string(&cfg.history("ASO_API_CONFIG").await.unwrap()).unwrap();
    assert!(history.contains("(changed)"), "{history}");
    let export = cfg.export().await.unwrap().to_string();
    let audit = serde_json::to_string(&store.list_audit(100).await.unwrap()).unwrap();
    for (what, text) in [
        ("history", &history),
        ("export", &export),
        ("audit", &audit),
    ] {
        assert!(
            !text.contains(SECRET) && !text.contains("another-secret-value"),
            "{what} leaks: {text}"
        );
    }

    // Reveal is explicit and audited; read-only refuses it.
    let revealed = cfg.reveal("ASO_API_CONFIG", "alice").await.unwrap();
    assert_eq!(revealed["accessKeyInfo"], "another-secret-value");
    assert_eq!(
        store.list_audit(1).await.unwrap()[0].action,
        "config.reveal"
    );
    let ro = SysConfig::new(store.clone(), dir.path().to_path_buf(), None, true);
    assert!(matches!(
        ro.reveal("ASO_API_CONFIG", "eve").await,
        Err(ConfigError::ReadOnly(_))
    ));
    assert!(matches!(
        ro.set(set("WEB_POSTFIX", "x", None, "eve")).await,
        Err(ConfigError::ReadOnly(_))
    ));
    db
}

async fn bad_input_is_refused_with_a_clear_message_and_nothing_saved(
    store: Store,
    db: TestDb,
) -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let cfg = service(&store, dir.path());
    let cases: Vec<(SetRequest, &str)> = vec![
        (
            set(
                "RISK_DASHBOARD_CONFIG",
                "{\n  \"bizMap\": {},\n  \"riskLevelMap\" {}\n}",
                None,
                "a",
            ),
            "line 3, column 18",
        ),
        (
            set(
                "RISK_DASHBOARD_CONFIG",
                r#"{"riskLevelMap": {"P0": "yes"}}"#,
                None,
                "a",
            ),
            "/riskLevelMap/P0",
        ),
        (
            set("META_SYNC_INTERVAL", r#""six hours""#, None, "a"),
            "integer",
        ),
        (set("META_SYNC_INTERVAL", "10", None, "a"), "minimum"),
        (set("WEB_PROTOCOL", "FTP", None, "a"), "HTTP"),
        (
            set("KUBE_CONFIG", &"x".repeat(1024 * 1024 + 1), None, "a"),
            "1 MiB",
        ),
        (
            set("RISK_DASHBOAD_CONFIG", "{}", None, "a"),
            "did you mean RISK_DASHBOARD_CONFIG",
        ),
        (
            SetRequest {
                reason: " ".into(),
                ..set("WEB_POSTFIX", "x", None, "a")
            },
            "reason",
        ),
        (
            SetRequest {
                allow_new: true,
                ..set("bad key!", "{}", None, "a")
            },
            "A-Z",
        ),
    ];
    for (req, expected) in cases {
        let key = req.key.clone();
        let err = cfg.set(req).await.expect_err("must be refused").to_string();
        assert!(
            err.contains(expected),
            "{key}: expected {expected:?} in: {err}"
        );
    }
    assert!(
        store.list_config().await.unwrap().is_empty(),
        "nothing saved"
    );
    assert!(
        store.list_audit(10).await.unwrap().is_empty(),
        "nothing audited"
    );
    let err = cfg
        .rollback("YUNYOU_VERSION", 1, None, "a", "r")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no version 1"), "{err}");

    // A user key is free JSON, created on purpose only.
    let mine = SetRequest {
        allow_new: true,
        ..set("MY_TEAM_CONTACTS", r#"{"oncall": "x"}"#, None, "a")
    };
    assert_eq!(
        cfg.set(mine).await.unwrap().group,
        nightwatch::domain::sysconfig::Group::User
    );
    db
}

async fn generated_defaults_and_import_export(store: Store, db: TestDb) -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let cfg = service(&store, dir.path());
    cfg.seed_generated().await.unwrap();
    cfg.seed_generated().await.unwrap();
    let rms = cfg.get("RMS_CONFIG").await.unwrap();
    assert_eq!(
        (rms.version, rms.state.clone()),
        (1, KeyState::Default),
        "generated counts as default"
    );
    assert_eq!(rms.value["version"], "v3");
    assert_eq!(rms.value["token"], MASK);
    let (_, ak) = cfg.effective("NW_EMBEDDED_AK").await.unwrap();
    assert_eq!(ak["sk"].as_str().unwrap().len(), 40);

    cfg.set(set("WEB_PROTOCOL", "HTTP", None, "a"))
        .await
        .unwrap();
    let export = cfg.export().await.unwrap();
    assert_eq!(export["keys"]["WEB_PROTOCOL"]["value"], "HTTP");
    assert_eq!(export["keys"]["NW_EMBEDDED_AK"]["value"]["sk"], MASK);

    // Import into a second database: masked secrets there keep (or get) that database's values.
    let mut doc = export.clone();
    doc["keys"]["WEB_PROTOCOL"]["value"] = json!("TCP");
    let dry = cfg.import(&doc, "a", "", true).await.unwrap();
    assert_eq!(dry.changed, vec!["WEB_PROTOCOL".to_owned()]);
    assert_eq!(
        cfg.get("WEB_PROTOCOL").await.unwrap().value,
        "HTTP",
        "dry-run writes nothing"
    );
    cfg.import(&doc, "a", "restore", false).await.unwrap();
    assert_eq!(cfg.get("WEB_PROTOCOL").await.unwrap().value, "TCP");
    let (_, ak_after) = cfg.effective("NW_EMBEDDED_AK").await.unwrap();
    assert_eq!(ak_after, ak, "masked secret kept");

    doc["keys"]["YUNYOU_VERSION"] = json!({"value": "four"});
    let err = cfg
        .import(&doc, "a", "r", false)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("YUNYOU_VERSION"), "{err}");
    assert_eq!(
        cfg.get("YUNYOU_VERSION").await.unwrap().version,
        0,
        "a bad import applies nothing"
    );
    db
}

on_every_backend!(
    versions_history_and_rollback,
    two_writers_conflict_and_the_loser_learns_who_won,
    secrets_are_sealed_at_rest_masked_when_shown_and_kept_on_masked_edits,
    bad_input_is_refused_with_a_clear_message_and_nothing_saved,
    generated_defaults_and_import_export,
);
