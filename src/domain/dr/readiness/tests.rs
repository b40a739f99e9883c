use super::*;
use crate::domain::dr::{
    Architecture, Datacenter, DcRole, DrPlanRef, DrSystem, LinkKind, LinkState, SyncLink,
};
use crate::domain::{Component, Layer};

fn model() -> DrModel {
    let dc = |n: &str, role| Datacenter {
        name: n.into(),
        zone: n.into(),
        city: String::new(),
        role,
        labels: serde_json::json!({}),
    };
    DrModel {
        datacenters: vec![dc("dc-a", DcRole::Active), dc("dc-b", DcRole::Standby)],
        systems: vec![DrSystem {
            name: "orders".into(),
            architecture: Architecture::RemoteActiveStandby,
            datacenters: vec!["dc-a".into(), "dc-b".into()],
            rpo_ms: 30_000,
            rto_ms: 900_000,
            plans: vec![DrPlanRef {
                from: "dc-a".into(),
                to: "dc-b".into(),
                plan: "dr-switch".into(),
                faulty_param: "faulty_dc".into(),
                available_param: "available_dc".into(),
            }],
            labels: serde_json::json!({}),
        }],
        links: vec![SyncLink {
            name: "orders-db".into(),
            kind: LinkKind::MysqlReplication,
            system: "orders".into(),
            source: "db-a".into(),
            target: "db-b".into(),
            rpo_ms: 30_000,
            probe: None,
            value: String::new(),
        }],
    }
}

fn comps() -> Vec<Component> {
    let mut a = Component::new("db-a", "mariadb", Layer::Database);
    a.zone = "dc-a".into();
    let mut b = Component::new("db-b", "mariadb", Layer::Database);
    b.zone = "dc-b".into();
    vec![a, b]
}

fn sample(lag: i64) -> LinkSample {
    LinkSample {
        link: "orders-db".into(),
        at: 0,
        state: LinkState::Running,
        lag_ms: Some(lag),
        bytes: Some(0),
        message: String::new(),
        detail: serde_json::Value::Null,
    }
}

fn stats() -> Vec<RunStats> {
    vec![RunStats {
        plan: "dr-switch".into(),
        est_ms: 120_000,
        basis: "step timeouts".into(),
    }]
}

fn judge(links: &[LinkSample], levels: &[WaterLevel], running: &[(String, i64)]) -> Readiness {
    let (m, c, s) = (model(), comps(), stats());
    let input = ReadinessInput {
        model: &m,
        components: &c,
        events: &[],
        links,
        levels,
        thresholds: &Thresholds::default(),
        traffic: &[],
        plans: &s,
        running,
    };
    assess(&Direction::new("dc-a", "dc-b"), &input, 5)
}

#[test]
fn healthy_is_ready_with_the_estimated_rto() {
    let r = judge(&[sample(1_000)], &[], &[]);
    assert!(r.ready, "{:?}", r.reasons);
    assert_eq!(r.verdict(), "ready");
    assert_eq!(r.est_rto_ms, Some(120_000));
    assert_eq!(r.rto_ms, Some(900_000));
}

#[test]
fn a_lagging_link_names_itself_with_its_lag_and_rpo() {
    let r = judge(&[sample(45_000)], &[], &[]);
    assert_eq!(
        r.verdict(),
        "not ready: link orders-db dc-a→dc-b lag 45 s > RPO 30 s"
    );
}

#[test]
fn a_critical_level_a_running_plan_and_an_unmeasured_link_all_block() {
    let full = WaterLevel {
        component: "db-b".into(),
        kind: LevelKind::Connections,
        at: 0,
        used: 99,
        max: 100,
    };
    let r = judge(&[], &[full], &[("dr-switch".into(), 7)]);
    assert!(!r.ready);
    let all = r.reasons.join("\n");
    assert!(
        all.contains("link orders-db dc-a→dc-b not measured yet"),
        "{all}"
    );
    assert!(
        all.contains("water level db-b connections 99% (99 of 100) is critical"),
        "{all}"
    );
    assert!(
        all.contains("DR plan dr-switch is already running (run #7)"),
        "{all}"
    );
}

#[test]
fn the_reverse_direction_without_a_plan_says_so() {
    let (m, c, s) = (model(), comps(), stats());
    let links = [sample(0)];
    let input = ReadinessInput {
        model: &m,
        components: &c,
        events: &[("db-a".into(), Level::P0, "disk full".into())],
        links: &links,
        levels: &[],
        thresholds: &Thresholds::default(),
        traffic: &[],
        plans: &s,
        running: &[],
    };
    let r = assess(&Direction::new("dc-b", "dc-a"), &input, 0);
    let all = r.reasons.join("\n");
    assert!(
        all.contains("system orders has no DR plan for dc-b→dc-a"),
        "{all}"
    );
    assert!(
        all.contains("dc-a database layer: db-a has an open P0 event \"disk full\""),
        "{all}"
    );
}

#[test]
fn the_target_takes_the_sources_load_scaled_by_zone_traffic() {
    let (m, c, s) = (model(), comps(), stats());
    let conn = |comp: &str, used| WaterLevel {
        component: comp.into(),
        kind: LevelKind::Connections,
        at: 0,
        used,
        max: 150,
    };
    let levels = [conn("db-a", 90), conn("db-b", 40)];
    let links = [sample(0)];
    let zone = |z: &str, value| Traffic {
        zone: z.into(),
        at: 0,
        value,
    };
    let judge = |traffic: &[Traffic]| {
        let input = ReadinessInput {
            model: &m,
            components: &c,
            events: &[],
            links: &links,
            levels: &levels,
            thresholds: &Thresholds::default(),
            traffic,
            plans: &s,
            running: &[],
        };
        assess(&Direction::new("dc-a", "dc-b"), &input, 0)
    };
    // Without traffic: 90 + 40 of 150 = 87 %, under the critical 95 %.
    let r = judge(&[]);
    assert!(r.ready, "{:?}", r.reasons);
    assert_eq!(r.load.as_ref().map(|p| p.projected), Some(130.0));
    assert_eq!(r.traffic, None);
    // dc-b serves 10 with 40 connections; taking dc-a's 30 more → 160 of 150.
    let r = judge(&[zone("dc-a", 30.0), zone("dc-b", 10.0)]);
    assert_eq!(r.traffic, Some((30.0, 10.0)));
    assert_eq!(
        r.verdict(),
        "not ready: dc-b cannot take dc-a's load: connections would be 107% of 150 \
         (40 in use × traffic (30 + 10) / 10)"
    );
    // A target serving more than the source has room: 40 × (5 + 20) / 20 = 50.
    let r = judge(&[zone("dc-a", 5.0), zone("dc-b", 20.0)]);
    assert!(r.ready, "{:?}", r.reasons);
    assert_eq!(r.load.map(|p| p.projected), Some(50.0));
}
