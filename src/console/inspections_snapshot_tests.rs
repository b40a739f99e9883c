//! Snapshots of the Inspections pane at 80×24 and 160×48: the task list (and read-only), a task's
//! runs, a run's matrix (and one too wide for 80 columns, scrolled), a queued run, a result's
//! detail, the run-now confirmation; and checks that statuses read without colour.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::action::{Action, InspectionsAction};
use super::app::App;
use super::fixture::{self, host_results, inspections_app, run, run_app, run_read, wide_results};
use super::glyphs::Glyphs;

fn draw(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| f.render_widget(app, f.area())).unwrap();
    terminal.backend().to_string()
}

/// The same scene built at each size.
fn both_sizes(name: &str, scene: impl Fn(u16, u16) -> App) {
    insta::assert_snapshot!(format!("{name}_80x24"), draw(&scene(80, 24), 80, 24));
    insta::assert_snapshot!(format!("{name}_160x48"), draw(&scene(160, 48), 160, 48));
}

#[test]
fn inspections_tasks() {
    both_sizes("inspections_tasks", |w, h| inspections_app(false, w, h));
}

#[test]
fn inspections_tasks_read_only() {
    both_sizes("inspections_tasks_read_only", |w, h| {
        inspections_app(true, w, h)
    });
}

#[test]
fn inspections_runs() {
    both_sizes("inspections_runs", |w, h| {
        let mut app = inspections_app(false, w, h);
        app.update(Action::Select);
        let mut rows = vec![run(122, "host-basics", "running", 0)];
        rows.extend(fixture::host_runs(121, 99));
        app.update(Action::InspectionRunsLoaded {
            task: "host-basics".into(),
            result: Ok((rows, 4_322)),
        });
        app.update(Action::Down);
        app
    });
}

#[test]
fn inspections_run_matrix() {
    both_sizes("inspections_run", |w, h| {
        let mut app = run_app(false, w, h, host_results(120));
        app.update(Action::Down);
        app.update(Action::Down);
        app
    });
}

/// web-2 could not be reached for host-cpu: its own symbol in the matrix and its own word under
/// it, distinct from a failed check.
#[test]
fn inspections_run_cannot_reach_host() {
    both_sizes("inspections_run_unreach", |w, h| {
        let mut app = run_app(false, w, h, host_results(120));
        app.update(Action::CursorRight);
        app.update(Action::CursorRight);
        app
    });
}

#[test]
fn inspections_result_cannot_reach_host() {
    both_sizes("inspections_result_unreach", |w, h| {
        let mut app = run_app(false, w, h, host_results(120));
        app.update(Action::CursorRight);
        app.update(Action::CursorRight);
        app.update(Action::Select);
        app
    });
}

#[test]
fn inspections_run_too_wide_scrolls() {
    both_sizes("inspections_run_wide", |w, h| {
        let mut app = run_app(false, w, h, wide_results(120));
        app.update(Action::Down);
        app.update(Action::Down);
        for _ in 0..8 {
            app.update(Action::CursorRight);
        }
        app
    });
}

#[test]
fn inspections_run_queued() {
    both_sizes("inspections_run_queued", |w, h| {
        let mut app = run_app(false, w, h, Vec::new());
        app.update(Action::RunQueued {
            task: "host-basics".into(),
            result: Ok(131),
        });
        app.update(Action::InspectionRunLoaded {
            id: 131,
            result: Ok(run_read(
                run(131, "host-basics", "queued", 0),
                Vec::new(),
                0,
            )),
        });
        app
    });
}

#[test]
fn inspections_result() {
    both_sizes("inspections_result", |w, h| {
        let mut app = run_app(false, w, h, host_results(120));
        app.update(Action::Down);
        app.update(Action::Down);
        app.update(Action::Select);
        app
    });
}

#[test]
fn inspections_confirm_run_now() {
    both_sizes("inspections_confirm", |w, h| {
        let mut app = inspections_app(false, w, h);
        app.update(Action::OnInspections(InspectionsAction::RunNow));
        app
    });
}

#[test]
fn statuses_read_without_colour() {
    let mut app = run_app(false, 80, 24, host_results(120));
    app.config.glyphs = Glyphs::ASCII;
    app.config.theme = super::theme::Theme::builtin("mono").unwrap();
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("x failed"), "{screen}");
    // The matrix row of host-disk: x on db-1, + elsewhere.
    let row = screen
        .lines()
        .find(|l| l.contains("host-disk"))
        .unwrap_or_default();
    assert!(row.contains('x') && row.contains('+'), "{screen}");
    // host-cpu: + on db-1 and local-host, / (cannot reach host) on web-2; the counts say so too.
    let row = screen
        .lines()
        .find(|l| l.contains("host-cpu"))
        .unwrap_or_default();
    assert!(row.contains('/') && !row.contains('x'), "{screen}");
    assert!(screen.contains("+7 !1 x1 ?1 /1"), "{screen}");
    assert!(screen.is_ascii(), "{screen}");
    let tasks = inspections_app(false, 80, 24);
    let mut tasks = tasks;
    tasks.config.glyphs = Glyphs::ASCII;
    let screen = draw(&tasks, 80, 24);
    let svc = screen
        .lines()
        .find(|l| l.contains("svc"))
        .unwrap_or_default();
    assert!(svc.contains("x failed") && svc.contains("+xx"), "{screen}");
}
