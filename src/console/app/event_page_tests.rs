//! `App::update` on the Events tab at scale: keyset reads next to loaded rows, and a capped count
//! refined in the background.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::console::action::Action;
use crate::console::app::App;
use crate::console::effect::Effect;
use crate::console::fixture::{self, answer};
use crate::domain::event::SortKey;

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

#[test]
fn pages_next_to_loaded_rows_are_read_by_keyset() {
    let mut app = fixture::app(false);
    app.update(Action::Resize(160, 48));
    let effects = app.update(Action::Events);
    answer(&mut app, &effects, 100_000);
    let effects = key(&mut app, KeyCode::PageDown);
    let effects = [effects, key(&mut app, KeyCode::PageDown)].concat();
    let Some(Effect::LoadEvents {
        query, from_end, ..
    }) = effects
        .iter()
        .find(|e| matches!(e, Effect::LoadEvents { .. }))
    else {
        panic!("no read in {effects:?}");
    };
    let first = app
        .events
        .row_at(query.offset)
        .expect("the window starts on a loaded row");
    assert_eq!(
        query.after,
        Some(crate::domain::event::Keyset::of(first, SortKey::LastSeen).inclusive(true)),
        "the new window starts at a loaded row: keyset from it, no OFFSET"
    );
    assert!(!from_end);
}

#[test]
fn a_capped_count_is_refined_in_the_background() {
    let mut app = fixture::app(false);
    app.update(Action::Resize(160, 48));
    let effects = app.update(Action::Events);
    answer(&mut app, &effects, 100_000);
    let effects = app.update(Action::ApplyFilter("source:api".into()));
    let Some(Effect::LoadEvents {
        request,
        filter_gen,
        query,
        ..
    }) = effects
        .iter()
        .find(|e| matches!(e, Effect::LoadEvents { .. }))
        .cloned()
    else {
        panic!("no read in {effects:?}");
    };
    let mut page = fixture::page(query.offset, query.limit, 10_000);
    page.exact = false;
    let effects = app.update(Action::EventsLoaded {
        request,
        filter_gen,
        result: Ok(page),
    });
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::CountEvents { filter_gen: g, .. } if *g == filter_gen)),
        "a capped count asks for the exact one: {effects:?}"
    );
    assert!(!app.events.exact);
    app.update(Action::EventsCounted {
        filter_gen,
        stamp: 1,
        result: Ok(123_456),
    });
    assert_eq!((app.events.total, app.events.exact), (123_456, true));
    // An answer for an older filter is dropped.
    app.update(Action::EventsCounted {
        filter_gen: filter_gen - 1,
        stamp: 1,
        result: Ok(7),
    });
    assert_eq!(app.events.total, 123_456);
}
