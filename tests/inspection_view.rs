//! The store queries behind the console's Inspections pane, on SQLite, MariaDB and PostgreSQL (see
//! `common`): the change stamp moves with every run change and only then, task summaries carry
//! at most the newest N runs, results are read after a cursor, and a manual run request is queued
//! and audited together (or refused for an unknown task).

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use common::TestDb;
use nightwatch::domain::Danger;
use nightwatch::domain::content::{Bundle, Schedule, Task};
use nightwatch::store::{ResultRow, Store, StoreError};

fn task(name: &str, enabled: bool) -> Task {
    Task {
        name: name.to_owned(),
        rules: vec!["svc-port".to_owned(), "svc-http".to_owned()],
        schedule: Schedule::Every("1m".to_owned()),
        concurrency: 4,
        timeout_ms: 2_000,
        retries: 0,
        notify: Vec::new(),
        enabled,
    }
}

async fn with_tasks(store: &Store) {
    let bundle = Bundle {
        tasks: vec![task("svc", true), task("quiet", false)],
        ..Bundle::default()
    };
    store
        .apply_bundle(&bundle, false, "test", 1_000)
        .await
        .unwrap();
}

fn result(run_id: i64, rule: &str, verdict: &str) -> ResultRow {
    ResultRow {
        run_id,
        rule: rule.to_owned(),
        target: "svc-1".to_owned(),
        verdict: verdict.to_owned(),
        value_json: r#"{"CONNECTED":false}"#.to_owned(),
        message: "[CONNECTED] == true is false".to_owned(),
        output: "cannot connect to 127.0.0.1:1: Connection refused".to_owned(),
        duration_ms: 3,
        at: 5_000,
    }
}

async fn the_stamp_moves_with_every_run_change_and_only_then(store: Store, db: TestDb) -> TestDb {
    let empty = store.inspection_stamp().await.unwrap();
    assert_eq!(
        (empty.max_run_id, empty.active.len(), empty.tasks),
        (0, 0, 0)
    );
    with_tasks(&store).await;
    let applied = store.inspection_stamp().await.unwrap();
    assert_eq!((applied.tasks, applied.tasks_updated), (2, 1_000));
    assert_eq!(store.inspection_stamp().await.unwrap(), applied, "stable");

    let id = store
        .request_run("svc", "op@jump-1", "", 2_000)
        .await
        .unwrap();
    let queued = store.inspection_stamp().await.unwrap();
    assert_eq!(queued.max_run_id, id);
    assert_eq!(queued.active, vec![(id, "queued".to_owned())]);

    let claimed = store.claim_run("w1", 3_000, 30_000).await.unwrap().unwrap();
    assert_eq!(claimed.id, id);
    let running = store.inspection_stamp().await.unwrap();
    assert_eq!(running.active, vec![(id, "running".to_owned())]);
    assert_ne!(running, queued);

    store
        .finish_run(
            id,
            "w1",
            "failed",
            r#"{"pass":0,"warn":0,"fail":1,"error":0}"#,
            4_000,
        )
        .await
        .unwrap();
    let finished = store.inspection_stamp().await.unwrap();
    assert_eq!((finished.max_run_id, finished.active.len()), (id, 0));
    assert_ne!(finished, running, "finishing a run moves the stamp");
    db
}

async fn summaries_carry_the_newest_runs_of_each_task(store: Store, db: TestDb) -> TestDb {
    with_tasks(&store).await;
    let mut ids = Vec::new();
    for at in [10, 20, 30] {
        ids.push(
            store
                .queue_run("svc", "schedule", "scheduler", at)
                .await
                .unwrap(),
        );
    }
    let all = store.task_summaries(2).await.unwrap();
    let names: Vec<&str> = all.iter().map(|t| t.task.name.as_str()).collect();
    assert_eq!(names, ["quiet", "svc"], "by name");
    let (quiet, svc) = (&all[0], &all[1]);
    assert!(!quiet.enabled && quiet.recent.is_empty());
    assert!(svc.enabled);
    assert_eq!(svc.task.rules, ["svc-port", "svc-http"]);
    let recent: Vec<i64> = svc.recent.iter().map(|r| r.id).collect();
    assert_eq!(recent, [ids[2], ids[1]], "the newest two, newest first");
    assert_eq!(svc.recent[0].status, "queued");
    assert_eq!(store.count_runs("svc").await.unwrap(), 3);
    assert_eq!(store.count_runs("quiet").await.unwrap(), 0);
    db
}

async fn results_are_read_after_a_cursor(store: Store, db: TestDb) -> TestDb {
    with_tasks(&store).await;
    let run = store.queue_run("svc", "manual", "op", 10).await.unwrap();
    let other = store.queue_run("quiet", "manual", "op", 11).await.unwrap();
    store
        .insert_result(&result(run, "svc-port", "fail"))
        .await
        .unwrap();
    store
        .insert_result(&result(other, "svc-port", "pass"))
        .await
        .unwrap();
    store
        .insert_result(&result(run, "svc-http", "pass"))
        .await
        .unwrap();
    let all = store.run_results_after(run, 0).await.unwrap();
    assert_eq!(all.len(), 2, "this run's results only");
    assert!(all[0].0 < all[1].0, "by id");
    assert_eq!(all[0].1, result(run, "svc-port", "fail"));
    let after = store.run_results_after(run, all[0].0).await.unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].1.rule, "svc-http");
    assert!(
        store
            .run_results_after(run, all[1].0)
            .await
            .unwrap()
            .is_empty()
    );
    db
}

async fn a_manual_run_is_queued_and_audited_or_refused(store: Store, db: TestDb) -> TestDb {
    with_tasks(&store).await;
    let id = store
        .request_run("quiet", "op@jump-1", "checking after the fix", 7_000)
        .await
        .unwrap();
    let run = store.get_run(id).await.unwrap();
    assert_eq!(
        (
            run.status.as_str(),
            run.trigger.as_str(),
            run.requested_by.as_str(),
            run.created_at
        ),
        ("queued", "manual", "op@jump-1", 7_000)
    );
    let audit = store.list_audit(1).await.unwrap();
    let a = &audit[0];
    assert_eq!(
        (
            a.actor.as_str(),
            a.action.as_str(),
            a.target.as_str(),
            a.danger
        ),
        ("op@jump-1", "inspection.run", "quiet", Danger::G1)
    );
    assert!(
        a.reason.contains(&format!("manual run {id}")) && a.reason.contains("after the fix"),
        "{a:?}"
    );

    let before = store.inspection_stamp().await.unwrap();
    let audited = store.list_audit(100).await.unwrap().len();
    let err = store
        .request_run("no-such-task", "op@jump-1", "", 8_000)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    assert_eq!(
        store.inspection_stamp().await.unwrap(),
        before,
        "nothing queued"
    );
    assert_eq!(
        store.list_audit(100).await.unwrap().len(),
        audited,
        "nothing audited for a refused request"
    );
    db
}

on_every_backend!(
    the_stamp_moves_with_every_run_change_and_only_then,
    summaries_carry_the_newest_runs_of_each_task,
    results_are_read_after_a_cursor,
    a_manual_run_is_queued_and_audited_or_refused,
);
