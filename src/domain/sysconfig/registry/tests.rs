//! A test per documented default (DOMAIN.md §2).

use super::*;

fn default(key: &str) -> Value {
    (lookup(key)
        .unwrap_or_else(|| panic!("{key} is registered"))
        .default)()
}

#[test]
fn yunyou_version_defaults_to_4_4_1() {
    assert_eq!(default("YUNYOU_VERSION"), json!("4.4.1"));
}

#[test]
fn sync_intervals_default_to_6h_and_1h_and_need_a_restart() {
    assert_eq!(default("META_SYNC_INTERVAL"), json!(21_600_000));
    assert_eq!(default("BASELINE_SYNC_INTERVAL"), json!(3_600_000));
    for k in ["META_SYNC_INTERVAL", "BASELINE_SYNC_INTERVAL"] {
        assert!(lookup(k).is_some_and(|s| s.restart_required), "{k}");
    }
    assert_eq!(
        REGISTRY.iter().filter(|s| s.restart_required).count(),
        2,
        "only those two"
    );
}

#[test]
fn baseline_switches_default_on_and_auto_sync_off() {
    for k in [
        "SYNC_KERNEL_BASELINE",
        "SYNC_USER_BASELINE",
        "SYNC_AKE_BASELINE",
    ] {
        assert_eq!(default(k), json!(true), "{k}");
    }
    for k in ["METADATA_AUTO_SYNC", "BASELINE_AUTO_SYNC"] {
        assert_eq!(default(k), json!(false), "{k}");
    }
    for k in [
        "yunyouPlus",
        "useAke",
        "useArk",
        "yunyouOwnLogin",
        "hasDeps",
        "hasLhc",
        "allowModifyKernel",
    ] {
        assert_eq!(default(k), json!(false), "{k}");
        assert_eq!(lookup(k).map(|s| s.group), Some(Group::Switch), "{k}");
    }
}

#[test]
fn rms_config_default_is_generated_and_version_gated() {
    let rms = default("RMS_CONFIG");
    assert_eq!(rms["hostEffective"], json!(true));
    assert_eq!(
        rms["rmsKernelOutsideTenantId"],
        json!("paas_outsidetenant_id")
    );
    assert_eq!(rms["version"], json!("v3"));
    let spec = lookup("RMS_CONFIG").unwrap();
    assert!(spec.version_gated && spec.generated);
    assert_eq!(spec.secrets, &["/token"]);
}

#[test]
fn documented_shapes_and_secrets() {
    assert_eq!(default("ASO_API_CONFIG")["socketTimeout"], json!(10_000));
    assert!(
        lookup("ASO_API_CONFIG")
            .unwrap()
            .secrets
            .contains(&"/accessKeyInfo")
    );
    assert_eq!(default("OB_STORAGE_QUERY_INFO"), json!({}));
    assert_eq!(default("METADATA_EDITABLE"), json!(false));
    assert!(
        lookup("IAM_CONFIG")
            .unwrap()
            .secrets
            .contains(&"/iamUserPassword")
    );
    assert!(
        lookup("OSS_INFO_CONFIG")
            .unwrap()
            .secrets
            .contains(&"/accessSecret")
    );
    assert!(lookup("NW_EMBEDDED_AK").unwrap().secrets.contains(&"/sk"));
    assert_eq!(default("KUBE_CONFIG"), json!(""));
    assert_eq!(
        lookup("KUBE_CONFIG").unwrap().secrets,
        &[""],
        "the whole kubeconfig is secret"
    );
}

#[test]
fn every_documented_key_is_registered() {
    for k in [
        "IAM_CONFIG",
        "OSS_INFO_CONFIG",
        "OCP_API_CONFIG",
        "GW_OP_CONFIG",
        "ZONEMNG_API_CONFIG",
        "RMS_CONFIG",
        "ASO_API_CONFIG",
        "RISK_DASHBOARD_CONFIG",
        "WEB_PROTOCOL",
        "WEB_POSTFIX",
        "OB_STORAGE_QUERY_INFO",
        "MOCK_TENANT",
        "MOCK_USER",
        "METADATA_EDITABLE",
        "YUNYOU_VERSION",
        "META_SYNC_INTERVAL",
        "BASELINE_SYNC_INTERVAL",
        "KUBE_CONFIG",
        "NW_EMBEDDED_AK",
    ] {
        assert!(lookup(k).is_some_and(|s| s.group == Group::Config), "{k}");
    }
}

#[test]
fn did_you_mean() {
    assert_eq!(suggest("RMS_CONFG", []), Some("RMS_CONFIG".to_owned()));
    assert_eq!(
        suggest("yunyou_version", []),
        Some("YUNYOU_VERSION".to_owned())
    );
    assert_eq!(suggest("COMPLETELY_DIFFERENT_THING", []), None);
}

#[test]
fn notify_channels_refuse_unknown_fields() {
    let spec = lookup("NOTIFY_CHANNELS");
    let ok =
        json!({"channels": [{"name": "a", "kind": "slack", "url": "https://x", "levels": ["P0"]}]});
    assert!(crate::domain::sysconfig::validate(spec, &ok).is_ok());
    let typo =
        json!({"channels": [{"name": "a", "kind": "slack", "url": "https://x", "levelz": ["P0"]}]});
    let err = crate::domain::sysconfig::validate(spec, &typo)
        .unwrap_err()
        .to_string();
    assert!(err.contains("levelz"), "{err}");
    let (channels, problems) = crate::domain::notify::parse_channels(&typo);
    assert!(
        channels.is_empty() && problems[0].contains("levelz"),
        "{problems:?}"
    );
}
