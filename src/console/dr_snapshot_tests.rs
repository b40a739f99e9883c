//! Snapshots of the DR pane at 80×24 and 160×48: the board (readiness banner with its reasons,
//! the layers × datacenters grid, links with lag/RPO and sparklines, water levels), a cell's
//! detail, a link's history, and the wallboard (read-only) view.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::action::Action;
use super::app::App;
use super::fixture::{self, NOW};
use super::tab::Tab;

fn draw(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| f.render_widget(app, f.area())).unwrap();
    terminal.backend().to_string()
}

fn both_sizes(name: &str, scene: impl Fn(u16, u16) -> App) {
    insta::assert_snapshot!(format!("{name}_80x24"), draw(&scene(80, 24), 80, 24));
    insta::assert_snapshot!(format!("{name}_160x48"), draw(&scene(160, 48), 160, 48));
}

/// The DR tab with a small estate loaded through `update`, as the runtime would.
pub fn dr_app(read_only: bool, w: u16, h: u16) -> App {
    let mut app = fixture::app(read_only);
    app.update(Action::Resize(w, h));
    app.update(Action::Dr);
    assert_eq!(app.tab, Tab::Dr);
    let board = crate::dr::synthetic(3, 30, 8, NOW);
    app.update(Action::DrLoaded(Ok(Box::new(board))));
    app
}

#[test]
fn dr_board() {
    both_sizes("dr_board", |w, h| dr_app(false, w, h));
}

#[test]
fn dr_board_read_only() {
    both_sizes("dr_board_read_only", |w, h| dr_app(true, w, h));
}

#[test]
fn dr_cell_detail() {
    both_sizes("dr_cell_detail", |w, h| {
        let mut app = dr_app(false, w, h);
        app.update(Action::CursorRight);
        app.update(Action::Select);
        app
    });
}

#[test]
fn dr_link_history() {
    both_sizes("dr_link_history", |w, h| {
        let mut app = dr_app(false, w, h);
        app.update(Action::NextField);
        let effects = app.update(Action::Select);
        assert_eq!(
            effects,
            vec![crate::console::effect::Effect::LoadDrLink {
                link: "link-0003".into()
            }],
            "breaching links first"
        );
        let rows = (0..5)
            .map(|i| crate::store::SampleRow {
                kind: "link".into(),
                subject: "link-0003".into(),
                at: NOW - (5 - i) * 10_000,
                state: if i < 3 { "running" } else { "broken" }.into(),
                amount: i * 15_000,
                extra: i * 1024,
                message: if i < 3 {
                    "IO and SQL threads running"
                } else {
                    "SQL thread stopped"
                }
                .into(),
                detail: String::new(),
                coarse: false,
            })
            .collect();
        app.update(Action::DrLinkLoaded {
            link: "link-0003".into(),
            result: Ok(rows),
        });
        app
    });
}
