//! `App::update` on the Events tab: paging, sort, the filter language, marks and bulk actions,
//! read-only refusal, the detail, and the bell.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::console::action::{Action, Operation};
use crate::console::app::{App, Popup};
use crate::console::effect::Effect;
use crate::console::events::window::MARGIN;
use crate::console::fixture::{self, NOW, answer, events_app};
use crate::console::tab::Tab;
use crate::domain::Danger;
use crate::domain::event::{Level, SortKey, Status};
use crate::store::EventAction;

fn press(app: &mut App, keys: &str) -> Vec<Effect> {
    keys.chars()
        .flat_map(|c| {
            let code = if c == ' ' {
                KeyCode::Char(' ')
            } else {
                KeyCode::Char(c)
            };
            app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
        })
        .collect()
}

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn page_request(effects: &[Effect]) -> Option<(i64, i64)> {
    effects.iter().find_map(|e| match e {
        Effect::LoadEvents { query, .. } => Some((query.offset, query.limit)),
        _ => None,
    })
}

#[test]
fn only_the_visible_page_and_a_margin_are_requested() {
    let mut app = fixture::app(false);
    app.update(Action::Resize(160, 48));
    let effects = app.update(Action::Events);
    let body = app.events_body();
    assert_eq!(
        body, 43,
        "48 rows minus tabs, status bar, borders and header"
    );
    assert_eq!(page_request(&effects), Some((0, body + 2 * MARGIN)));
    answer(&mut app, &effects, 100_000);
    assert_eq!((app.events.total, app.events.rows.len()), (100_000, 83));

    // Moving inside the loaded window reads nothing.
    assert_eq!(page_request(&press(&mut app, "jjj")), None);
    assert_eq!(app.events.selected, 3);
    assert_eq!(
        app.events.scroll, 0,
        "the page stays while the selection moves on it"
    );

    // The last row: a window at the end of the result.
    let effects = press(&mut app, "G");
    assert_eq!(app.events.selected, 99_999);
    assert_eq!(app.events.scroll, 100_000 - body);
    assert_eq!(
        page_request(&effects),
        Some((100_000 - body - MARGIN, body + 2 * MARGIN))
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadEvents { from_end: true, .. })),
        "the second half is read from the end (a short OFFSET)"
    );
    answer(&mut app, &effects, 100_000);
    assert_eq!(app.events.selected_event().map(|e| e.id), Some(1));

    // Page up twice: still in the window, then one read.
    assert_eq!(page_request(&key(&mut app, KeyCode::PageUp)), None);
    assert!(page_request(&key(&mut app, KeyCode::PageUp)).is_some());
    assert_eq!(app.events.selected, 99_999 - 2 * body);
}

#[test]
fn one_read_at_a_time_and_stale_filters_are_dropped() {
    let mut app = events_app(false, 100_000, 80, 24);
    let first = press(&mut app, "G");
    assert!(page_request(&first).is_some());
    assert_eq!(
        page_request(&press(&mut app, "g")),
        None,
        "a read is under way"
    );
    // The old answer arrives: the operator moved since, so the right window is read next.
    let next = answer(&mut app, &first, 100_000);
    assert_eq!(
        page_request(&next),
        Some((0, app.events_body() + 2 * MARGIN))
    );

    // An answer for the filter before the last change is dropped.
    let before = app.events.clone();
    let old = Action::EventsLoaded {
        request: 1,
        filter_gen: app.events.filter_gen,
        result: Ok(fixture::page(0, 10, 10)),
    };
    app.update(Action::ApplyFilter("level:P0".into()));
    app.update(old);
    assert_eq!(app.events.total, before.total, "stale answer ignored");
}

#[test]
fn a_shrinking_result_keeps_the_selection_in_range() {
    let mut app = events_app(false, 100_000, 80, 24);
    let effects = press(&mut app, "G");
    answer(&mut app, &effects, 5);
    assert_eq!((app.events.selected, app.events.scroll), (4, 0));
}

#[test]
fn s_cycles_sortable_columns_and_shift_s_flips() {
    let mut app = events_app(false, 100, 80, 24);
    assert_eq!(
        (app.events.sort, app.events.descending),
        (SortKey::LastSeen, true)
    );
    let effects = press(&mut app, "s");
    assert_eq!(
        (app.events.sort, app.events.descending),
        (SortKey::Title, false)
    );
    let q = effects.iter().find_map(|e| match e {
        Effect::LoadEvents { query, .. } => Some(query.clone()),
        _ => None,
    });
    assert_eq!(
        q.map(|q| (q.sort, q.descending, q.offset)),
        Some((SortKey::Title, false, 0))
    );
    press(&mut app, "s");
    assert_eq!(
        app.events.sort,
        SortKey::Id,
        "wraps to the first sortable column"
    );
    press(&mut app, "ss");
    assert_eq!(
        (app.events.sort, app.events.descending),
        (SortKey::Status, false)
    );
    press(&mut app, "S");
    assert!(app.events.descending);
    assert_eq!(app.events.selected, 0, "a new sort starts at the top");
}

#[test]
fn a_bad_filter_is_reported_and_the_last_good_one_stays() {
    let mut app = events_app(false, 100, 80, 24);
    let effects = app.update(Action::ApplyFilter("level:P1 status:open disk".into()));
    let q = effects.iter().find_map(|e| match e {
        Effect::LoadEvents { query, .. } => Some(query.clone()),
        _ => None,
    });
    let q = q.expect("a new page is read");
    assert_eq!(
        (q.levels.clone(), q.statuses.clone()),
        (vec![Level::P1], vec![Status::Open])
    );
    assert_eq!(q.text, vec!["disk"]);
    let gen_before = app.events.filter_gen;

    let effects = app.update(Action::ApplyFilter("level:P9".into()));
    assert!(effects.is_empty());
    let m = app.message.clone().expect("an error message");
    assert!(m.error && m.text.contains("level:P9: expected P0"), "{m:?}");
    assert!(
        m.text.contains("kept filter: level:P1 status:open disk"),
        "{m:?}"
    );
    assert_eq!(app.filter().raw, "level:P1 status:open disk");
    assert_eq!(app.events.filter_gen, gen_before);

    let effects = app.update(Action::ApplyFilter("assignee:me sort:-count".into()));
    assert_eq!(app.events.query.assignees, vec!["op@jump-1"]);
    assert_eq!(
        (app.events.sort, app.events.descending),
        (SortKey::Count, true)
    );
    assert!(page_request(&effects).is_some());
}

#[test]
fn marks_feed_a_bulk_acknowledge_with_the_right_ids() {
    let mut app = events_app(false, 100, 80, 24);
    // Mark rows 0 and 1 (Space moves down), skip row 2, mark row 3.
    press(&mut app, "  j ");
    let expected = vec![99_997, 99_999, 100_000];
    assert_eq!(
        app.events.marks.iter().copied().collect::<Vec<_>>(),
        expected
    );
    press(&mut app, "m");
    let Some(Popup::Menu(menu)) = &app.popup else {
        panic!("menu expected: {:?}", app.popup)
    };
    assert_eq!(menu.title, "3 marked events");
    assert!(
        menu.items[0].label.starts_with("Acknowledge (G1)"),
        "{:?}",
        menu.items
    );
    key(&mut app, KeyCode::Enter);
    let Some(Popup::Confirm(c)) = &app.popup else {
        panic!("confirmation expected")
    };
    assert_eq!(c.danger(), Danger::G1);
    let effects = press(&mut app, "y");
    let Some(Effect::Mutate { op, actor, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    assert_eq!(actor, "op@jump-1");
    let Operation::Events { ids, action, .. } = op else {
        panic!("{op:?}")
    };
    assert_eq!(ids, &expected);
    assert!(matches!(action, EventAction::Ack { .. }));

    // It went through: the marks go, the page is read again.
    let effects = app.update(Action::OperationDone {
        message: "acked 3 of 3 events".into(),
        failed: false,
    });
    assert!(app.events.marks.is_empty());
    assert!(page_request(&effects).is_some());
}

#[test]
fn close_and_regrade_ask_a_reason() {
    let mut app = events_app(false, 100, 80, 24);
    press(&mut app, "m");
    let Some(Popup::Menu(menu)) = &app.popup else {
        panic!("menu expected")
    };
    let labels: Vec<&str> = menu.items.iter().map(|i| i.label.as_str()).collect();
    assert!(labels.contains(&"Close (asks a reason) (G2)"), "{labels:?}");
    assert!(
        !labels.iter().any(|l| l.contains("Re-grade to P0")),
        "already P0: {labels:?}"
    );
    let close = menu
        .items
        .iter()
        .position(|i| i.label.starts_with("Close"))
        .unwrap_or(0);
    for _ in 0..close {
        press(&mut app, "j");
    }
    key(&mut app, KeyCode::Enter);
    assert!(key(&mut app, KeyCode::Enter).is_empty(), "no reason yet");
    for c in "duplicate of #7".chars() {
        app.update(Action::Insert(c));
    }
    let effects = key(&mut app, KeyCode::Enter);
    let Some(Effect::Mutate { op, reason, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    assert_eq!(reason, "duplicate of #7");
    assert!(
        matches!(op, Operation::Events { ids, action: EventAction::Close { .. }, .. } if ids == &[100_000])
    );
}

#[test]
fn read_only_hides_and_refuses_event_actions() {
    let mut app = events_app(true, 100, 80, 24);
    press(&mut app, " m");
    let Some(Popup::Menu(menu)) = &app.popup else {
        panic!("menu expected")
    };
    assert!(
        menu.items
            .iter()
            .all(|i| !matches!(i.action, Action::Request(_))),
        "{:?}",
        menu.items
    );
    assert_eq!(menu.note.as_deref(), Some("read-only: changes are hidden"));
    let op = Operation::Events {
        ids: vec![100_000],
        action: EventAction::Resolve {
            note: String::new(),
        },
        target: "event 100000".into(),
    };
    assert!(app.update(Action::Request(op.clone())).is_empty());
    assert!(
        app.update(Action::Confirmed {
            op,
            reason: String::new()
        })
        .is_empty()
    );
    assert!(
        app.message
            .as_ref()
            .is_some_and(|m| m.text.contains("read-only"))
    );
}

#[test]
fn enter_opens_the_detail_and_esc_closes_it() {
    let mut app = events_app(false, 100, 80, 24);
    let effects = key(&mut app, KeyCode::Enter);
    assert_eq!(
        effects,
        vec![
            Effect::LoadEventDetail {
                id: 100_000,
                known: None
            },
            Effect::LoadRecommendations { id: 100_000 }
        ]
    );
    let d = app.events.detail.as_ref().expect("detail");
    assert_eq!(
        d.event.as_ref().map(|e| e.id),
        Some(100_000),
        "shown at once from the list"
    );
    app.update(Action::EventDetailLoaded {
        id: 100_000,
        stamp: (1, 1),
        result: Ok((Box::new(fixture::event(0)), fixture::log())),
    });
    assert_eq!(app.events.detail.as_ref().map(|d| d.log.len()), Some(3));
    press(&mut app, "jj");
    assert_eq!(app.events.detail.as_ref().map(|d| d.scroll), Some(2));
    press(&mut app, "m");
    let Some(Popup::Menu(menu)) = &app.popup else {
        panic!("menu expected")
    };
    assert!(menu.title.starts_with("event 100000"), "{}", menu.title);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    assert!(app.events.detail.is_none());
}

#[test]
fn new_urgent_events_ring_once_and_flash_the_tab_until_visited() {
    let mut app = fixture::app(false);
    // The first check only learns the highest id: old events never ring.
    let effects = app.update(Action::UrgentChecked(Ok((500, vec![(400, Level::P0)]))));
    assert!(effects.is_empty());
    assert_eq!(app.events.last_id, Some(500));
    let effects = app.update(Action::UrgentChecked(Ok((502, vec![]))));
    assert!(effects.is_empty(), "nothing urgent: no bell");
    let effects = app.update(Action::UrgentChecked(Ok((
        505,
        vec![(503, Level::P1), (505, Level::P0)],
    ))));
    assert_eq!(
        effects.iter().filter(|e| **e == Effect::Bell).count(),
        1,
        "one bell per check"
    );
    assert!(app.events.flash);
    assert!(
        app.message
            .as_ref()
            .is_some_and(|m| m.text.contains("2 new P0/P1 events, newest #505 P0"))
    );
    // The next tick asks for events above 505 only.
    let effects = app.update(Action::Tick(NOW + 1_000));
    assert!(
        effects.contains(&Effect::CheckUrgent { after: Some(505) }),
        "{effects:?}"
    );
    app.update(Action::Events);
    assert!(!app.events.flash, "visiting the tab stops the flash");
}

#[test]
fn an_unchanged_poll_draws_nothing() {
    let mut app = events_app(false, 100, 80, 24);
    let effects = app.update(Action::Tick(NOW + 1_000));
    app.dirty = false;
    answer(&mut app, &effects, 100);
    app.update(Action::UrgentChecked(Ok((100_000, vec![]))));
    app.update(Action::UrgentChecked(Ok((100_000, vec![]))));
    assert!(!app.dirty, "same page, nothing new: no redraw");
    assert_eq!(app.tab, Tab::Events);
}

#[test]
fn idle_polls_carry_the_stamp_and_read_nothing_while_it_holds() {
    let mut app = fixture::app(false);
    app.update(Action::Resize(160, 48));
    let effects = app.update(Action::Events);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadEvents { known: None, .. })),
        "entering the tab reads whatever the stamp"
    );
    answer(&mut app, &effects, 100_000);
    app.dirty = false;
    let effects = app.update(Action::Tick(NOW + 1_000));
    let Some(Effect::LoadEvents {
        request,
        filter_gen,
        known,
        ..
    }) = effects
        .iter()
        .find(|e| matches!(e, Effect::LoadEvents { .. }))
        .cloned()
    else {
        panic!("no poll in {effects:?}");
    };
    assert_eq!(
        known,
        Some(1),
        "the poll sends the stamp its page was read at"
    );
    app.update(Action::EventsUnchanged {
        request,
        filter_gen,
    });
    assert!(!app.dirty, "an unchanged stamp redraws nothing");
    assert_eq!(
        app.events.in_flight.0, None,
        "and the next tick may poll again"
    );
}
