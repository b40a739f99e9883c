//! The plan store on every backend: versioned definitions; runs queued with their steps, claimed
//! by exactly one worker with a lease, steps written only by the claim holder; expired leases
//! interrupt (never re-run); resume and skip; approval by a second operator; operator control;
//! the linked event's timeline.

#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE.md)

mod common;

use common::TestDb;
use nightwatch::store::{NewPlanRun, NewStep, StepUpdate, Store};

fn step(phase: &str, id: &str) -> NewStep {
    NewStep {
        phase: phase.into(),
        step_id: id.into(),
        title: format!("title of {id}"),
        kind: "command".into(),
        danger: "G2".into(),
        group: String::new(),
        rendered: format!("sh -c 'echo {id}'"),
    }
}

fn run(plan: &str, requested_by: &str) -> NewPlanRun {
    NewPlanRun {
        plan: plan.into(),
        version: 1,
        params: r#"{"node":"git-2"}"#.into(),
        danger: "G3".into(),
        requested_by: requested_by.into(),
        reason: "CR-1 node dead".into(),
        steps: vec![
            step("precheck", "look"),
            step("step", "swap"),
            step("postcheck", "verify"),
        ],
        ..NewPlanRun::default()
    }
}

async fn versions_bump_only_on_change(store: Store, db: TestDb) -> TestDb {
    let v1 = store
        .upsert_plan("failover", r#"{"a":1}"#, "h1", "G3", true, "apply", 10)
        .await
        .unwrap();
    let same = store
        .upsert_plan("failover", r#"{"a":1}"#, "h1", "G3", true, "apply", 20)
        .await
        .unwrap();
    let v2 = store
        .upsert_plan("failover", r#"{"a":2}"#, "h2", "G3", true, "apply", 30)
        .await
        .unwrap();
    assert_eq!((v1, same, v2), (1, 1, 2));
    assert_eq!(
        store.plan_version("failover", 1).await.unwrap().unwrap(),
        r#"{"a":1}"#
    );
    let p = store.get_plan("failover").await.unwrap().unwrap();
    assert_eq!((p.version, p.definition.as_str()), (2, r#"{"a":2}"#));
    assert_eq!(store.list_plans().await.unwrap().len(), 1);
    store
        .upsert_scenario("redis-down", "{}", true, 1)
        .await
        .unwrap();
    store
        .upsert_scenario("redis-down", r#"{"x":1}"#, true, 2)
        .await
        .unwrap();
    let sc = store.list_scenarios().await.unwrap();
    assert_eq!((sc.len(), sc[0].definition.as_str()), (1, r#"{"x":1}"#));
    db
}

async fn queue_claim_steps_finish(store: Store, db: TestDb) -> TestDb {
    let a = store
        .queue_plan_run(&run("failover", "alice"), 100)
        .await
        .unwrap();
    let b = store
        .queue_plan_run(&run("failover", "alice"), 101)
        .await
        .unwrap();
    assert!(b > a);
    let steps = store.plan_run_steps(a).await.unwrap();
    let seqs: Vec<(i64, &str, &str)> = steps
        .iter()
        .map(|s| (s.seq, s.phase.as_str(), s.status.as_str()))
        .collect();
    assert_eq!(
        seqs,
        [
            (1, "precheck", "pending"),
            (2, "step", "pending"),
            (3, "postcheck", "pending")
        ]
    );
    // Two workers racing: each run is claimed once.
    let (c1, c2) = tokio::join!(
        store.claim_plan_run("w1", 200, 10_000),
        store.claim_plan_run("w2", 200, 10_000)
    );
    let mut got: Vec<i64> = [c1.unwrap(), c2.unwrap()]
        .into_iter()
        .flatten()
        .map(|r| r.id)
        .collect();
    got.sort_unstable();
    assert_eq!(got, [a, b], "each run claimed by exactly one worker");
    assert!(
        store
            .claim_plan_run("w3", 200, 10_000)
            .await
            .unwrap()
            .is_none()
    );
    let ra = store.get_plan_run(a).await.unwrap();
    let (holder, other) = if ra.claimed_by == "w1" {
        ("w1", "w2")
    } else {
        ("w2", "w1")
    };
    assert_eq!(ra.status, "running");
    let u = StepUpdate {
        status: "succeeded".into(),
        attempts: 1,
        started_at: 210,
        finished_at: 220,
        message: "exit code 0".into(),
        values_json: r#"{"EXIT_CODE":0}"#.into(),
        output: "ok\n".into(),
    };
    assert!(
        !store.update_plan_step(a, 1, other, &u, 220).await.unwrap(),
        "not the holder"
    );
    assert!(store.update_plan_step(a, 1, holder, &u, 220).await.unwrap());
    assert!(
        store
            .set_plan_step_output(a, 2, holder, "half way\n", 230)
            .await
            .unwrap()
    );
    let steps = store.plan_run_steps(a).await.unwrap();
    assert_eq!(
        (steps[0].status.as_str(), steps[0].attempts),
        ("succeeded", 1)
    );
    assert_eq!(steps[1].output, "half way\n");
    // The stamp is the newest change (× 256) plus the active runs whose lease expired by then.
    assert_eq!(store.plan_runs_stamp(230).await.unwrap(), 230 * 256);
    // Readers see a run whose lease expired as interrupted (its engine is gone) before any
    // engine marks it so, and the stamp moves so pollers read it again.
    assert_eq!(store.plan_runs_stamp(20_000).await.unwrap(), 230 * 256 + 2);
    let seen = store.get_plan_run(a).await.unwrap().as_seen(20_000);
    assert_eq!(seen.status, "interrupted");
    assert!(seen.message.contains("engine gone"), "{}", seen.message);
    let stored = store.get_plan_run(a).await.unwrap();
    assert_eq!(stored.status, "running", "nothing is written by reading");
    assert_eq!(
        stored.as_seen(230).status,
        "running",
        "a live lease shows running"
    );
    // Control: pause is seen through the lease renewal, then resume clears it.
    store
        .control_plan_run(a, "pause", "bob", "", 240)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .renew_plan_run(a, holder, 10_000, 10_000)
            .await
            .unwrap()
            .as_deref(),
        Some("pause")
    );
    store
        .control_plan_run(a, "resume", "bob", "", 250)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .renew_plan_run(a, holder, 10_000, 10_000)
            .await
            .unwrap()
            .as_deref(),
        Some("")
    );
    assert_eq!(
        store
            .renew_plan_run(a, other, 10_000, 10_000)
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .finish_plan_run(a, holder, "succeeded", "done", 300)
            .await
            .unwrap()
    );
    assert!(
        !store
            .finish_plan_run(a, holder, "failed", "again", 301)
            .await
            .unwrap()
    );
    let ra = store.get_plan_run(a).await.unwrap();
    assert_eq!(
        (ra.status.as_str(), ra.finished_at, ra.claimed_by.as_str()),
        ("succeeded", 300, "")
    );
    let refused = store
        .control_plan_run(a, "abort", "bob", "", 310)
        .await
        .unwrap();
    assert!(refused.unwrap_err().contains("it is succeeded"));
    db
}

async fn expired_leases_interrupt_and_resume_is_explicit(store: Store, db: TestDb) -> TestDb {
    let id = store
        .queue_plan_run(&run("failover", "alice"), 100)
        .await
        .unwrap();
    store
        .claim_plan_run("w1", 200, 1_000)
        .await
        .unwrap()
        .unwrap();
    let running = StepUpdate {
        status: "running".into(),
        attempts: 1,
        started_at: 210,
        ..StepUpdate::default()
    };
    store
        .update_plan_step(id, 2, "w1", &running, 210)
        .await
        .unwrap();
    assert!(
        store
            .interrupt_expired_plan_runs(1_100)
            .await
            .unwrap()
            .is_empty(),
        "lease alive"
    );
    assert_eq!(
        store.interrupt_expired_plan_runs(1_300).await.unwrap(),
        [id]
    );
    let r = store.get_plan_run(id).await.unwrap();
    assert_eq!(r.status, "interrupted");
    assert_eq!(
        store.plan_run_steps(id).await.unwrap()[1].status,
        "interrupted"
    );
    // Never claimed again by itself.
    assert!(
        store
            .claim_plan_run("w2", 1_400, 1_000)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !store
            .update_plan_step(id, 2, "w1", &running, 1_400)
            .await
            .unwrap()
    );
    // Resume from step 2 (re-runs it), or skip it.
    let e = store
        .resume_plan_run(id, 9, false, "bob", "r", 1_500)
        .await
        .unwrap();
    assert!(e.unwrap_err().contains("no step 9"));
    store
        .resume_plan_run(id, 2, true, "bob", "done by hand", 1_500)
        .await
        .unwrap()
        .unwrap();
    let steps = store.plan_run_steps(id).await.unwrap();
    let st: Vec<&str> = steps.iter().map(|s| s.status.as_str()).collect();
    // Step 1 stays as it was (pending: it never ran here), 2 skipped, 3 pending again.
    assert_eq!(st, ["pending", "skipped", "pending"]);
    let r = store
        .claim_plan_run("w2", 1_600, 1_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((r.id, r.resume_from.as_str()), (id, "2"));
    let audit = store.list_audit(20).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "plan.skip_step" && a.actor == "bob" && a.danger.as_str() == "G3"),
        "{audit:?}"
    );
    db
}

async fn approval_needs_a_second_operator(store: Store, db: TestDb) -> TestDb {
    let mut r = run("failover", "alice");
    r.approval_required = true;
    let id = store.queue_plan_run(&r, 100).await.unwrap();
    assert_eq!(
        store.get_plan_run(id).await.unwrap().status,
        "awaiting_approval"
    );
    assert!(
        store
            .claim_plan_run("w1", 200, 1_000)
            .await
            .unwrap()
            .is_none()
    );
    let e = store
        .approve_plan_run(id, "alice", "me", 150)
        .await
        .unwrap();
    assert!(e.unwrap_err().contains("a second operator"));
    store
        .approve_plan_run(id, "carol", "CR ok", 160)
        .await
        .unwrap()
        .unwrap();
    let got = store
        .claim_plan_run("w1", 200, 1_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((got.id, got.approved_by.as_str()), (id, "carol"));
    // A queued run is aborted at once.
    let id2 = store
        .queue_plan_run(&run("failover", "alice"), 300)
        .await
        .unwrap();
    store
        .control_plan_run(id2, "abort", "bob", "wrong node", 310)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.get_plan_run(id2).await.unwrap().status, "aborted");
    db
}

async fn runs_from_an_event_are_on_its_timeline(store: Store, db: TestDb) -> TestDb {
    use nightwatch::domain::event::{Incoming, Level};
    use nightwatch::store::IngestItem;
    let inc = Incoming {
        fingerprint: "git-node-down".into(),
        source: "inspection".into(),
        ds_type: "inspection".into(),
        level: Level::P1,
        title: "git node down".into(),
        summary: String::new(),
        labels: Default::default(),
        annotations: Default::default(),
        component: "git-2".into(),
        firing: true,
        starts_at: 1,
        source_url: String::new(),
    };
    store
        .ingest_batch(
            &[IngestItem {
                incoming: inc,
                keep: true,
            }],
            &[],
            1,
        )
        .await
        .unwrap();
    let all = nightwatch::domain::event::EventQuery {
        limit: 10,
        ..Default::default()
    };
    let ev = store.list_events(&all).await.unwrap().remove(0);
    let mut r = run("failover", "alice");
    r.event_id = ev.id;
    let id = store.queue_plan_run(&r, 100).await.unwrap();
    store
        .claim_plan_run("w1", 200, 1_000)
        .await
        .unwrap()
        .unwrap();
    store
        .finish_plan_run(id, "w1", "succeeded", "ok", 300)
        .await
        .unwrap();
    let log = store.event_log(ev.id).await.unwrap();
    let kinds: Vec<(&str, &str)> = log
        .iter()
        .map(|l| (l.kind.as_str(), l.message.as_str()))
        .collect();
    assert!(
        kinds.contains(&(
            "plan-started",
            &*format!("plan failover v1 queued as run {id}")
        )),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(
            "plan-finished",
            &*format!("plan failover v1 run {id}: succeeded")
        )),
        "{kinds:?}"
    );
    db
}

on_every_backend!(
    versions_bump_only_on_change,
    queue_claim_steps_finish,
    expired_leases_interrupt_and_resume_is_explicit,
    approval_needs_a_second_operator,
    runs_from_an_event_are_on_its_timeline,
);
