//! What may outlive a plan run, on every backend: a running step's process group is recorded
//! (pgid, boot id, leader start time); while it is alive `plan resume` is refused; an engine kills
//! the survivors of interrupted runs on its host and forgets them; a record from another boot or
//! of a group that is gone stops nothing. Real processes, real databases.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use std::os::unix::process::CommandExt as _;
use std::time::{Duration, Instant};

use common::TestDb;
use nightwatch::child::proc::{boot_id, group_alive, start_ticks};
use nightwatch::store::{NewPlanRun, NewStep, StepProcess, Store};

fn run() -> NewPlanRun {
    NewPlanRun {
        plan: "slow".into(),
        version: 1,
        params: "{}".into(),
        danger: "G2".into(),
        requested_by: "alice@h".into(),
        reason: "drill".into(),
        steps: vec![NewStep {
            phase: "step".into(),
            step_id: "long".into(),
            title: "long".into(),
            kind: "command".into(),
            danger: "G2".into(),
            group: String::new(),
            rendered: "sleep 60".into(),
        }],
        ..NewPlanRun::default()
    }
}

/// A real process group standing in for a step that survived its engine (no leash: it must be
/// killed by the sweep, not die on its own).
fn survivor() -> std::process::Child {
    std::process::Command::new("sh")
        .args(["-c", "sleep 60 & sleep 61"])
        .process_group(0)
        .spawn()
        .unwrap()
}

async fn survivors_block_resume_and_are_killed_by_the_sweep(store: Store, db: TestDb) -> TestDb {
    let id = store.queue_plan_run(&run(), 100).await.unwrap();
    let claimed = store
        .claim_plan_run("w1", 200, 1_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, id);
    let mut child = survivor();
    let pgid = child.id();
    let record = StepProcess {
        run_id: id,
        seq: 0,
        pgid: i64::from(pgid),
        boot_id: boot_id(),
        proc_start: i64::try_from(start_ticks(pgid).unwrap()).unwrap(),
    };
    let seq = store.plan_run_steps(id).await.unwrap()[0].seq;
    let record = StepProcess { seq, ..record };
    assert!(store.set_plan_step_process(&record, "w1").await.unwrap());
    assert!(
        !store
            .set_plan_step_process(&record, "someone-else")
            .await
            .unwrap(),
        "only the claim holder records"
    );
    assert_eq!(
        store.plan_run_processes(id).await.unwrap(),
        std::slice::from_ref(&record)
    );
    // The engine dies; its lease expires.
    assert_eq!(
        store.interrupt_expired_plan_runs(5_000).await.unwrap(),
        [id]
    );
    let why = nightwatch::plans::still_running(&store, id).await.unwrap();
    let why = why.expect("a live recorded group refuses the resume");
    assert!(
        why.contains("may still be running") && why.contains(&pgid.to_string()),
        "{why}"
    );
    // Another boot's record of the same pgid is not ours: nothing is refused or killed for it.
    let other = StepProcess {
        boot_id: "00000000-0000-0000-0000-000000000000".into(),
        ..record.clone()
    };
    assert_eq!(
        store.interrupted_processes(&other.boot_id).await.unwrap(),
        []
    );

    assert_eq!(nightwatch::plans::kill_survivors(&store).await.unwrap(), 1);
    let _ = child.wait();
    let deadline = Instant::now() + Duration::from_secs(2);
    while group_alive(pgid) {
        assert!(Instant::now() < deadline, "group {pgid} survived the sweep");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(store.plan_run_processes(id).await.unwrap(), [], "forgotten");
    assert_eq!(
        nightwatch::plans::still_running(&store, id).await.unwrap(),
        None
    );
    assert_eq!(nightwatch::plans::kill_survivors(&store).await.unwrap(), 0);

    // A record whose group is gone (or whose pid now belongs to another process) stops nothing.
    let gone = StepProcess {
        proc_start: record.proc_start + 1,
        ..record
    };
    let id2 = store.queue_plan_run(&run(), 6_000).await.unwrap();
    store
        .claim_plan_run("w1", 6_100, 1_000)
        .await
        .unwrap()
        .unwrap();
    let gone = StepProcess {
        run_id: id2,
        seq: store.plan_run_steps(id2).await.unwrap()[0].seq,
        ..gone
    };
    store.set_plan_step_process(&gone, "w1").await.unwrap();
    assert_eq!(
        nightwatch::plans::still_running(&store, id2).await.unwrap(),
        None
    );
    db
}

on_every_backend!(survivors_block_resume_and_are_killed_by_the_sweep);
