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

/// The DR tab with c00005 (business, dc-2) reached over SSH through a jump host and its last
/// connection error stored; c00020 beside it has no ssh endpoint (probed from here).
fn reach_app(w: u16, h: u16) -> App {
    let mut app = fixture::app(false);
    app.update(Action::Resize(w, h));
    app.update(Action::Dr);
    let mut board = crate::dr::synthetic(3, 30, 8, NOW);
    let c = board
        .view
        .components
        .iter_mut()
        .find(|c| c.name == "c00005")
        .unwrap();
    c.endpoints = serde_json::json!({"ssh": {"host": "10.0.3.12", "user": "ops",
        "identity_secret": "ssh.key.app", "jump": {"host": "bastion-2", "port": 2222}}});
    board.reach_errors.push(crate::domain::ssh::ReachError {
        component: "c00005".into(),
        error: "cannot reach host: ops@10.0.3.12:22 via bastion-2:2222: failed to connect to the remote host: ssh: connect to host 10.0.3.12 port 22: Connection refused".into(),
        at: NOW - 125_000,
    });
    app.update(Action::DrLoaded(Ok(Box::new(board))));
    app.update(Action::CursorRight);
    app.update(Action::Select);
    app
}

#[test]
fn dr_cell_detail_says_how_each_component_is_reached() {
    both_sizes("dr_cell_detail_reached", reach_app);
    let mut app = reach_app(80, 24);
    app.config.glyphs = super::glyphs::Glyphs::ASCII;
    let screen = draw(&app, 80, 24);
    assert!(screen.is_ascii(), "{screen}");
    let lines: Vec<&str> = screen.lines().collect();
    let at = lines.iter().position(|l| l.contains("c00005")).unwrap();
    assert!(
        lines[at + 1].contains("reached  ssh ops@10.0.3.12:22 via bastion-2:2222"),
        "{screen}"
    );
    assert!(
        lines[at + 2].contains("last err 2m ago:") && lines[at + 2].contains("Connection refused"),
        "the cause (the end of the reason) is kept: {screen}"
    );
    assert!(!screen.contains("ssh.key.app"), "no identity shown");
    let at = lines.iter().position(|l| l.contains("c00020")).unwrap();
    assert!(lines[at + 1].contains("reached  local"), "{screen}");
    assert!(!lines[at + 2].contains("last err"), "{screen}");
}
