//! Snapshots of the Plans pane at 80×24 and 160×48: the catalogue with the runs (and read-only),
//! the launch form with a field error, the G3 confirmation listing every operation, a run's live
//! view following its output, and an event's detail with its recommended plans.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::action::Action;
use super::app::App;
use super::fixture::{self, form_app, g3_confirm_app, live_app, plans_app};
use crate::domain::plan::Recommended;

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
fn plans_catalogue() {
    both_sizes("plans_catalogue", |w, h| plans_app(false, w, h));
}

#[test]
fn plans_catalogue_read_only() {
    both_sizes("plans_catalogue_read_only", |w, h| plans_app(true, w, h));
}

#[test]
fn plans_launch_form() {
    both_sizes("plans_launch_form", |w, h| {
        let mut app = form_app(false, w, h);
        app.update(Action::Submit);
        app.update(Action::PlanPrepared {
            plan: "git-storage-failover".into(),
            result: Err(vec![
                "--param backup_node: a value is required; give --param backup_node=…".into(),
            ]),
        });
        app
    });
}

#[test]
fn plans_g3_confirmation() {
    both_sizes("plans_g3_confirmation", |w, h| {
        let mut app = g3_confirm_app(w, h);
        for c in "batman-db-2".chars() {
            app.update(Action::Insert(c));
        }
        app.update(Action::NextField);
        for c in "CHG-1".chars() {
            app.update(Action::Insert(c));
        }
        app.update(Action::Submit);
        app
    });
}

#[test]
fn plans_run_live() {
    both_sizes("plans_run_live", |w, h| live_app(false, w, h));
}

#[test]
fn plans_event_recommendations() {
    both_sizes("plans_event_recommendations", |w, h| {
        let mut app = fixture::events_app(false, 30, w, h);
        app.update(Action::Select);
        let id = app.events.detail.as_ref().map_or(0, |d| d.id);
        app.update(Action::RecommendationsLoaded {
            id,
            topology: true,
            result: Ok(vec![
                Recommended {
                    scenario: "git-node-down".into(),
                    title: "Git storage node down".into(),
                    plan: "git-storage-failover".into(),
                    score: 180,
                    params: Default::default(),
                    unfilled: vec!["pod_id".into()],
                    impact: "git pushes to the node group fail".into(),
                },
                Recommended {
                    scenario: "git-node-down".into(),
                    title: "Git storage node down".into(),
                    plan: "host-health-check".into(),
                    score: 150,
                    params: Default::default(),
                    unfilled: Vec::new(),
                    impact: "git pushes to the node group fail".into(),
                },
            ]),
        });
        app.message = None;
        app
    });
}
