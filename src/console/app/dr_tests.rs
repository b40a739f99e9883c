//! The DR pane's component through `App::update`: it polls only when shown, navigates the grid,
//! links and directions, opens details, and `s` opens the direction's DR plan with the faulty and
//! available datacenters filled, refused on a read-only console.

use crate::console::action::Action;
use crate::console::app::Popup;
use crate::console::effect::Effect;
use crate::console::fixture::{self, NOW};

fn loaded(read_only: bool) -> crate::console::App {
    let mut app = fixture::app(read_only);
    app.update(Action::Dr);
    app.update(Action::DrLoaded(Ok(Box::new(crate::dr::synthetic(
        3, 30, 8, NOW,
    )))));
    app
}

#[test]
fn the_board_is_read_only_while_the_pane_shows_and_one_read_at_a_time() {
    let mut app = fixture::app(false);
    let effects = app.update(Action::Tick(NOW + 5_000));
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::LoadDr { .. })),
        "not shown: no read"
    );
    app.update(Action::Dr);
    let effects = app.update(Action::Tick(NOW + 6_000));
    assert!(
        effects.contains(&Effect::LoadDr { now: NOW + 6_000 }),
        "{effects:?}"
    );
    let effects = app.update(Action::Tick(NOW + 9_000));
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::LoadDr { .. })),
        "one in flight"
    );
    app.update(Action::DrLoaded(Ok(Box::new(crate::dr::synthetic(
        2, 10, 2, NOW,
    )))));
    let effects = app.update(Action::Tick(NOW + 12_000));
    assert!(
        effects.contains(&Effect::LoadDr { now: NOW + 12_000 }),
        "{effects:?}"
    );
}

#[test]
fn enter_on_a_cell_lists_its_components_and_their_open_events() {
    let mut app = loaded(false);
    // Row 0 (business), column dc-1: components c00000, c00015 (every 15th starts a dc-1 run).
    app.update(Action::Select);
    let Some(Popup::Detail { title, lines }) = &app.popup else {
        panic!("a detail: {:?}", app.popup);
    };
    assert_eq!(title, "business · dc-1");
    assert_eq!(lines[0].0, "c00000");
    assert!(
        lines
            .iter()
            .any(|(k, v)| k == "  #1" && v.starts_with("P0 c00000 check failed")),
        "{lines:?}"
    );
}

#[test]
fn the_grid_moves_within_its_bounds() {
    let mut app = loaded(false);
    for _ in 0..10 {
        app.update(Action::CursorRight);
        app.update(Action::Down);
    }
    assert_eq!((app.dr.row, app.dr.col), (4, 2));
    app.update(Action::CursorLeft);
    app.update(Action::Up);
    assert_eq!((app.dr.row, app.dr.col), (3, 1));
}

#[test]
fn s_opens_the_directions_dr_plan_with_both_datacenters_filled() {
    let mut app = loaded(false);
    app.update(Action::NextField);
    app.update(Action::NextField);
    app.update(Action::Down);
    let effects = app.update(Action::Switchover);
    assert_eq!(
        effects,
        vec![Effect::OpenLaunchForm {
            plan: "dr-switch".into(),
            prefill: [
                ("faulty_dc".to_owned(), "dc-2".to_owned()),
                ("available_dc".to_owned(), "dc-1".to_owned())
            ]
            .into(),
            unfilled: Vec::new(),
            event_id: 0,
        }]
    );
}

#[test]
fn s_is_refused_on_a_read_only_console() {
    let mut app = loaded(true);
    let effects = app.update(Action::Switchover);
    assert!(effects.is_empty());
    let m = app.message.as_ref().unwrap();
    assert!(m.error && m.text.contains("read-only"), "{m:?}");
}
