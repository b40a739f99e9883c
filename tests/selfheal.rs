//! Issue 16: risk self-healing under protection rules, end to end on real parts: two engines
//! (`nightwatch serve`) share one database (SQLite file, MariaDB, PostgreSQL); the service at
//! fault is a loopback port that stops answering; the heal is a plan step on a real `redis-server`
//! (`INCR heals`, `SET note …`), so the number of heals that ran is counted outside nightwatch.
//!
//! - Storm: 100 alerts for one fault (distinct fingerprints, one target) posted in 10 webhooks →
//!   100 diagnoses → exactly one heal ran (on one engine), 99 decisions skipped by the cooldown;
//!   redis counts 1.
//! - The plan succeeded but the event stayed open past `verify_within`: escalated (re-graded P0,
//!   on the timeline), counted as a failure.
//! - Kill switch: `SELF_HEALING_ENABLED` off, a storm on another target → every decision skipped
//!   by `switch-off`, redis still counts 1.
//! - Hostile label text reaches the plan as data: redis holds it byte for byte, nothing executed.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use common::redis_pair::{REDIS, redis};
use common::{Backend, Sandbox, TestDb, free_port, json_of, serve, wait_until};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn content(svc1: u16, svc2: u16, counter: u16) -> String {
    format!(
        "[[component]]\nname = \"svc-1\"\nkind = \"svc\"\nlayer = \"business\"\n\
         endpoints = {{ host = \"127.0.0.1\", port = {svc1} }}\n\n\
         [[component]]\nname = \"svc-2\"\nkind = \"svc\"\nlayer = \"business\"\n\
         endpoints = {{ host = \"127.0.0.1\", port = {svc2} }}\n\n\
         [[component]]\nname = \"heal-counter\"\nkind = \"redis\"\nlayer = \"storage\"\n\
         endpoints = {{ host = \"127.0.0.1\", port = {counter} }}\n\n\
         [[plan]]\nname = \"svc-heal\"\ntitle = \"count a heal\"\n\
         [[plan.param]]\nname = \"counter\"\nkind = \"topology\"\nfield = \"name\"\nselector = {{ kind = \"redis\" }}\n\
         [[plan.param]]\nname = \"note\"\nkind = \"string\"\nrequired = false\n\
         [[plan.step]]\nid = \"count\"\ntitle = \"count\"\ndanger = \"G2\"\ntarget = \"{{{{params.counter}}}}\"\n\
         op = {{ kind = \"redis\", command = [\"INCR\", \"heals\"] }}\n\
         [[plan.step]]\nid = \"note\"\ntitle = \"note\"\ndanger = \"G2\"\ntarget = \"{{{{params.counter}}}}\"\n\
         op = {{ kind = \"redis\", command = [\"SET\", \"note\", \"{{{{params.note}}}}\"], expect = \"OK\" }}\n\n\
         [[tree]]\nname = \"svc\"\ntitle = \"does the service answer\"\nroot = \"port\"\n\
         [[tree.node]]\nid = \"port\"\nprobe = {{ kind = \"tcp\" }}\ncondition = \"[CONNECTED] == true\"\ntimeout = \"2s\"\n\
         pass = \"up\"\nfail = \"down\"\n\
         [[tree.conclusion]]\nid = \"up\"\nlevel = \"P3\"\ncause = \"{{{{event.target}}}} answers\"\n\
         [[tree.conclusion]]\nid = \"down\"\nlevel = \"P1\"\ncause = \"{{{{event.target}}}} does not answer\"\n\
         plan = \"svc-heal\"\nparams = {{ counter = \"heal-counter\", note = \"{{{{event.labels.note}}}}\" }}\n\n\
         [[scenario]]\nname = \"svc-down\"\nmatch = {{ labels = {{ alertname = \"SvcDown\" }} }}\ntree = \"svc\"\n\
         self_heal = {{ mode = \"on\", allow_g2 = true, heal = [\"down\"], cooldown = \"10m\", max_per_target_hour = 5, verify_within = \"2s\", halt_after = 5 }}\n"
    )
}

/// A webhook of `n` firing `SvcDown` alerts on `port`, fingerprints `tag-i`.
fn storm(port: u16, tag: &str, n: usize, note: &str) -> serde_json::Value {
    let alerts: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "status": "firing",
                "labels": {"alertname": "SvcDown", "instance": format!("127.0.0.1:{port}"), "replica": format!("{tag}-{i}"), "level": "P1", "note": note},
                "annotations": {"summary": "service down"},
                "startsAt": "2026-12-03T12:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": format!("{tag}-{i}")
            })
        })
        .collect();
    serde_json::json!({
        "version": "4", "groupKey": format!("{{}}:{tag}"), "truncatedAlerts": 0, "status": "firing",
        "receiver": "nightwatch", "groupLabels": {}, "commonLabels": {"alertname": "SvcDown"},
        "commonAnnotations": {}, "externalURL": "http://alertmanager.example:9093", "alerts": alerts
    })
}

fn redis_get(port: u16, key: &str) -> String {
    let out = std::process::Command::new("redis-cli")
        .args(["-p", &port.to_string(), "--raw", "GET", key])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim_end_matches('\n')
        .to_owned()
}

fn decisions(
    store: &nightwatch::store::Store,
    rt: &tokio::runtime::Runtime,
) -> Vec<nightwatch::store::SelfHealRow> {
    rt.block_on(store.list_self_heals(None, 10_000)).unwrap()
}

fn a_storm_heals_once(backend: Backend) {
    if !common::require_program(REDIS, "redis-server")
        || !common::require_program("/usr/bin/curl", "curl")
    {
        return;
    }
    let rt = runtime();
    let sb = Sandbox::new();
    // Two engines on one database (SQLite: one file both open).
    let (db, url) = match backend {
        Backend::Sqlite => (
            None,
            format!("sqlite://{}/nw.db?mode=rwc", sb.dir.path().display()),
        ),
        b => {
            let Some(db) = rt.block_on(TestDb::create(b)) else {
                return;
            };
            let url = db.url.clone();
            (Some(db), url)
        }
    };
    let dbarg = ["--database-url", url.as_str()];
    let counter = free_port();
    let _redis = redis(sb.dir.path(), counter, None);
    let (svc1, svc2) = (free_port(), free_port()); // nothing listens: the service is down
    let (e1, port1) = serve(&sb, &url, &[]);
    let (e2, port2) = serve(&sb, &url, &[]);
    let file = sb.dir.path().join("heal.toml");
    std::fs::write(&file, content(svc1, svc2, counter)).unwrap();
    let (ok, text) = sb.run(&[&dbarg[..], &["apply", file.to_str().unwrap()]].concat());
    assert!(ok, "{text}");
    let (ok, text) = sb.run(
        &[
            &dbarg[..],
            &[
                "config",
                "set",
                "SELF_HEALING_ENABLED",
                "true",
                "--reason",
                "test",
            ],
        ]
        .concat(),
    );
    assert!(ok, "{text}");
    let auth = json_of(
        &sb,
        &[
            &dbarg[..],
            &["config", "get", "INGEST_AUTH", "--reveal", "-o", "json"],
        ]
        .concat(),
    );
    let token = auth["value"]["alertmanager"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let pwned = sb.dir.path().join("PWNED");
    let note = format!(
        "$(touch {}); `touch {}` 'q\" ;",
        pwned.display(),
        pwned.display()
    );

    // The storm: 100 alerts for one fault in 10 webhooks, to both engines.
    for k in 0..10 {
        let port = if k % 2 == 0 { port1 } else { port2 };
        let body = storm(svc1, &format!("s{k}"), 10, &note);
        assert_eq!(
            common::redis_pair::post_alertmanager(port, &token, &body),
            "200"
        );
    }
    let store = rt
        .block_on(nightwatch::store::Store::connect(&url, &Default::default()))
        .unwrap();
    let all = wait_until("100 decisions", 60, || {
        let d = decisions(&store, &rt);
        (d.len() >= 100).then_some(d)
    });
    assert_eq!(all.len(), 100, "one decision per diagnosed event");
    let ran: Vec<_> = all.iter().filter(|d| d.decision == "ran").collect();
    assert_eq!(
        ran.len(),
        1,
        "exactly one heal: {:?}",
        all.iter()
            .map(|d| (&d.decision, &d.rule))
            .collect::<Vec<_>>()
    );
    assert!(
        all.iter()
            .filter(|d| d.decision == "skipped")
            .all(|d| d.rule == "cooldown"),
        "{:?}",
        all.iter().map(|d| &d.rule).collect::<Vec<_>>()
    );
    assert_eq!(ran[0].fault_key, "svc-down:down:svc-1");
    wait_until("the heal's plan ran", 30, || {
        (redis_get(counter, "heals") == "1").then_some(())
    });
    assert_eq!(
        redis_get(counter, "note"),
        note,
        "the label reached redis as data"
    );
    assert!(!pwned.exists(), "a label was executed");

    // The plan succeeded, the event stays open: escalated after verify_within.
    let escalated = wait_until("the escalation", 30, || {
        decisions(&store, &rt)
            .into_iter()
            .find(|d| d.decision == "ran" && d.status == "escalated")
    });
    let event = rt.block_on(store.get_event(escalated.event_id)).unwrap();
    assert_eq!(
        event.level,
        nightwatch::domain::event::Level::P0,
        "re-graded"
    );
    let log = rt.block_on(store.event_log(escalated.event_id)).unwrap();
    assert!(log.iter().any(|l| l.kind == "self-heal" && l.message.starts_with("self-heal runs plan svc-heal")), "{log:?}");
    assert!(
        log.iter()
            .any(|l| l.kind == "self-heal" && l.message.contains("escalated")),
        "{log:?}"
    );

    // The kill switch: off, and a storm on another target heals nothing.
    let (ok, text) = sb.run(
        &[
            &dbarg[..],
            &[
                "config",
                "set",
                "SELF_HEALING_ENABLED",
                "false",
                "--reason",
                "stop",
            ],
        ]
        .concat(),
    );
    assert!(ok, "{text}");
    assert_eq!(
        common::redis_pair::post_alertmanager(port1, &token, &storm(svc2, "k", 10, "x")),
        "200"
    );
    let later = wait_until("10 more decisions", 60, || {
        let d = decisions(&store, &rt);
        (d.len() >= 110).then_some(d)
    });
    let second: Vec<_> = later
        .iter()
        .filter(|d| d.fault_key == "svc-down:down:svc-2")
        .collect();
    assert_eq!(second.len(), 10);
    assert!(
        second
            .iter()
            .all(|d| d.decision == "skipped" && d.rule == "switch-off"),
        "{second:?}"
    );
    assert_eq!(redis_get(counter, "heals"), "1");

    // Healed: the switch back on, a fault on svc-2 heals (its cooldown never ran), and the
    // monitoring says it resolved.
    let (ok, text) = sb.run(
        &[
            &dbarg[..],
            &[
                "config",
                "set",
                "SELF_HEALING_ENABLED",
                "true",
                "--reason",
                "again",
            ],
        ]
        .concat(),
    );
    assert!(ok, "{text}");
    let one = storm(svc2, "h", 1, "fixed");
    assert_eq!(
        common::redis_pair::post_alertmanager(port2, &token, &one),
        "200"
    );
    let ran = wait_until("the svc-2 heal", 60, || {
        decisions(&store, &rt)
            .into_iter()
            .find(|d| d.fault_key == "svc-down:down:svc-2" && d.decision == "ran")
    });
    wait_until("the second heal's plan", 30, || {
        (redis_get(counter, "heals") == "2").then_some(())
    });
    let mut resolved = one.clone();
    resolved["status"] = "resolved".into();
    resolved["alerts"][0]["status"] = "resolved".into();
    resolved["alerts"][0]["endsAt"] = "2026-12-03T12:05:00Z".into();
    assert_eq!(
        common::redis_pair::post_alertmanager(port1, &token, &resolved),
        "200"
    );
    let healed = wait_until("healed", 30, || {
        decisions(&store, &rt)
            .into_iter()
            .find(|d| d.id == ran.id && d.status != "running" && d.status != "queued")
    });
    assert_eq!(healed.status, "healed", "{healed:?}");
    let listed = json_of(
        &sb,
        &[
            &dbarg[..],
            &["selfheal", "list", "--limit", "500", "-o", "json"],
        ]
        .concat(),
    );
    let listed = listed["decisions"].as_array().unwrap();
    assert_eq!(listed.len(), 111, "every decision is listed");
    assert_eq!(listed.iter().filter(|d| d["decision"] == "ran").count(), 2);
    // The figures: 111 episodes diagnosed, one healed and resolved (its MTTR apart).
    let stats = json_of(
        &sb,
        &[&dbarg[..], &["events", "stats", "-o", "json"]].concat(),
    );
    let svc = stats["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["scenario"] == "svc-down")
        .cloned()
        .unwrap_or_else(|| panic!("{stats}"));
    assert_eq!(
        (
            svc["diagnosed"].as_i64(),
            svc["healed"].as_i64(),
            svc["resolved"].as_i64()
        ),
        (Some(111), Some(1), Some(1)),
        "{svc}"
    );
    assert!(
        svc["diagnosis_ms"].as_i64().is_some() && svc["mttr_healed_ms"].as_i64().is_some(),
        "{svc}"
    );
    assert!(svc["mttr_other_ms"].is_null(), "{svc}");

    rt.block_on(store.close());
    drop((e1, e2));
    if let Some(db) = db {
        rt.block_on(db.cleanup());
    }
}

#[test]
fn a_storm_heals_once_with_two_engines_on_sqlite() {
    a_storm_heals_once(Backend::Sqlite);
}

#[test]
fn a_storm_heals_once_with_two_engines_on_mysql() {
    a_storm_heals_once(Backend::MySql);
}

#[test]
fn a_storm_heals_once_with_two_engines_on_postgres() {
    a_storm_heals_once(Backend::Postgres);
}
