//! `App::update` on the incident path: `q` backs out of a detail and at the top asks what stops;
//! `!` and `:event N` open an event; a/o/v act on it through their confirmation; `x` from the list;
//! Esc from a form opened on an event returns to it; `/` filters live on every pane and Esc puts
//! the previous filter back; `?` starts with the pane's own keys; messages expire when they stop
//! being true, and a burst of new P0/P1 events is counted whole.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::console::action::{Action, EventsAction, InspectionsAction, Operation, PlansAction};
use crate::console::app::{App, Expiry, Popup};
use crate::console::effect::Effect;
use crate::console::fixture::{self, NOW, plans_app};
use crate::console::mode::Mode;
use crate::console::popups::{HelpLine, help_lines};
use crate::console::tab::Tab;
use crate::domain::event::Level;
use crate::domain::plan::Recommended;
use crate::store::EventAction;

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn press(app: &mut App, keys: &str) -> Vec<Effect> {
    keys.chars()
        .flat_map(|c| key(app, KeyCode::Char(c)))
        .collect()
}

fn message(app: &App) -> String {
    app.message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default()
}

#[test]
fn q_in_a_detail_goes_back_and_at_the_top_asks_what_stops() {
    let mut app = fixture::events_app(false, 30, 80, 24);
    key(&mut app, KeyCode::Enter);
    assert!(app.events.detail.is_some());
    press(&mut app, "q");
    assert!(app.events.detail.is_none(), "q closed the detail");
    assert!(!app.quit && app.popup.is_none(), "and did not quit");
    // At the top, with the engine in this process: a question naming what stops.
    press(&mut app, "q");
    assert!(!app.quit);
    let Some(Popup::AskQuit { stops }) = &app.popup else {
        panic!("no quit question: {:?}", app.popup);
    };
    assert!(stops[0].contains("engine in this process"), "{stops:?}");
    assert_eq!(app.mode(), Mode::Confirm);
    press(&mut app, "n");
    assert!(!app.quit && app.popup.is_none(), "n stays");
    press(&mut app, "qy");
    assert!(app.quit, "y quits");
}

#[test]
fn quitting_with_a_run_in_flight_names_the_run() {
    let mut app = plans_app(false, 80, 24);
    let active: Vec<i64> = app
        .plans
        .runs
        .iter()
        .filter(|r| crate::console::plans::is_active(&r.run.status))
        .map(|r| r.run.id)
        .collect();
    assert!(!active.is_empty(), "the fixture has a run in flight");
    // ctrl-c asks too.
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    let Some(Popup::AskQuit { stops }) = &app.popup else {
        panic!("no quit question: {:?}", app.popup);
    };
    assert!(
        stops.iter().any(|s| s.contains(&format!("#{}", active[0]))),
        "{stops:?}"
    );
    // Without an engine here, the question says nothing stops.
    let mut app = plans_app(false, 80, 24);
    app.engine = crate::domain::EngineState::External {
        detail: "db-1".into(),
    };
    assert!(app.quit_stops()[0].starts_with("nothing stops"));
    // And with nothing at stake, q quits at once.
    let mut app = fixture::app(false);
    app.engine = crate::domain::EngineState::Off { why: "x".into() };
    press(&mut app, "q");
    assert!(app.quit);
}

#[test]
fn bang_opens_the_newest_urgent_event_and_event_n_any() {
    let mut app = fixture::app(false);
    assert_eq!(press(&mut app, "!"), vec![Effect::OpenEvent { id: None }]);
    let mut e = fixture::event(3);
    e.level = Level::P0;
    let effects = app.update(Action::EventOpened(Ok(Some(Box::new(e.clone())))));
    assert_eq!(app.tab, Tab::Events);
    assert_eq!(app.events.detail.as_ref().map(|d| d.id), Some(e.id));
    assert!(
        effects.contains(&Effect::LoadRecommendations { id: e.id }),
        "{effects:?}"
    );
    app.update(Action::EventOpened(Ok(None)));
    assert!(message(&app).contains("all clear"), "{}", message(&app));
    let effects = app.update(Action::CommandLine);
    assert!(effects.is_empty());
    press(&mut app, "event 42");
    let effects = key(&mut app, KeyCode::Enter);
    assert_eq!(effects, vec![Effect::OpenEvent { id: Some(42) }]);
    app.update(Action::CommandLine);
    press(&mut app, "event x");
    key(&mut app, KeyCode::Enter);
    assert!(message(&app).contains("event id"), "{}", message(&app));
}

#[test]
fn a_o_v_act_on_the_event_through_their_confirmation() {
    let mut app = fixture::events_app(false, 30, 80, 24);
    let id = app.events.selected_event().map(|e| e.id).unwrap();
    for (k, want) in [("a", "Acknowledge"), ("o", "Assign"), ("v", "Resolve")] {
        press(&mut app, k);
        let Some(Popup::Confirm(c)) = &app.popup else {
            panic!("{k}: no confirmation: {:?}", app.popup);
        };
        assert_eq!(c.op.label(), want);
        let effects = press(&mut app, "y");
        let Some(Effect::Mutate {
            op: Operation::Events { ids, action, .. },
            ..
        }) = effects.iter().find(|e| e.is_mutating())
        else {
            panic!("{k}: nothing done: {effects:?}");
        };
        assert_eq!(ids, &vec![id]);
        if k == "o" {
            assert!(matches!(action, EventAction::Assign { to } if to == &app.config.actor));
        }
    }
    // Read-only: refused, nothing asked.
    let mut app = fixture::events_app(true, 30, 80, 24);
    assert!(press(&mut app, "a").is_empty());
    assert!(app.popup.is_none() && message(&app).contains("read-only"));
}

fn recommended() -> Recommended {
    Recommended {
        scenario: "redis-master-down".into(),
        title: "Redis master down".into(),
        plan: "redis-master-switch".into(),
        score: 180,
        params: [("old_master".to_owned(), "redis-a".to_owned())].into(),
        unfilled: Vec::new(),
        impact: String::new(),
    }
}

#[test]
fn x_on_the_list_launches_once_known_and_esc_from_the_form_returns_to_the_event() {
    let mut app = fixture::events_app(false, 30, 80, 24);
    let id = app.events.selected_event().map(|e| e.id).unwrap();
    let effects = press(&mut app, "x");
    assert!(
        effects.contains(&Effect::LoadRecommendations { id }),
        "{effects:?}"
    );
    let effects = app.update(Action::RecommendationsLoaded {
        id,
        result: Ok(vec![recommended()]),
        topology: true,
    });
    assert!(
        matches!(&effects[..], [Effect::OpenLaunchForm { plan, event_id, .. }]
            if plan == "redis-master-switch" && *event_id == id),
        "{effects:?}"
    );
    let mut form = fixture::g3_form();
    form.event_id = id;
    app.update(Action::LaunchFormLoaded(Ok(Box::new(form))));
    assert_eq!((app.tab, app.mode()), (Tab::Plans, Mode::PlanForm));
    key(&mut app, KeyCode::Esc);
    assert_eq!(
        app.tab,
        Tab::Events,
        "Esc returns where the form was opened"
    );
    assert_eq!(app.events.detail.as_ref().map(|d| d.id), Some(id));
}

#[test]
fn without_a_topology_the_console_says_so_before_the_form_opens() {
    let mut app = fixture::events_app(false, 30, 80, 24);
    key(&mut app, KeyCode::Enter);
    let id = app.events.detail.as_ref().unwrap().id;
    let r = Recommended {
        unfilled: vec!["new_master".into(), "old_master".into()],
        ..recommended()
    };
    app.update(Action::RecommendationsLoaded {
        id,
        result: Ok(vec![r]),
        topology: false,
    });
    let effects = press(&mut app, "x");
    assert!(matches!(&effects[..], [Effect::OpenLaunchForm { .. }]));
    let m = message(&app);
    assert!(
        m.contains("no topology applied") && m.contains("new_master"),
        "{m}"
    );
}

/// Type `text` after `/` on the current pane: the filter applies at every key, no Enter.
fn type_filter(app: &mut App, text: &str) {
    app.update(Action::Filter);
    assert_eq!(app.mode(), Mode::Filter);
    press(app, text);
    assert_eq!(
        app.filter().raw,
        text,
        "applied while typing on {:?}",
        app.tab
    );
}

#[test]
fn slash_filters_live_on_every_pane_and_esc_puts_the_previous_filter_back() {
    // Overview: instances.
    let mut app = fixture::app(false);
    let all = app.visible_instances.len();
    type_filter(&mut app, "role:nomatch");
    assert_eq!(app.visible_instances.len(), 0, "live on the Overview");
    key(&mut app, KeyCode::Esc);
    assert_eq!(
        (app.visible_instances.len(), app.filter().raw.as_str()),
        (all, "")
    );
    // Events: each key sends a new query.
    let mut app = fixture::events_app(false, 30, 80, 24);
    app.update(Action::Filter);
    let effects = press(&mut app, "P0");
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadEvents { query, .. } if !query.text.is_empty())),
        "{effects:?}"
    );
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.filter().raw, "");
    // Plans: the catalogue and the runs.
    let mut app = plans_app(false, 80, 24);
    let (plans, runs) = (app.plans.plans.len(), app.plans.runs.len());
    type_filter(&mut app, "redis");
    assert!(app.plans.plans.len() < plans || app.plans.runs.len() < runs);
    assert!(
        app.plans.plans.iter().all(|p| p.row.name.contains("redis"))
            && app.plans.runs.iter().all(|r| r.run.plan.contains("redis")),
        "only matching rows"
    );
    key(&mut app, KeyCode::Esc);
    assert_eq!((app.plans.plans.len(), app.plans.runs.len()), (plans, runs));
    // Inspections: the tasks.
    let mut app = fixture::inspections_app(false, 80, 24);
    let tasks = app.inspections.visible.len();
    type_filter(&mut app, "nomatch");
    assert_eq!(app.inspections.visible.len(), 0);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.filter().raw, "nomatch", "Enter keeps it");
    assert!(tasks > 0);
    // Config: the keys.
    let mut app = fixture::config_app(false);
    type_filter(&mut app, "nomatch");
    assert!(app.sysconf.visible.is_empty());
}

#[test]
fn help_starts_with_the_panes_own_keys() {
    for (tab, first_key) in [
        (Tab::Events, "space"),
        (Tab::Plans, "enter"),
        (Tab::Inspections, "enter"),
        (Tab::Config, "enter"),
    ] {
        let app = fixture::app(false);
        let lines = help_lines(&app.config.keymap, tab);
        let HelpLine::Section(title) = &lines[0] else {
            panic!("{lines:?}");
        };
        assert!(title.starts_with("This pane"), "{tab:?}: {title}");
        assert!(
            matches!(&lines[1], HelpLine::Entry(k, _) if k == first_key),
            "{tab:?}: {:?}",
            lines[1]
        );
    }
    let app = fixture::app(false);
    let events = help_lines(&app.config.keymap, Tab::Events);
    let pane: Vec<&HelpLine> = events
        .iter()
        .skip(1)
        .take_while(|l| matches!(l, HelpLine::Entry(..)))
        .collect();
    for want in ["a", "o", "v", "x"] {
        assert!(
            pane.iter()
                .any(|l| matches!(l, HelpLine::Entry(k, _) if k == want)),
            "Events keys first: {pane:?}"
        );
    }
}

#[test]
fn messages_expire_when_no_longer_true_and_a_burst_is_counted_whole() {
    let mut app = fixture::app(false);
    app.info("filter cleared");
    app.update(Action::Tick(NOW + 5_000));
    assert!(app.message.is_some());
    app.update(Action::Tick(NOW + 20_000));
    assert!(app.message.is_none(), "information goes by itself");
    app.error("something failed");
    app.update(Action::Tick(NOW + 60_000));
    assert!(app.message.is_some(), "an error stays until Esc");
    // A queued run's message goes when the run is no longer in flight.
    let mut app = plans_app(false, 80, 24);
    let done = app
        .plans
        .all_runs
        .iter()
        .find(|r| !crate::console::plans::is_active(&r.run.status))
        .map(|r| r.run.id)
        .unwrap();
    app.info("queued run");
    app.message.as_mut().unwrap().expires = Expiry::RunActive(done);
    app.update(Action::Tick(NOW + 1));
    assert!(app.message.is_none());
    // The bell check: 7 then 1 new events read "8 new".
    let mut app = fixture::app(false);
    app.update(Action::UrgentChecked(Ok((10, Vec::new()))));
    let seven: Vec<(i64, Level)> = (11..18).map(|i| (i, Level::P0)).collect();
    app.update(Action::UrgentChecked(Ok((17, seven))));
    app.update(Action::UrgentChecked(Ok((18, vec![(18, Level::P1)]))));
    assert!(
        message(&app).starts_with("8 new P0/P1 events"),
        "{}",
        message(&app)
    );
}

#[test]
fn whether_an_action_mutates_is_declared_on_it() {
    for a in [
        Action::OnEvents(EventsAction::Ack),
        Action::OnEvents(EventsAction::AssignMe),
        Action::OnEvents(EventsAction::Resolve),
        Action::OnInspections(InspectionsAction::RunNow),
        Action::OnPlans(PlansAction::AbortRun),
    ] {
        assert!(a.mutates(), "{a:?}");
    }
    for a in [
        Action::Quit,
        Action::Urgent,
        Action::Filter,
        Action::Help,
        Action::Select,
    ] {
        assert!(!a.mutates(), "{a:?}");
    }
}

#[test]
fn esc_twice_after_a_live_filter_clears_message_then_filter() {
    let mut app = fixture::app(false);
    app.update(Action::Filter);
    press(&mut app, "role:console");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.filter().raw, "role:console", "{}", message(&app));
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.filter().raw, "", "{}", message(&app));
}
