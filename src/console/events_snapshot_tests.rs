//! Snapshots of the Events pane (list, marks and filter, detail, empty result, the flashing tab
//! after a new P0) at 80×24 and 160×48, from the deterministic fixture.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::widgets::Widget;

use super::action::{Action, EventsAction};
use super::app::App;
use super::fixture::{self, events_app};
use super::glyphs::Glyphs;
use crate::domain::event::Level;

fn draw(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| f.render_widget(app, f.area())).unwrap();
    terminal.backend().to_string()
}

/// The same scene built at each size (the page loaded depends on the height).
fn both_sizes(name: &str, scene: impl Fn(u16, u16) -> App) {
    insta::assert_snapshot!(format!("{name}_80x24"), draw(&scene(80, 24), 80, 24));
    insta::assert_snapshot!(format!("{name}_160x48"), draw(&scene(160, 48), 160, 48));
}

#[test]
fn events_list() {
    both_sizes("events_list", |w, h| events_app(false, 100_000, w, h));
}

#[test]
fn events_marked_filtered_and_scrolled() {
    both_sizes("events_marked", |w, h| {
        let mut app = events_app(false, 100_000, w, h);
        let effects = app.update(Action::ApplyFilter("level:P0,P1 status:open".into()));
        fixture::answer(&mut app, &effects, 2_345);
        for _ in 0..3 {
            app.update(Action::OnEvents(EventsAction::Mark));
        }
        app.update(Action::OnEvents(EventsAction::SortNext));
        let effects = app.update(Action::OnEvents(EventsAction::SortNext));
        fixture::answer(&mut app, &effects, 2_345);
        app.update(Action::Down);
        app.update(Action::OnEvents(EventsAction::Mark));
        let effects = app.update(Action::PageDown);
        if !effects.is_empty() {
            fixture::answer(&mut app, &effects, 2_345);
        }
        app.message = None;
        app
    });
}

#[test]
fn events_detail() {
    both_sizes("events_detail", |w, h| {
        let mut app = events_app(false, 100_000, w, h);
        app.update(Action::Select);
        app.update(Action::EventDetailLoaded {
            id: 100_000,
            stamp: (1, 1),
            result: Ok((Box::new(fixture::event(0)), fixture::log())),
        });
        app
    });
}

#[test]
fn events_empty_read_only() {
    both_sizes("events_empty_read_only", |w, h| {
        let mut app = events_app(true, 100_000, w, h);
        let effects = app.update(Action::ApplyFilter("ds:STACK#none".into()));
        fixture::answer(&mut app, &effects, 0);
        app
    });
}

#[test]
fn overview_with_a_new_p0_flashing() {
    let mut app = fixture::app(false);
    app.update(Action::UrgentChecked(Ok((10, vec![]))));
    app.update(Action::UrgentChecked(Ok((11, vec![(11, Level::P0)]))));
    both_sizes("overview_new_p0", |_, _| app.clone());
}

#[test]
fn the_flashing_tab_is_reverse_video_until_visited() {
    let mut app = fixture::app(false);
    app.update(Action::UrgentChecked(Ok((10, vec![]))));
    app.update(Action::UrgentChecked(Ok((11, vec![(11, Level::P1)]))));
    let style_of_events_tab = |app: &App| {
        let area = Rect::new(0, 0, 80, 24);
        let mut buf = Buffer::empty(area);
        app.render(area, &mut buf);
        let line: String = (0..80).map(|x| buf[(x, 0)].symbol().to_owned()).collect();
        let x = line
            .find("2 Events")
            .map(|b| line[..b].chars().count())
            .unwrap();
        buf[(u16::try_from(x).unwrap(), 0)].modifier
    };
    assert!(style_of_events_tab(&app).contains(Modifier::REVERSED));
    app.update(Action::Events);
    app.update(Action::Overview);
    assert!(!style_of_events_tab(&app).contains(Modifier::REVERSED));
}

#[test]
fn events_ascii() {
    let mut app = events_app(false, 100_000, 80, 24);
    app.config.glyphs = Glyphs::ASCII;
    app.update(Action::OnEvents(EventsAction::Mark));
    insta::assert_snapshot!("events_ascii_80x24", draw(&app, 80, 24));
}
