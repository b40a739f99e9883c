//! Issue 16: fault diagnosis. A real Redis primary and its replica as topology; the primary is
//! killed and Alertmanager's `RedisDown` for it is posted to a real engine (`nightwatch serve`)
//! with the built-in content. The engine diagnoses the event by itself with the built-in
//! `redis-master-down` tree: the master does not answer, the replica answers as replica → "master
//! redis-a down; replica redis-b healthy at 127.0.0.1:PORT", P0, recommending
//! `redis-master-switch` with every parameter filled from what the walk found. The path and the
//! conclusion go on the event's timeline; repeats of the alert diagnose nothing again; nothing in
//! the estate changes (a diagnosis only probes). `nightwatch diagnose EVENT` walks it again and
//! prints the tree with the path marked. On SQLite, MariaDB and PostgreSQL.
//!
//! Hostile labels (`$(…)`, quotes, `;`) flow through a tree's templates as text: test
//! `hostile_labels_are_text_in_a_conclusion`.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use std::time::Instant;

use common::redis_pair::{REDIS, post_alertmanager, redis, redis_down};
use common::{Backend, Sandbox, TestDb, free_port, json_of, serve, wait_until};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn topology(a: u16, b: u16) -> String {
    format!(
        "[[component]]\nname = \"redis-a\"\nkind = \"redis\"\nlayer = \"storage\"\n\
         role = \"primary\"\nzone = \"dc1\"\nendpoints = {{ host = \"127.0.0.1\", port = {a} }}\n\n\
         [[component]]\nname = \"redis-b\"\nkind = \"redis\"\nlayer = \"storage\"\n\
         role = \"standby\"\nzone = \"dc1\"\nendpoints = {{ host = \"127.0.0.1\", port = {b} }}\n"
    )
}

/// `INFO replication`'s role line of the redis on `port`, asked with redis-cli.
fn role(port: u16) -> String {
    let out = std::process::Command::new("redis-cli")
        .args(["-p", &port.to_string(), "INFO", "replication"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.trim().strip_prefix("role:").map(str::to_owned))
        .unwrap_or_default()
}

fn redis_master_down_is_diagnosed_by_itself(backend: Backend) {
    if !common::require_program(REDIS, "redis-server")
        || !common::require_program("/usr/bin/curl", "curl")
    {
        return;
    }
    let rt = runtime();
    let Some(db) = rt.block_on(TestDb::create(backend)) else {
        return;
    };
    let sb = Sandbox::new();
    let url = db.url.clone();
    let dbarg = ["--database-url", url.as_str()];
    let (a, b) = (free_port(), free_port());
    let ra = redis(sb.dir.path(), a, None);
    let _rb = redis(sb.dir.path(), b, Some(a));
    wait_until("the replica to sync", 20, || {
        (role(b) == "slave").then_some(())
    });
    let estate = sb.dir.path().join("estate.toml");
    std::fs::write(&estate, topology(a, b)).unwrap();
    let (engine, port) = serve(&sb, &url, &[]);
    let (ok, text) = sb.run(&[&dbarg[..], &["apply", estate.to_str().unwrap()]].concat());
    assert!(ok, "{text}");
    let (ok, text) = sb.run(&[&dbarg[..], &["diagnosis", "list"]].concat());
    assert!(
        ok && text.lines().any(|l| l.starts_with("redis-master-down")
            && l.contains("redis-master-down,redis-replication-broken")),
        "{text}"
    );

    drop(ra); // the primary dies
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
    let instance = format!("127.0.0.1:{a}");
    let posted = Instant::now();
    assert_eq!(
        post_alertmanager(port, &token, &redis_down(&instance)),
        "200"
    );

    let store = rt.block_on(db.store());
    let run = wait_until("the engine's diagnosis", 30, || {
        rt.block_on(store.list_diagnoses(None, 10))
            .unwrap()
            .into_iter()
            .find(|r| r.status == "done")
    });
    let took = posted.elapsed();
    eprintln!(
        "DIAGNOSIS {backend:?}: alert 2xx → concluded in {} ms (2 probes)",
        took.as_millis()
    );
    assert_eq!(run.requested_by, "engine");
    assert_eq!(run.tree, "redis-master-down");
    assert_eq!(run.conclusion, "master-down-replica-healthy", "{run:?}");
    assert_eq!(run.level, "P0");
    assert_eq!(
        run.cause.split(" (").next().unwrap(),
        "master redis-a down",
        "{run:?}"
    );
    assert!(
        run.cause
            .ends_with(&format!("replica redis-b healthy at 127.0.0.1:{b}")),
        "{run:?}"
    );
    let trace: serde_json::Value = serde_json::from_str(&run.trace).unwrap();
    let path: Vec<(String, String)> = trace["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["node"].as_str().unwrap().to_owned(),
                v["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        path,
        [
            ("master-answers".to_owned(), "unreach".to_owned()),
            ("replica-answers".to_owned(), "pass".to_owned())
        ]
    );
    assert_eq!(trace["path"][1]["values"]["ROLE"], "slave");
    let c = &trace["conclusion"];
    assert_eq!(c["plan"], "redis-master-switch");
    assert_eq!(
        c["params"],
        serde_json::json!({
            "old_master": "redis-a", "new_master": "redis-b",
            "new_master_host": "127.0.0.1", "new_master_port": b.to_string()
        })
    );

    // On the event's timeline, with the path and the recommendation.
    let log = rt.block_on(store.event_log(run.event_id)).unwrap();
    let diagnosed: Vec<&str> = log
        .iter()
        .filter(|l| l.kind == "diagnosed")
        .map(|l| l.message.as_str())
        .collect();
    assert_eq!(diagnosed.len(), 1, "{log:?}");
    // The built-in policy is shadow: it records what it would have done, and the switch is G3,
    // which never runs by itself.
    let shadow = wait_until("the shadow decision", 10, || {
        rt.block_on(store.event_log(run.event_id))
            .unwrap()
            .into_iter()
            .find(|l| l.kind == "self-heal")
    });
    assert!(
        shadow
            .message
            .starts_with("self-heal (shadow) would skip plan redis-master-switch (")
            && shadow
                .message
                .contains("for redis-master-down:master-down-replica-healthy:redis-a (never-g3")
            && shadow.message.ends_with("nothing ran"),
        "{shadow:?}"
    );
    assert!(
        diagnosed[0].contains("path master-answers(unreach) → replica-answers(pass) → master-down-replica-healthy")
            && diagnosed[0].contains(&format!(
                "recommends plan redis-master-switch (new_master=redis-b, new_master_host=127.0.0.1, new_master_port={b}, old_master=redis-a)"
            )),
        "{diagnosed:?}"
    );

    // The storm: the same alert again and again is one episode, diagnosed once.
    for _ in 0..20 {
        assert_eq!(
            post_alertmanager(port, &token, &redis_down(&instance)),
            "200"
        );
    }
    // A manual run (below) is queued after these repeats were stored; when it concluded, the
    // matcher has had every chance to queue another automatic one.
    let (ok, text) = sb.run(&[&dbarg[..], &["diagnose", &run.event_id.to_string()]].concat());
    assert!(ok, "{text}");
    let marked: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with('▶'))
        .map(|l| l.trim_start_matches('▶').trim())
        .collect();
    assert_eq!(marked.len(), 3, "{text}");
    assert!(marked[0].starts_with("● master-answers"), "{text}");
    assert!(
        marked[1].starts_with("unreach → ● replica-answers"),
        "{text}"
    );
    assert!(
        marked[2].starts_with("pass → ■ master-down-replica-healthy [P0]"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "recommended: nightwatch plan run redis-master-switch --event {} -p new_master=redis-b -p new_master_host=127.0.0.1 -p new_master_port={b} -p old_master=redis-a",
            run.event_id
        )),
        "{text}"
    );
    std::thread::sleep(std::time::Duration::from_millis(1_200)); // two matcher polls
    let runs = rt
        .block_on(store.list_diagnoses(Some(run.event_id), 50))
        .unwrap();
    let auto = runs.iter().filter(|r| r.requested_by == "engine").count();
    assert_eq!(auto, 1, "one automatic diagnosis per episode: {runs:?}");
    assert_eq!(runs.len(), 2, "{runs:?}");
    let heals = rt
        .block_on(store.list_self_heals(Some(run.event_id), 10))
        .unwrap();
    assert_eq!(
        heals.len(),
        1,
        "an operator's diagnosis decides no self-heal: {heals:?}"
    );
    assert_eq!(
        (heals[0].decision.as_str(), heals[0].rule.as_str()),
        ("shadow", "never-g3")
    );

    // A diagnosis only probes: the replica is still a replica.
    assert_eq!(role(b), "slave");

    let shown = json_of(
        &sb,
        &[
            &dbarg[..],
            &[
                "diagnosis",
                "runs",
                "--event",
                &run.event_id.to_string(),
                "-o",
                "json",
            ],
        ]
        .concat(),
    );
    assert_eq!(shown.as_array().unwrap().len(), 2, "{shown}");
    rt.block_on(store.close());
    drop(engine);
    rt.block_on(db.cleanup());
}

#[test]
fn redis_master_down_is_diagnosed_by_itself_on_sqlite() {
    redis_master_down_is_diagnosed_by_itself(Backend::Sqlite);
}

#[test]
fn redis_master_down_is_diagnosed_by_itself_on_mysql() {
    redis_master_down_is_diagnosed_by_itself(Backend::MySql);
}

#[test]
fn redis_master_down_is_diagnosed_by_itself_on_postgres() {
    redis_master_down_is_diagnosed_by_itself(Backend::Postgres);
}

/// A tree whose conclusion reads hostile labels: the text lands in the cause and in a plan
/// parameter as written; nothing runs, no file appears.
#[test]
fn hostile_labels_are_text_in_a_conclusion() {
    let rt = runtime();
    let Some(db) = rt.block_on(TestDb::create(Backend::Sqlite)) else {
        return;
    };
    let sb = Sandbox::new();
    let url = db.url.clone();
    let dbarg = ["--database-url", url.as_str()];
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let pwned = sb.dir.path().join("PWNED");
    let content = sb.dir.path().join("hostile.toml");
    std::fs::write(
        &content,
        format!(
            "[[component]]\nname = \"svc-1\"\nkind = \"svc\"\nlayer = \"business\"\n\
             endpoints = {{ host = \"127.0.0.1\", port = {port} }}\n\n\
             [[plan]]\nname = \"note\"\ntitle = \"note\"\n\
             [[plan.param]]\nname = \"text\"\nkind = \"string\"\n\
             [[plan.step]]\nid = \"s\"\ntitle = \"s\"\nop = {{ kind = \"notify\", message = \"{{{{params.text}}}}\" }}\n\n\
             [[tree]]\nname = \"echo\"\ntitle = \"echo\"\nroot = \"up\"\n\
             [[tree.node]]\nid = \"up\"\nprobe = {{ kind = \"tcp\" }}\ncondition = \"[CONNECTED] == true\"\npass = \"said\"\nfail = \"said\"\n\
             [[tree.conclusion]]\nid = \"said\"\nlevel = \"P2\"\ncause = \"{{{{event.labels.evil}}}} on {{{{node.up.target}}}}\"\n\
             plan = \"note\"\nparams = {{ text = \"{{{{event.labels.evil}}}}\" }}\n\n\
             [[scenario]]\nname = \"hostile\"\nmatch = {{ labels = {{ alertname = \"Hostile\" }} }}\ntree = \"echo\"\n"
        ),
    )
    .unwrap();
    let (ok, text) = sb.run(&[&dbarg[..], &["apply", content.to_str().unwrap()]].concat());
    assert!(ok, "{text}");
    let evil = format!(
        "$(touch {}); `touch {}` 'q\" ;",
        pwned.display(),
        pwned.display()
    );
    let store = rt.block_on(db.store());
    let item = nightwatch::store::IngestItem {
        incoming: nightwatch::domain::event::Incoming {
            fingerprint: "hostile-1".into(),
            source: "alertmanager".into(),
            ds_type: "PROM".into(),
            level: nightwatch::domain::event::Level::P1,
            title: "hostile".into(),
            summary: String::new(),
            labels: [
                ("alertname".to_owned(), "Hostile".to_owned()),
                ("evil".to_owned(), evil.clone()),
                ("instance".to_owned(), format!("127.0.0.1:{port}")),
            ]
            .into(),
            annotations: Default::default(),
            component: "svc-1".into(),
            firing: true,
            starts_at: 1,
            source_url: String::new(),
        },
        keep: true,
    };
    rt.block_on(store.ingest_batch(&[item], &[], 1_000))
        .unwrap();
    let id = rt
        .block_on(store.list_events(&nightwatch::domain::event::EventQuery {
            statuses: nightwatch::domain::event::Status::ALL.to_vec(),
            limit: 10,
            ..Default::default()
        }))
        .unwrap()[0]
        .id;
    let out = json_of(
        &sb,
        &[&dbarg[..], &["diagnose", &id.to_string(), "-o", "json"]].concat(),
    );
    let c = &out["trace"]["conclusion"];
    assert_eq!(c["cause"], format!("{evil} on svc-1"), "{out}");
    assert_eq!(c["params"]["text"], evil, "{out}");
    assert_eq!(out["trace"]["path"][0]["outcome"], "pass", "{out}");
    assert!(!pwned.exists(), "a label was executed");
    drop(listener);
    rt.block_on(store.close());
    rt.block_on(db.cleanup());
}

/// The git storage tree on a real MariaDB `batmanshard.node` table: the built-in inspection rule
/// raises the event, `nightwatch diagnose` walks the built-in `git-storage-node-down` tree and
/// finds the group, its dead master and its online backup, filling `git-storage-failover`.
#[test]
fn git_storage_node_down_on_a_real_mariadb_node_table() {
    let rt = runtime();
    let Some(target) = rt.block_on(TestDb::create(Backend::MySql)) else {
        return;
    };
    let statements: Vec<nightwatch::store::TargetStatement> = [
        "create table node (id int primary key, pod_id int not null, node_type int not null, status int not null)",
        // Pod 1: node 1 is the dead master, 2 a mirror, 3 the online backup. Pod 2 is healthy.
        "insert into node values (1, 1, 0, 0), (2, 1, 1, 1), (3, 1, 2, 1), (4, 2, 0, 1), (5, 2, 2, 1)",
    ]
    .iter()
    .map(|s| nightwatch::store::TargetStatement {
        sql: (*s).to_owned(),
        ..Default::default()
    })
    .collect();
    rt.block_on(nightwatch::store::execute_target(
        &target.url,
        &statements,
        std::time::Duration::from_secs(10),
    ))
    .unwrap();
    let sb = Sandbox::new();
    let content = sb.dir.path().join("git.toml");
    std::fs::write(
        &content,
        format!(
            "[[component]]\nname = \"batmanshard-db\"\nkind = \"mysql\"\nlayer = \"database\"\napp = \"batmanshard\"\nendpoints = {{ dsn = \"{}\" }}\n\n\
             [[task]]\nname = \"git-check\"\nrules = [\"git-storage-one-master\"]\nevery = \"1h\"\n",
            target.url
        ),
    )
    .unwrap();
    let url = format!("sqlite://{}/nw.db?mode=rwc", sb.dir.path().display());
    let (engine, _) = serve(&sb, &url, &[]);
    let db = ["--database-url", url.as_str()];
    let (ok, text) = sb.run(&[&db[..], &["apply", content.to_str().unwrap()]].concat());
    assert!(ok, "{text}");
    let (ok, text) =
        sb.run(&[&db[..], &["inspect", "run", "git-check", "--timeout", "60"]].concat());
    assert!(!ok && text.contains("git-storage-one-master"), "{text}");
    let events = json_of(
        &sb,
        &[
            &db[..],
            &["events", "list", "source:inspection", "-o", "json"],
        ]
        .concat(),
    );
    let id = events.as_array().unwrap()[0]["id"].as_i64().unwrap();
    // The engine diagnosed it by itself; an operator's run agrees.
    let auto = wait_until("the engine's diagnosis", 30, || {
        let runs = json_of(
            &sb,
            &[
                &db[..],
                &[
                    "diagnosis",
                    "runs",
                    "--event",
                    &id.to_string(),
                    "-o",
                    "json",
                ],
            ]
            .concat(),
        );
        runs.as_array()
            .unwrap()
            .iter()
            .find(|r| r["status"] == "done" && r["requested_by"] == "engine")
            .cloned()
    });
    assert_eq!(auto["conclusion"], "master-down-backup-ready", "{auto}");
    let out = json_of(
        &sb,
        &[&db[..], &["diagnose", &id.to_string(), "-o", "json"]].concat(),
    );
    let c = &out["trace"]["conclusion"];
    assert_eq!(c["id"], "master-down-backup-ready", "{out}");
    assert_eq!(
        c["cause"],
        "node group 1: master node 1 is offline; backup node 3 is online and can be promoted",
        "{out}"
    );
    assert_eq!(c["plan"], "git-storage-failover");
    assert_eq!(
        c["params"],
        serde_json::json!({"database": "batmanshard-db", "pod_id": "1", "dead_node": "1", "backup_node": "3"}),
        "{out}"
    );
    assert_eq!(out["run"]["scenario"], "git-storage-master-lost", "{out}");
    // A diagnosis only reads: the table is as it was.
    let rows = rt
        .block_on(nightwatch::store::query_target(
            &target.url,
            "select id, node_type, status from node order by id",
            std::time::Duration::from_secs(10),
        ))
        .unwrap()
        .rows;
    assert_eq!(
        rows[0],
        [
            serde_json::json!(1),
            serde_json::json!(0),
            serde_json::json!(0)
        ]
    );
    assert_eq!(
        rows[2],
        [
            serde_json::json!(3),
            serde_json::json!(2),
            serde_json::json!(1)
        ]
    );
    drop(engine);
    rt.block_on(target.cleanup());
}
