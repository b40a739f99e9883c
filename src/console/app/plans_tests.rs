//! `App::update` on the Plans tab: polling with the change stamp, moving between the catalogue and
//! the runs, the launch form and `prepare`, the confirmation by danger (G3 refuses a wrong or
//! missing name and starts nothing), steering a live run, the read-only refusals, and `x` in an
//! event's detail opening the form filled from the top recommendation.

use std::collections::BTreeMap;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::console::action::{Action, Operation};
use crate::console::app::{App, Popup};
use crate::console::effect::Effect;
use crate::console::fixture::{
    self, NOW, form_app, g3_confirm_app, live_app, plan_run, plans_app, running_steps,
};
use crate::console::mode::Mode;
use crate::console::plans::Section;
use crate::console::tab::Tab;
use crate::domain::Danger;
use crate::domain::plan::Recommended;

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn press(app: &mut App, keys: &str) -> Vec<Effect> {
    keys.chars()
        .flat_map(|c| key(app, KeyCode::Char(c)))
        .collect()
}

fn mutations(effects: &[Effect]) -> Vec<&Effect> {
    effects.iter().filter(|e| e.is_mutating()).collect()
}

fn message(app: &App) -> String {
    app.message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default()
}

#[test]
fn the_lists_are_read_again_only_when_the_stamp_moved() {
    let mut app = plans_app(false, 80, 24);
    assert_eq!(app.mode(), Mode::Plans);
    assert_eq!((app.plans.plans.len(), app.plans.runs.len()), (3, 3));
    let effects = app.update(Action::Tick(NOW + 1_000));
    assert!(
        effects.contains(&Effect::LoadPlans {
            known: Some(NOW - 1_000)
        }),
        "{effects:?}"
    );
    app.dirty = false;
    app.update(Action::PlansLoaded(Ok(None)));
    assert!(!app.dirty, "an unchanged stamp changes nothing on screen");
}

#[test]
fn tab_moves_between_catalogue_and_runs_and_enter_opens_each() {
    let mut app = plans_app(false, 80, 24);
    press(&mut app, "j");
    assert_eq!(app.plans.plan_sel, 1);
    press(&mut app, "G");
    assert_eq!(app.plans.plan_sel, 2);
    key(&mut app, KeyCode::Right);
    assert_eq!(app.plans.section, Section::Runs);
    assert_eq!(app.tab, Tab::Plans, "→ switches lists here");
    press(&mut app, "j");
    assert_eq!(app.plans.run_sel, 1);
    press(&mut app, "k");
    let effects = key(&mut app, KeyCode::Enter);
    assert_eq!(effects, vec![Effect::LoadPlanRun { id: 12 }]);
    assert!(app.plans.live.is_some());
    key(&mut app, KeyCode::Esc);
    assert!(app.plans.live.is_none());
    key(&mut app, KeyCode::Left);
    assert_eq!(app.plans.section, Section::Catalogue);
    let effects = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(&effects[..], [Effect::OpenLaunchForm { plan, event_id: 0, .. }] if plan == "host-health-check"),
        "{effects:?}"
    );
}

#[test]
fn the_form_types_cycles_choices_and_prepares() {
    let mut app = form_app(false, 80, 24);
    assert_eq!(app.mode(), Mode::PlanForm);
    key(&mut app, KeyCode::Right);
    assert_eq!(
        app.plans.form.as_ref().unwrap().fields[0].input.text(),
        "batman-db-2",
        "→ cycles a topology parameter's choices"
    );
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    press(&mut app, "x9");
    let effects = key(&mut app, KeyCode::Enter);
    let Some(Effect::PreparePlan { params, .. }) = effects.first() else {
        panic!("{effects:?}");
    };
    assert_eq!(params.get("backup_node").map(String::as_str), Some("x9"));
    app.update(Action::PlanPrepared {
        plan: "git-storage-failover".into(),
        result: Err(vec![
            "--param backup_node: \"x9\" is not a whole number".into(),
        ]),
    });
    let f = app.plans.form.as_ref().unwrap();
    assert_eq!(f.focus, 3);
    assert!(
        f.fields[3]
            .error
            .as_deref()
            .unwrap_or("")
            .contains("whole number"),
        "{f:?}"
    );
    assert!(app.popup.is_none(), "nothing to confirm");
    // The dry-run switch: ctrl-d anywhere, d on its line.
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char('d'),
        KeyModifiers::CONTROL,
    )));
    assert!(app.plans.form.as_ref().unwrap().dry_run);
    key(&mut app, KeyCode::Esc);
    assert!(app.plans.form.is_none());
    assert!(message(&app).contains("nothing was started"));
}

#[test]
fn g3_launch_without_the_typed_name_is_refused_and_starts_nothing() {
    let mut app = g3_confirm_app(80, 24);
    let Some(Popup::Confirm(c)) = &app.popup else {
        panic!("a confirmation: {:?}", app.popup);
    };
    assert_eq!(c.danger(), Danger::G3);
    assert_eq!(c.op.target(), "batman-db-1");
    // No name at all, then a wrong one: refused, nothing queued.
    key(&mut app, KeyCode::Tab);
    press(&mut app, "CHG-1 failover");
    assert!(mutations(&key(&mut app, KeyCode::Enter)).is_empty());
    key(&mut app, KeyCode::Tab);
    press(&mut app, "batman-db-2");
    let effects = key(&mut app, KeyCode::Enter);
    assert!(mutations(&effects).is_empty(), "{effects:?}");
    let Some(Popup::Confirm(c)) = &app.popup else {
        panic!("still confirming");
    };
    assert!(
        c.error.as_deref().unwrap_or("").contains("batman-db-1"),
        "{:?}",
        c.error
    );
    // Esc: cancelled, nothing started.
    key(&mut app, KeyCode::Esc);
    assert!(app.popup.is_none());
    assert!(message(&app).contains("nothing was started"));
}

#[test]
fn g3_launch_with_the_name_and_a_reason_is_queued_with_the_typed_name() {
    let mut app = g3_confirm_app(80, 24);
    press(&mut app, "batman-db-1");
    key(&mut app, KeyCode::Tab);
    press(&mut app, "CHG-1 failover");
    let effects = key(&mut app, KeyCode::Enter);
    let [Effect::Mutate { op, reason, .. }] = &effects[..] else {
        panic!("{effects:?}");
    };
    assert_eq!(reason, "CHG-1 failover");
    assert!(
        matches!(op, Operation::LaunchPlan(l) if l.typed == "batman-db-1" && !l.dry_run),
        "{op:?}"
    );
    let effects = app.update(Action::PlanLaunched(Ok(13)));
    assert!(
        effects.contains(&Effect::LoadPlanRun { id: 13 }),
        "{effects:?}"
    );
    assert!(app.plans.form.is_none());
    assert_eq!(app.plans.live.as_ref().map(|v| v.id), Some(13));
}

#[test]
fn read_only_cannot_launch_abort_or_skip() {
    let mut app = plans_app(true, 80, 24);
    let effects = key(&mut app, KeyCode::Enter);
    assert!(effects.is_empty(), "{effects:?}");
    assert!(message(&app).contains("read-only"));
    assert!(press(&mut app, "x").is_empty());
    assert!(app.plans.form.is_none());

    let mut app = live_app(true, 80, 24);
    for k in ["X", "s", "r", "p", "c", "A"] {
        app.message = None;
        let effects = press(&mut app, k);
        assert!(effects.is_empty(), "{k}: {effects:?}");
        assert!(app.popup.is_none(), "{k}");
        assert!(
            message(&app).contains("read-only"),
            "{k}: {:?}",
            app.message
        );
    }
    // Reading stays possible: follow, search.
    press(&mut app, "f");
    assert!(!app.plans.live.as_ref().unwrap().follow);
}

#[test]
fn abort_asks_a_reason_then_requests_it() {
    let mut app = live_app(false, 80, 24);
    assert_eq!(
        app.plans.live.as_ref().unwrap().selected,
        1,
        "the running step"
    );
    press(&mut app, "X");
    let Some(Popup::Confirm(c)) = &app.popup else {
        panic!("{:?}", app.popup);
    };
    assert_eq!(c.danger(), Danger::G2);
    assert!(
        mutations(&key(&mut app, KeyCode::Enter)).is_empty(),
        "no reason"
    );
    press(&mut app, "stuck");
    let effects = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(&effects[..], [Effect::Mutate { op: Operation::AbortRun { run: 12, .. }, reason, .. }] if reason == "stuck"),
        "{effects:?}"
    );
    let effects = app.update(Action::OperationDone {
        message: "abort requested for run #12".into(),
        failed: false,
    });
    assert!(
        effects.contains(&Effect::LoadPlanRun { id: 12 }),
        "{effects:?}"
    );
}

#[test]
fn skip_is_g3_with_the_plan_name_and_retry_needs_a_finished_run() {
    let mut app = live_app(false, 80, 24);
    press(&mut app, "r");
    assert!(app.popup.is_none());
    assert!(message(&app).contains("only a failed"), "{:?}", app.message);
    let mut run = plan_run(12, "redis-master-switch", "failed", "G2", 12_500);
    run.updated_at += 1;
    app.update(Action::PlanRunLoaded {
        id: 12,
        result: Ok(Box::new((run, running_steps()))),
    });
    press(&mut app, "s");
    let Some(Popup::Confirm(c)) = &app.popup else {
        panic!("{:?}", app.popup);
    };
    assert_eq!(
        (c.danger(), c.op.target()),
        (Danger::G3, "redis-master-switch")
    );
    press(&mut app, "redis");
    key(&mut app, KeyCode::Tab);
    press(&mut app, "step is done by hand");
    assert!(
        mutations(&key(&mut app, KeyCode::Enter)).is_empty(),
        "wrong name"
    );
    key(&mut app, KeyCode::Esc);
    press(&mut app, "r");
    let Some(Popup::Confirm(c)) = &app.popup else {
        panic!("{:?}", app.popup);
    };
    assert_eq!(c.danger(), Danger::G2, "a plain re-run from a failed step");
    press(&mut app, "retry");
    let effects = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(
            &effects[..],
            [Effect::Mutate {
                op: Operation::ResumeRun {
                    seq: 2,
                    skip: false,
                    ..
                },
                ..
            }]
        ),
        "{effects:?}"
    );
}

#[test]
fn output_follows_scrolls_searches_and_saves() {
    let mut app = live_app(false, 80, 24);
    assert!(app.plans.live.as_ref().unwrap().follow);
    press(&mut app, "f");
    press(&mut app, "/");
    assert!(app.prompt.is_some());
    press(&mut app, "RELOAD");
    key(&mut app, KeyCode::Enter);
    let v = app.plans.live.as_ref().unwrap();
    assert_eq!((v.follow, v.scroll), (false, 2));
    let effects = press(&mut app, "w");
    assert!(
        matches!(&effects[..], [Effect::SaveOutput { name, text }] if name == "nightwatch-run-12-step-2-switch.log" && text.starts_with("start")),
        "{effects:?}"
    );
    app.update(Action::OutputSaved(Ok("/tmp/x.log".into())));
    assert!(message(&app).contains("/tmp/x.log"));
    press(&mut app, "j");
    assert_eq!(
        app.plans.live.as_ref().unwrap().selected,
        1,
        "j scrolls, not steps"
    );
}

fn recommended(params: &BTreeMap<String, String>) -> Recommended {
    Recommended {
        scenario: "git-node-down".into(),
        title: "Git node down".into(),
        plan: "git-storage-failover".into(),
        score: 80,
        params: params.clone(),
        unfilled: vec!["pod_id".into()],
        impact: "pushes fail".into(),
    }
}

#[test]
fn x_in_an_event_detail_opens_the_form_of_the_top_recommendation() {
    let mut app = fixture::events_app(false, 30, 80, 24);
    let effects = key(&mut app, KeyCode::Enter);
    let id = app.events.detail.as_ref().unwrap().id;
    assert!(
        effects.contains(&Effect::LoadRecommendations { id }),
        "{effects:?}"
    );
    assert!(press(&mut app, "x").is_empty(), "still loading");
    let params = BTreeMap::from([("node".to_owned(), "git-2".to_owned())]);
    app.update(Action::RecommendationsLoaded {
        id,
        topology: true,
        result: Ok(vec![recommended(&params)]),
    });
    let effects = press(&mut app, "x");
    assert_eq!(
        effects,
        vec![Effect::OpenLaunchForm {
            plan: "git-storage-failover".into(),
            prefill: params.clone(),
            unfilled: vec!["pod_id".into()],
            event_id: id,
        }]
    );
    // Several: a menu, best first; j then Enter takes the second.
    let second = Recommended {
        plan: "host-health-check".into(),
        score: 60,
        ..recommended(&params)
    };
    app.update(Action::RecommendationsLoaded {
        id,
        topology: true,
        result: Ok(vec![recommended(&params), second]),
    });
    press(&mut app, "x");
    assert_eq!(app.mode(), Mode::Menu);
    press(&mut app, "j");
    let effects = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(&effects[..], [Effect::OpenLaunchForm { plan, .. }] if plan == "host-health-check"),
        "{effects:?}"
    );
    let mut form = fixture::g3_form();
    form.event_id = id;
    app.update(Action::LaunchFormLoaded(Ok(Box::new(form))));
    assert_eq!(app.tab, Tab::Plans);
    assert_eq!(app.mode(), Mode::PlanForm);
    // Prepared and launched from the event: the run lands on its timeline.
    let effects = app.update(Action::Submit);
    assert!(
        matches!(&effects[..], [Effect::PreparePlan { event_id, .. }] if *event_id == id),
        "{effects:?}"
    );
    let mut prepared = fixture::g3_prepared();
    prepared.danger = Danger::G2;
    prepared.confirm_target = None;
    app.update(Action::PlanPrepared {
        plan: "git-storage-failover".into(),
        result: Ok(Box::new(prepared)),
    });
    press(&mut app, "CHG-9");
    let effects = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(&effects[..], [Effect::Mutate { op: Operation::LaunchPlan(l), .. }] if l.event_id == id),
        "{effects:?}"
    );

    let mut ro = fixture::events_app(true, 30, 80, 24);
    key(&mut ro, KeyCode::Enter);
    assert!(press(&mut ro, "x").is_empty());
    assert!(message(&ro).contains("read-only"));
}
