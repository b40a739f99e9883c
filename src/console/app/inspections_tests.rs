//! `App::update` on the Inspections tab: polling with the change stamp, the levels (tasks → runs
//! → matrix → result, Esc back), following a run until it finishes, running a task now through
//! the G1 confirmation, and the read-only refusal.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::console::action::{Action, Operation};
use crate::console::app::{App, Popup};
use crate::console::effect::Effect;
use crate::console::fixture::{
    self, NOW, answer_tasks, host_results, host_runs, inspections_app, run, run_app, run_read,
};
use crate::console::inspections::RUNS_PAGE;
use crate::console::mode::Mode;
use crate::console::tab::Tab;
use crate::domain::Danger;

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn press(app: &mut App, keys: &str) -> Vec<Effect> {
    keys.chars()
        .flat_map(|c| key(app, KeyCode::Char(c)))
        .collect()
}

fn selected_task(app: &App) -> Option<String> {
    app.inspections.selected_task().map(|t| t.task.name.clone())
}

#[test]
fn the_task_list_is_read_again_only_when_the_stamp_moved() {
    let mut app = fixture::app(false);
    let effects = app.update(Action::Inspections);
    assert_eq!(app.mode(), Mode::Inspections);
    assert!(
        effects.contains(&Effect::LoadInspectionTasks { known: None }),
        "entering the tab reads at once: {effects:?}"
    );
    assert!(
        app.update(Action::Tick(NOW + 500))
            .iter()
            .all(|e| !matches!(e, Effect::LoadInspectionTasks { .. })),
        "one read at a time"
    );
    answer_tasks(&mut app, &effects);
    assert_eq!(app.inspections.visible.len(), 3);

    let effects = app.update(Action::Tick(NOW + 1_000));
    assert!(
        effects.contains(&Effect::LoadInspectionTasks {
            known: Some(fixture::inspections_stamp())
        }),
        "the poll sends the stamp it knows: {effects:?}"
    );
    app.dirty = false;
    app.update(Action::InspectionTasksLoaded(Ok(None)));
    assert!(!app.dirty, "an unchanged stamp changes nothing on screen");
    assert_eq!(app.inspections.tasks.len(), 3);

    // Leaving the tab stops polling it.
    app.update(Action::Overview);
    let effects = app.update(Action::Tick(NOW + 5_000));
    assert!(
        effects
            .iter()
            .all(|e| !matches!(e, Effect::LoadInspectionTasks { .. })),
        "{effects:?}"
    );
}

#[test]
fn enter_goes_down_a_level_and_esc_back_up() {
    let mut app = inspections_app(false, 80, 24);
    assert_eq!(selected_task(&app).as_deref(), Some("host-basics"));
    press(&mut app, "j");
    assert_eq!(selected_task(&app).as_deref(), Some("nightly-backup-check"));
    press(&mut app, "k");

    let effects = key(&mut app, KeyCode::Enter);
    assert_eq!(
        effects,
        vec![Effect::LoadInspectionRuns {
            task: "host-basics".into(),
            limit: RUNS_PAGE
        }]
    );
    app.update(Action::InspectionRunsLoaded {
        task: "host-basics".into(),
        result: Ok((host_runs(120, 100), 4_321)),
    });
    press(&mut app, "j");
    let effects = key(&mut app, KeyCode::Enter);
    assert_eq!(
        effects,
        vec![Effect::LoadInspectionRun { id: 119, after: 0 }],
        "the second newest run"
    );
    let v = app.inspections.run.as_ref().unwrap();
    assert_eq!(
        v.grid.rules,
        fixture::HOST_RULES,
        "rows in the task's order"
    );
    app.update(Action::InspectionRunLoaded {
        id: 119,
        result: Ok(run_read(
            run(119, "host-basics", "failed", 80_000),
            host_results(119),
            0,
        )),
    });
    let v = app.inspections.run.as_ref().unwrap();
    assert_eq!(v.grid.targets, ["db-1", "local-host", "web-2"]);
    assert!(v.done, "a finished run is not read again");
    assert!(
        app.update(Action::Tick(NOW + 2_000))
            .iter()
            .all(|e| !matches!(e, Effect::LoadInspectionRun { .. }))
    );

    // host-disk × db-1 failed: two down, Enter.
    press(&mut app, "jj");
    key(&mut app, KeyCode::Enter);
    let r = app.inspections.result.clone().unwrap();
    assert_eq!((r.rule.as_str(), r.target.as_str()), ("host-disk", "db-1"));
    press(&mut app, "jjj");
    assert_eq!(app.inspections.result.as_ref().unwrap().scroll, 3);

    key(&mut app, KeyCode::Esc);
    assert!(app.inspections.result.is_none() && app.inspections.run.is_some());
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    let v = app.inspections.run.as_ref().unwrap();
    assert_eq!((v.row, v.col), (2, 2), "right stops at the last target");
    press(&mut app, "j");
    key(&mut app, KeyCode::Enter);
    assert!(
        app.inspections.result.is_none(),
        "host-load has no result on web-2"
    );
    let msg = app.message.clone().unwrap();
    assert_eq!(msg.text, "no result for host-load on web-2");

    key(&mut app, KeyCode::Esc);
    assert!(app.inspections.run.is_none() && app.inspections.runs.is_some());
    key(&mut app, KeyCode::Esc);
    assert!(app.inspections.runs.is_none());
    assert_eq!(app.tab, Tab::Inspections);
    press(&mut app, "2");
    assert_eq!(app.tab, Tab::Events, "browsing keys still work");
}

#[test]
fn a_running_run_is_followed_with_a_cursor_until_it_finishes() {
    let mut app = inspections_app(false, 160, 48);
    key(&mut app, KeyCode::Enter);
    app.update(Action::InspectionRunsLoaded {
        task: "host-basics".into(),
        result: Ok((vec![run(122, "host-basics", "running", 0)], 1)),
    });
    key(&mut app, KeyCode::Enter);
    let mut results = host_results(122);
    let rest = results.split_off(5);
    app.update(Action::InspectionRunLoaded {
        id: 122,
        result: Ok(run_read(run(122, "host-basics", "running", 0), results, 0)),
    });
    let effects = app.update(Action::Tick(NOW + 1_000));
    assert!(
        effects.contains(&Effect::LoadInspectionRun {
            id: 122,
            after: 1_004
        }),
        "only the results after the last one seen: {effects:?}"
    );
    // Finished: the runner reads every result again (from 0); nothing more is asked.
    let mut all = host_results(122);
    all.truncate(5);
    all.extend(rest);
    app.update(Action::InspectionRunLoaded {
        id: 122,
        result: Ok(run_read(run(122, "host-basics", "failed", 0), all, 0)),
    });
    let v = app.inspections.run.as_ref().unwrap();
    assert_eq!(v.results.len(), 11);
    assert!(v.done);
    assert!(
        app.update(Action::Tick(NOW + 2_000))
            .iter()
            .all(|e| !matches!(e, Effect::LoadInspectionRun { .. }))
    );

    // An answer for another run is dropped.
    let before = app.inspections.clone();
    app.update(Action::InspectionRunLoaded {
        id: 7,
        result: Ok(run_read(run(7, "svc", "passed", 0), Vec::new(), 0)),
    });
    assert_eq!(app.inspections, before);
}

#[test]
fn run_now_asks_y_n_and_queues_a_manual_run_as_the_operator() {
    let mut app = inspections_app(false, 80, 24);
    press(&mut app, "jj");
    assert_eq!(selected_task(&app).as_deref(), Some("svc"));
    let effects = press(&mut app, "x");
    assert!(effects.is_empty(), "nothing runs before the confirmation");
    let Some(Popup::Confirm(c)) = &app.popup else {
        panic!("a confirmation opens: {:?}", app.popup);
    };
    assert_eq!(c.op, Operation::RunTask { task: "svc".into() });
    assert_eq!((c.danger(), app.mode()), (Danger::G1, Mode::Confirm));

    let effects = press(&mut app, "y");
    assert_eq!(
        effects,
        vec![Effect::Mutate {
            op: Operation::RunTask { task: "svc".into() },
            actor: "op@jump-1".into(),
            reason: String::new(),
        }]
    );
    assert!(effects[0].is_mutating());

    let effects = app.update(Action::RunQueued {
        task: "svc".into(),
        result: Ok(130),
    });
    assert!(
        app.message
            .as_ref()
            .unwrap()
            .text
            .contains("queued run #130 of svc"),
        "{:?}",
        app.message
    );
    assert!(
        effects.contains(&Effect::LoadInspectionTasks { known: None }),
        "the queued run shows at once: {effects:?}"
    );

    let failed = app.update(Action::RunQueued {
        task: "svc".into(),
        result: Err("not found: task svc".into()),
    });
    assert!(failed.is_empty());
    assert!(app.message.as_ref().unwrap().error);

    // n cancels.
    press(&mut app, "x");
    assert!(press(&mut app, "n").is_empty());
    assert_eq!(app.popup, None);
}

#[test]
fn rerun_from_a_run_opens_the_new_run_and_the_runs_list_selects_it() {
    let mut app = run_app(false, 80, 24, host_results(120));
    press(&mut app, "x");
    let effects = press(&mut app, "y");
    assert!(matches!(
        &effects[..],
        [Effect::Mutate { op: Operation::RunTask { task }, .. }] if task == "host-basics"
    ));
    let effects = app.update(Action::RunQueued {
        task: "host-basics".into(),
        result: Ok(131),
    });
    assert_eq!(app.inspections.run.as_ref().map(|v| v.id), Some(131));
    assert!(
        effects.contains(&Effect::LoadInspectionRun { id: 131, after: 0 }),
        "{effects:?}"
    );
    let mut rows = vec![run(131, "host-basics", "queued", 0)];
    rows.extend(host_runs(120, 99));
    app.update(Action::InspectionRunsLoaded {
        task: "host-basics".into(),
        result: Ok((rows, 4_322)),
    });
    let r = app.inspections.runs.as_ref().unwrap();
    assert_eq!(
        r.rows[r.selected].id, 131,
        "the runs list follows the new run"
    );
}

#[test]
fn the_runs_list_keeps_its_run_and_reads_more_near_the_end() {
    let mut app = inspections_app(false, 80, 24);
    key(&mut app, KeyCode::Enter);
    app.update(Action::InspectionRunsLoaded {
        task: "host-basics".into(),
        result: Ok((host_runs(120, 100), 4_321)),
    });
    press(&mut app, "jjj");
    // A new run arrives on top: the selection stays on run 117.
    app.update(Action::InspectionRunsLoaded {
        task: "host-basics".into(),
        result: Ok((host_runs(121, 100), 4_322)),
    });
    let r = app.inspections.runs.as_ref().unwrap();
    assert_eq!(r.rows[r.selected].id, 117);

    let effects = press(&mut app, "G");
    assert_eq!(
        effects,
        vec![Effect::LoadInspectionRuns {
            task: "host-basics".into(),
            limit: 2 * RUNS_PAGE
        }],
        "never every run: one more page"
    );
    assert!(press(&mut app, "k").is_empty(), "that page is under way");

    // An answer for another task is dropped.
    let before = app.inspections.clone();
    app.update(Action::InspectionRunsLoaded {
        task: "svc".into(),
        result: Ok((Vec::new(), 0)),
    });
    assert_eq!(app.inspections, before);
}

#[test]
fn a_change_of_the_open_task_rereads_its_runs() {
    let mut app = inspections_app(false, 80, 24);
    key(&mut app, KeyCode::Enter);
    app.update(Action::InspectionRunsLoaded {
        task: "host-basics".into(),
        result: Ok((host_runs(120, 100), 4_321)),
    });
    let mut tasks = fixture::inspection_tasks();
    tasks[2].recent.insert(0, run(125, "svc", "queued", 0));
    let snapshot = |tasks| {
        Action::InspectionTasksLoaded(Ok(Some(Box::new(
            crate::console::inspections::TasksSnapshot {
                stamp: fixture::inspections_stamp(),
                tasks,
            },
        ))))
    };
    assert!(
        app.update(snapshot(tasks.clone())).is_empty(),
        "another task's run: nothing to read"
    );
    tasks[0]
        .recent
        .insert(0, run(126, "host-basics", "queued", 0));
    assert_eq!(
        app.update(snapshot(tasks)),
        vec![Effect::LoadInspectionRuns {
            task: "host-basics".into(),
            limit: RUNS_PAGE
        }]
    );
}

#[test]
fn read_only_refuses_run_now_through_the_one_gate() {
    let mut app = inspections_app(true, 80, 24);
    let effects = press(&mut app, "x");
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(app.popup, None, "no confirmation opens");
    let msg = app.message.clone().unwrap();
    assert!(msg.error && msg.text.contains("read-only"), "{msg:?}");

    let op = Operation::RunTask {
        task: "host-basics".into(),
    };
    for action in [
        Action::Request(op.clone()),
        Action::Confirmed {
            op,
            reason: String::new(),
        },
    ] {
        app.message = None;
        let effects = app.update(action);
        assert!(effects.iter().all(|e| !e.is_mutating()), "{effects:?}");
        assert!(app.message.as_ref().unwrap().text.contains("read-only"));
    }

    // The menu hides it; R still refreshes.
    press(&mut app, "m");
    let Some(Popup::Menu(menu)) = &app.popup else {
        panic!("menu: {:?}", app.popup);
    };
    assert!(
        menu.items
            .iter()
            .all(|i| !matches!(i.action, Action::Request(_))),
        "{menu:?}"
    );
    key(&mut app, KeyCode::Esc);
    let effects = press(&mut app, "R");
    assert!(effects.contains(&Effect::LoadInspectionTasks { known: None }));
}

#[test]
fn the_filter_selects_tasks_by_status() {
    let mut app = inspections_app(false, 80, 24);
    app.update(Action::ApplyFilter("status:failed".into()));
    assert_eq!(app.inspections.visible.len(), 1);
    assert_eq!(selected_task(&app).as_deref(), Some("svc"));
    app.update(Action::ApplyFilter("stauts:failed".into()));
    let msg = app.message.clone().unwrap();
    assert!(
        msg.error && msg.text.contains("unknown filter key stauts"),
        "{msg:?}"
    );
    assert_eq!(
        app.inspections.visible.len(),
        1,
        "the last good filter stays"
    );
    app.update(Action::ApplyFilter(String::new()));
    assert_eq!(app.inspections.visible.len(), 3);
}
