//! Snapshots of the Config pane at 80×24 and 160×48: the grouped list (and read-only), a value,
//! the editor with a syntax error, the review + G2 confirmation (with the RMS_CONFIG warning), the
//! history, and a conflict. Drawn from the deterministic fixture.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Action, ConfigAction, SaveFailure};
use super::app::App;
use super::fixture::{NOW, config_app, history};

fn draw(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| f.render_widget(app, f.area())).unwrap();
    terminal.backend().to_string()
}

fn both_sizes(name: &str, app: &App) {
    insta::assert_snapshot!(format!("{name}_80x24"), draw(app, 80, 24));
    insta::assert_snapshot!(format!("{name}_160x48"), draw(app, 160, 48));
}

fn key(app: &mut App, code: KeyCode, mods: KeyModifiers) {
    app.update(Action::Key(KeyEvent::new(code, mods)));
}

fn editing(key_name: &str, text: &str) -> App {
    let mut app = config_app(false);
    app.update(Action::OpenConfigKey(key_name.into()));
    app.update(Action::OnConfig(ConfigAction::Edit));
    app.sysconf.editor_mut().unwrap().set_text(text);
    app
}

#[test]
fn config_list() {
    let mut app = config_app(false);
    app.update(Action::Down);
    both_sizes("config_list", &app);
}

#[test]
fn config_list_read_only_filtered() {
    let mut app = config_app(true);
    app.update(Action::ApplyFilter("-state:default".into()));
    app.message = None;
    both_sizes("config_list_read_only", &app);
}

#[test]
fn config_value() {
    let mut app = config_app(false);
    app.update(Action::OpenConfigKey("RMS_CONFIG".into()));
    both_sizes("config_value", &app);
}

#[test]
fn config_editor_syntax_error() {
    let text = "{\n  \"riskLevelMap\": {\n    \"P0\": true,\n    \"P1\" true\n  }\n}";
    let mut app = editing("RISK_DASHBOARD_CONFIG", text);
    key(&mut app, KeyCode::Char('s'), KeyModifiers::CONTROL);
    both_sizes("config_editor_error", &app);
}

#[test]
fn config_review_confirm_rms_warning() {
    let text = "{\"hostEffective\": true, \"hostName\": \"rms2.internal\", \"rmsKernelOutsideTenantId\": \"paas_outsidetenant_id\", \"token\": \"******\", \"version\": \"v3\"}";
    let mut app = editing("RMS_CONFIG", text);
    app.update(Action::OnConfig(ConfigAction::Save));
    app.update(Action::Paste("CHG-53 new RMS host".into()));
    both_sizes("config_review", &app);
}

#[test]
fn config_history() {
    let mut app = config_app(false);
    app.update(Action::ApplyFilter("RISK".into()));
    app.update(Action::OnConfig(ConfigAction::History));
    app.update(Action::HistoryLoaded {
        key: "RISK_DASHBOARD_CONFIG".into(),
        result: Ok(history()),
    });
    app.update(Action::Down);
    app.message = None;
    both_sizes("config_history", &app);
}

#[test]
fn config_conflict() {
    let text = "{\"riskLevelMap\": {\"P0\": true, \"P1\": false, \"P2\": false, \"P3\": false}}";
    let mut app = editing("RISK_DASHBOARD_CONFIG", text);
    app.sysconf.editor_mut().unwrap().base_version = 2;
    app.update(Action::OnConfig(ConfigAction::Save));
    app.update(Action::Paste("CHG-51".into()));
    app.update(Action::Submit);
    app.update(Action::ConfigSaved {
        key: "RISK_DASHBOARD_CONFIG".into(),
        result: Err(SaveFailure {
            message: "conflict".into(),
            conflict: Some((3, "bob@jump-2".into(), NOW - 60_000)),
        }),
    });
    app.update(Action::HistoryLoaded {
        key: "RISK_DASHBOARD_CONFIG".into(),
        result: Ok(history()),
    });
    both_sizes("config_conflict", &app);
}
