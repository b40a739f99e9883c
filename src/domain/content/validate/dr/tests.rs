//! The DR model through content: a good file validates into the model, a broken one is refused
//! with one message per mistake naming file:line, the item and the field.

use std::path::PathBuf;

use crate::domain::content::{Targets, load_bundle};
use crate::domain::dr::{Architecture, DcRole, LinkKind};

fn fixture(name: &str) -> (PathBuf, String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/content")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text)
}

fn probe(v: &serde_json::Value) -> Result<(), String> {
    match v.get("kind").and_then(|k| k.as_str()) {
        Some("sql" | "redis" | "command") => Ok(()),
        _ => Err("unknown probe".into()),
    }
}

#[test]
fn a_good_dr_file_becomes_the_model() {
    let b = load_bundle(
        &[fixture("dr-good.toml")],
        &[],
        &[],
        Targets::MustExist,
        &probe,
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    let m = &b.dr;
    assert_eq!(m.datacenters.len(), 2);
    assert_eq!(m.datacenters[0].zone, "zone-a");
    assert_eq!(m.datacenters[1].zone, "dc-b", "zone defaults to the name");
    assert_eq!(m.datacenters[1].role, DcRole::Standby);
    assert_eq!(m.datacenters[0].labels["tenant"], "fin");
    let s = &m.systems[0];
    assert_eq!(s.architecture, Architecture::RemoteActiveStandby);
    assert_eq!((s.rpo_ms, s.rto_ms), (30_000, 900_000));
    let p = s.plan_for("dc-a", "dc-b").unwrap();
    assert_eq!(
        (p.faulty_param.as_str(), p.available_param.as_str()),
        ("faulty_dc", "available_dc")
    );
    assert_eq!(m.links[0].kind, LinkKind::MysqlReplication);
    assert_eq!(m.links[0].rpo_ms, 30_000, "the system's RPO");
    assert_eq!(m.links[1].rpo_ms, 10_000, "overridden");
    assert_eq!(m.directions().len(), 1);
}

#[test]
fn every_mistake_is_named_with_its_line_and_field() {
    let errors: Vec<String> = load_bundle(
        &[fixture("dr-broken.toml")],
        &[],
        &[],
        Targets::MustExist,
        &probe,
    )
    .expect_err("refused")
    .iter()
    .map(ToString::to_string)
    .collect();
    let all = errors.join("\n");
    let expect = [
        (
            "dr-broken.toml:9:",
            "datacenter \"dc-x\": role \"hot\": expected active, standby or cold",
        ),
        (
            "dr-broken.toml:26:",
            "dr_system \"orders\": architecture \"active-passive\": expected same-city-active-active",
        ),
        (
            "dr-broken.toml:27:",
            "dr_system \"orders\": datacenters: unknown datacenter \"dc-q\"",
        ),
        (
            "dr-broken.toml:28:",
            "dr_system \"orders\": rpo = \"30 seconds\" is not a duration",
        ),
        (
            "dr-broken.toml:30:",
            "plan \"no-such-plan\" for dc-a→dc-q is no plan",
        ),
        (
            "dr-broken.toml:35:",
            "dr_system \"billing\": datacenters: list at least two datacenters",
        ),
        (
            "dr-broken.toml:41:",
            "link \"orders-db\": kind \"mysql-binlog\": expected mysql-replication",
        ),
        (
            "dr-broken.toml:44:",
            "link \"orders-db\": target \"db-gone\" is no component",
        ),
        (
            "dr-broken.toml:49:",
            "link \"lost-db\": system \"nope\" is no dr_system",
        ),
        (
            "dr-broken.toml:50:",
            "link \"lost-db\": source \"db-lost\" has zone \"nowhere\", which is no datacenter",
        ),
        (
            "dr-broken.toml:52:",
            "link \"lost-db\": rpo must be more than 0",
        ),
        (
            "dr-broken.toml:56:",
            "link \"probe-link\": a probe link needs probe",
        ),
    ];
    for (at, what) in expect {
        assert!(
            errors.iter().any(|e| e.contains(at) && e.contains(what)),
            "missing {at} {what} in:\n{all}"
        );
    }
    assert!(
        all.contains("target \"db-a\" has no `dsn` endpoint, which a mysql-replication link reads; add endpoints.dsn"),
        "{all}"
    );
}
