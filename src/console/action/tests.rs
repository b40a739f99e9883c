//! The bindable names and the mutating-by-type rule of [`super::Action`].

use strum::IntoEnumIterator;

use super::*;

#[test]
fn every_bindable_action_round_trips_through_its_name() {
    for a in Action::BINDABLE {
        assert_eq!(
            Action::parse_bindable(a.name()).as_ref(),
            Some(a),
            "{}",
            a.name()
        );
    }
    assert_eq!(Action::parse_bindable("page_down"), Some(Action::PageDown));
    assert_eq!(
        Action::parse_bindable("ack"),
        Some(Action::OnEvents(EventsAction::Ack))
    );
}

#[test]
fn every_pane_action_is_bindable() {
    let all: Vec<Action> = EventsAction::iter()
        .map(Action::OnEvents)
        .chain(ConfigAction::iter().map(Action::OnConfig))
        .chain(InspectionsAction::iter().map(Action::OnInspections))
        .chain(PlansAction::iter().map(Action::OnPlans))
        .collect();
    for a in all {
        assert!(Action::BINDABLE.contains(&a), "{a:?}");
    }
}

#[test]
fn internal_actions_cannot_be_bound() {
    for name in [
        "key",
        "insert",
        "tick",
        "request",
        "confirmed",
        "overview_loaded",
        "on_events",
        "on_plans",
    ] {
        assert_eq!(Action::parse_bindable(name), None, "{name}");
    }
}

#[test]
fn the_pane_keys_that_change_the_estate_mutate() {
    let mutating: Vec<&str> = Action::BINDABLE
        .iter()
        .filter(|a| a.mutates())
        .map(Action::name)
        .collect();
    assert_eq!(
        mutating,
        [
            "ack",
            "assign_me",
            "resolve",
            "diagnose",
            "edit",
            "toggle",
            "rollback",
            "save",
            "reapply",
            "run_now",
            "launch_plan",
            "pause_run",
            "abort_run",
            "retry_step",
            "skip_step",
            "confirm_step",
            "approve_run",
            "switchover",
        ]
    );
}
