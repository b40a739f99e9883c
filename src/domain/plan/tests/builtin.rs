//! The built-in plans and scenarios (assets/content/plans.toml, scenarios.toml) behave as their
//! comments say.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::json;

use super::{any_probe, given};
use crate::domain::content::{Targets, load_bundle};
use crate::domain::plan::*;
use crate::domain::{Component, Layer};

fn event(source: &str, component: &str, labels: &[(&str, &str)]) -> crate::domain::event::Event {
    use crate::domain::event::{Event, Level, Status};
    Event {
        id: 1,
        fingerprint: "f".into(),
        source: source.into(),
        ds_type: source.into(),
        level: Level::P1,
        title: "t".into(),
        summary: String::new(),
        labels: labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        annotations: BTreeMap::new(),
        component: component.into(),
        status: Status::Open,
        firing: true,
        first_seen: 0,
        last_seen: 0,
        count: 1,
        flapping: false,
        assignee: String::new(),
        original_level: Level::P1,
        source_url: String::new(),
        updated_at: 0,
    }
}

fn built_in() -> crate::domain::content::Bundle {
    let files = vec![
        (
            PathBuf::from("plans.toml"),
            include_str!("../../../../assets/content/plans.toml").to_owned(),
        ),
        (
            PathBuf::from("diagnosis.toml"),
            include_str!("../../../../assets/content/diagnosis.toml").to_owned(),
        ),
        (
            PathBuf::from("scenarios.toml"),
            include_str!("../../../../assets/content/scenarios.toml").to_owned(),
        ),
    ];
    load_bundle(&files, &[], &[], Targets::MayWait, &any_probe).unwrap_or_else(|e| panic!("{e:#?}"))
}

#[test]
fn built_in_scenarios_recommend_built_in_plans() {
    let b = built_in();
    let r = recommend(
        &b.scenarios,
        &event(
            "alertmanager",
            "",
            &[("alertname", "RedisDown"), ("instance", "10.0.0.5:9121")],
        ),
    );
    assert_eq!(r[0].plan, "redis-master-switch");
    let r = recommend(
        &b.scenarios,
        &event(
            "inspection",
            "batman-db",
            &[("rule", "git-storage-one-master"), ("target", "batman-db")],
        ),
    );
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].plan, "git-storage-failover");
    assert_eq!(r[0].params["database"], "batman-db");
    let r = recommend(
        &b.scenarios,
        &event("inspection", "local-host", &[("rule", "host-disk")]),
    );
    assert_eq!(r[0].plan, "disk-log-cleanup");
    assert_eq!(r[0].scenario, "host-disk-inspection");
    // An exact rule beats the regex scenario recommending the same plan at a lower weight.
    let r = recommend(
        &b.scenarios,
        &event("inspection", "redis-b", &[("rule", "redis-replica-link")]),
    );
    assert_eq!(r[0].scenario, "redis-replica-lost-master");
    assert_eq!(r[0].params["new_master"], "redis-b");
    assert!(recommend(&b.scenarios, &event("api", "", &[("alertname", "Other")])).is_empty());
}

/// Issue 12: what the event, its component and the topology determine fills the form; what
/// nothing determines is named as unfilled, never guessed.
#[test]
fn built_in_scenarios_fill_parameters_from_the_event_and_the_topology() {
    let b = built_in();
    let disk = event(
        "alertmanager",
        "web-18:9100",
        &[
            ("alertname", "HostOutOfDiskSpace"),
            ("instance", "web-18:9100"),
        ],
    );
    let r = recommend(&b.scenarios, &disk);
    assert_eq!(r[0].plan, "disk-log-cleanup");
    assert_eq!(
        r[0].params["ssh_host"], "web-18",
        "never the jump host itself"
    );
    let redis = |name: &str, role: &str, port: u16| {
        let mut c = Component::new(name, "redis", Layer::Storage);
        c.role = role.into();
        c.endpoints = json!({"host": "127.0.0.1", "port": port});
        c
    };
    let topo = [
        redis("redis-a", "primary", 6379),
        redis("redis-b", "replica", 6380),
    ];
    let down = event(
        "alertmanager",
        "127.0.0.1:6379",
        &[("alertname", "RedisDown"), ("instance", "127.0.0.1:6379")],
    );
    let r = recommend_with(&b.scenarios, &down, &topo);
    assert_eq!(r[0].plan, "redis-master-switch");
    let want: BTreeMap<String, String> = [
        ("old_master", "redis-a"),
        ("new_master", "redis-b"),
        ("new_master_host", "127.0.0.1"),
        ("new_master_port", "6380"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(r[0].params, want);
    assert!(r[0].unfilled.is_empty(), "{:?}", r[0].unfilled);
    // Without a topology nothing names the replica: the form says what is left to fill.
    let r = recommend(&b.scenarios, &down);
    assert!(r[0].unfilled.contains(&"new_master".to_owned()), "{r:?}");
    assert!(!r[0].params.contains_key("old_master"));
    // A failing inspection on the replica: the replica is promoted, its primary re-pointed.
    let link = event(
        "inspection",
        "redis-b",
        &[("rule", "redis-replica-link"), ("target", "redis-b")],
    );
    let r = recommend_with(&b.scenarios, &link, &topo);
    assert_eq!(r[0].params["new_master"], "redis-b");
    assert_eq!(r[0].params["new_master_port"], "6380");
    assert_eq!(r[0].params["old_master"], "redis-a");
}

/// The confirmation's header: the host a launch acts on, "this machine" said as such.
#[test]
fn the_target_host_of_built_in_plans() {
    let b = built_in();
    let plan = |n: &str| b.plans.iter().find(|p| p.name == n).unwrap().clone();
    let disk = plan("disk-log-cleanup");
    assert!(
        disk.params.iter().any(local_when_empty),
        "ssh_host is local when empty"
    );
    let v = |pairs: &[(&str, &str)]| -> BTreeMap<String, serde_json::Value> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect()
    };
    assert_eq!(
        target_host(&disk, &v(&[("ssh_host", "web-18")]), &[], "jump-1").as_deref(),
        Some("web-18 (ssh_host)")
    );
    assert_eq!(
        target_host(&disk, &v(&[]), &[], "jump-1").as_deref(),
        Some("THIS MACHINE jump-1 (ssh_host empty)")
    );
    let mut b2 = Component::new("redis-b", "redis", Layer::Storage);
    b2.endpoints = json!({"host": "127.0.0.1", "port": 6380});
    let switch = plan("redis-master-switch");
    assert_eq!(
        target_host(&switch, &v(&[("new_master", "redis-b")]), &[b2], "jump-1").as_deref(),
        Some("127.0.0.1:6380 (new_master redis-b)")
    );
}

#[test]
fn built_in_git_failover_describes_its_transaction() {
    let b = built_in();
    let p = b
        .plans
        .iter()
        .find(|p| p.name == "git-storage-failover")
        .unwrap();
    let mut db = Component::new("batman-db", "mysql", Layer::Database);
    db.app = "batmanshard".into();
    let comps = vec![db, Component::new("other-db", "mysql", Layer::Database)];
    assert_eq!(
        p.param("database").unwrap().choices(&comps),
        vec!["batman-db"]
    );
    let params = resolve_params(
        p,
        &given(&[
            ("database", "batman-db"),
            ("pod_id", "3"),
            ("dead_node", "11"),
            ("backup_node", "12"),
        ]),
        &comps,
    )
    .unwrap();
    let e = resolve_params(
        p,
        &given(&[
            ("database", "other-db"),
            ("pod_id", "3"),
            ("dead_node", "11"),
            ("backup_node", "11"),
        ]),
        &comps,
    )
    .unwrap_err();
    assert_eq!(e.len(), 2, "{e:?}");
    assert_eq!(p.confirm_target(&params), Some("batman-db".into()));
    let d = describe(p, &RenderCtx::preview(params, None));
    let swap = d.iter().find(|r| r.step == "swap").unwrap();
    assert_eq!(
        swap.op,
        "sql on <target dsn> (one transaction): update node set node_type = 2 where id = ? and pod_id = ? and node_type = 0 with (11, 3) → expect 1 row(s); update node set node_type = 0 where id = ? and pod_id = ? and node_type = 2 and status = 1 with (12, 3) → expect 1 row(s)"
    );
    assert_eq!(swap.target.as_deref(), Some("batman-db"));
    let tell = d.iter().find(|r| r.step == "tell").unwrap();
    assert!(tell.op.ends_with("(run <run id>)"), "{}", tell.op);
    let phases: Vec<Phase> = d.iter().map(|r| r.phase).collect();
    assert_eq!(phases.first(), Some(&Phase::Precheck));
    assert_eq!(phases.last(), Some(&Phase::Rollback));
}

#[test]
fn built_in_log_cleanup_refuses_directories_that_are_not_logs() {
    let b = built_in();
    let p = b
        .plans
        .iter()
        .find(|p| p.name == "disk-log-cleanup")
        .unwrap();
    let dir = p.param("dir").unwrap();
    for ok in ["/home/admin/logs", "/var/log/nginx", "/data/app-logs"] {
        assert!(dir.parse_value(ok, &[]).is_ok(), "{ok}");
    }
    for bad in [
        "/",
        "/data/db",
        "/home/../var/log",
        "logs",
        "/home/admin/logs; rm -rf /",
        "/home/./log",
    ] {
        assert!(dir.parse_value(bad, &[]).is_err(), "{bad}");
    }
    let host = p.param("ssh_host").unwrap();
    assert!(host.parse_value("-oProxyCommand", &[]).is_err());
    assert!(host.parse_value("", &[]).is_ok());
    // Unset optional parameters make their steps skip, visibly, in a dry run.
    let params = resolve_params(p, &BTreeMap::new(), &[]).unwrap();
    assert_eq!(params["dir"], json!("/home/admin/logs"));
    let d = describe(p, &RenderCtx::preview(params.clone(), None));
    let restart = d.iter().find(|r| r.step == "restart").unwrap();
    assert_eq!(restart.runs, Some(false));
    let ctx = RenderCtx {
        params,
        ..RenderCtx::default()
    };
    assert_eq!(when_holds(p.step("restart").unwrap().1, &ctx), Ok(false));
    let list = d.iter().find(|r| r.step == "list").unwrap();
    assert!(
        list.op
            .starts_with("DAYS=7 DIR=/home/admin/logs SSH_HOST= sh: set -eu ⏎ run()"),
        "{}",
        list.op
    );
}
