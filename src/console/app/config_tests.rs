//! The Config pane's update flows, driven by key presses and data arrivals: open, view, edit,
//! local validation (syntax → cursor, schema → path), review + G2 confirm → the save effect with the
//! right base version, conflicts (reload / re-apply), switches, history and rollback, read-only.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;

use crate::console::action::{Action, ConfigAction, EditedText, Operation, SaveFailure};
use crate::console::app::{App, Popup};
use crate::console::effect::Effect;
use crate::console::fixture::{self, NOW, config_app, config_views, history};
use crate::console::mode::Mode;
use crate::console::sysconf::Screen;
use crate::console::tab::Tab;
use crate::domain::sysconfig::KeyState;

fn key(app: &mut App, code: KeyCode, mods: KeyModifiers) -> Vec<Effect> {
    app.update(Action::Key(KeyEvent::new(code, mods)))
}

fn press(app: &mut App, keys: &str) -> Vec<Effect> {
    keys.chars()
        .flat_map(|c| key(app, KeyCode::Char(c), KeyModifiers::NONE))
        .collect()
}

fn ctrl(app: &mut App, c: char) -> Vec<Effect> {
    key(app, KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn enter(app: &mut App) -> Vec<Effect> {
    key(app, KeyCode::Enter, KeyModifiers::NONE)
}

fn esc(app: &mut App) -> Vec<Effect> {
    key(app, KeyCode::Esc, KeyModifiers::NONE)
}

/// The Config app with `key` open in the editor, its text replaced by `text`.
fn editing(key_name: &str, text: &str) -> App {
    let mut app = config_app(false);
    app.update(Action::OpenConfigKey(key_name.into()));
    press(&mut app, "e");
    assert_eq!(app.mode(), Mode::Editor);
    app.sysconf.editor_mut().unwrap().set_text(text);
    app
}

fn message(app: &App) -> String {
    app.message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default()
}

#[test]
fn entering_the_tab_loads_the_keys_and_lists_them_grouped() {
    let mut app = fixture::app(false);
    let effects = press(&mut app, "6");
    assert_eq!(app.tab, Tab::Config);
    let generation = app.sysconf.generation;
    assert_eq!(
        effects,
        vec![Effect::LoadConfig {
            generation,
            known: None
        }]
    );
    app.update(Action::ConfigLoaded {
        generation,
        stamp: 1,
        result: Ok(config_views()),
    });
    assert_eq!(app.mode(), Mode::Config);
    let keys: Vec<&str> = app
        .sysconf
        .visible
        .iter()
        .map(|&i| app.sysconf.views[i].key.as_str())
        .collect();
    assert_eq!(keys[0], "IAM_CONFIG");
    assert_eq!(keys.last(), Some(&"OPS_NOTES"), "user keys come last");
    // While the tab shows, ticks poll the keys, one read at a time.
    let polls = app.update(Action::Tick(NOW + 1000));
    assert!(polls.iter().any(|e| matches!(e, Effect::LoadConfig { .. })));
    let again = app.update(Action::Tick(NOW + 2000));
    assert!(!again.iter().any(|e| matches!(e, Effect::LoadConfig { .. })));
}

#[test]
fn filter_by_state_and_group_and_free_text() {
    let mut app = config_app(false);
    app.update(Action::ApplyFilter("state:modified".into()));
    assert_eq!(app.sysconf.visible.len(), 3);
    app.update(Action::ApplyFilter("group:switch".into()));
    assert_eq!(app.sysconf.visible.len(), 2);
    app.update(Action::ApplyFilter("risk".into()));
    assert_eq!(
        app.sysconf.selected_view().unwrap().key,
        "RISK_DASHBOARD_CONFIG"
    );
    app.update(Action::ApplyFilter("colour:red".into()));
    assert!(message(&app).contains("unknown filter key colour; keys have: key, group, state"));
}

#[test]
fn enter_shows_the_value_and_esc_goes_back() {
    let mut app = config_app(false);
    press(&mut app, "j");
    enter(&mut app);
    assert!(matches!(&app.sysconf.screen, Some(Screen::Value { key, .. }) if key == "RMS_CONFIG"));
    press(&mut app, "jj");
    assert!(matches!(
        app.sysconf.screen,
        Some(Screen::Value { scroll: 2, .. })
    ));
    esc(&mut app);
    assert!(app.sysconf.screen.is_none());
    assert_eq!(app.sysconf.selected_view().unwrap().key, "RMS_CONFIG");
}

#[test]
fn edit_starts_from_the_masked_value_and_its_version() {
    let mut app = config_app(false);
    press(&mut app, "e");
    let ed = app.sysconf.editor().unwrap();
    assert_eq!((ed.key.as_str(), ed.base_version), ("IAM_CONFIG", 2));
    assert!(ed.text().contains("\"iamUserPassword\": \"******\""));
    assert!(!ed.is_modified());
    esc(&mut app);
    assert!(
        matches!(app.sysconf.screen, Some(Screen::Value { .. })),
        "unchanged: no question"
    );
}

#[test]
fn a_syntax_error_moves_the_cursor_and_says_what_was_expected() {
    let mut app = editing(
        "RISK_DASHBOARD_CONFIG",
        "{\n  \"riskLevelMap\": {\n    \"P0\" true\n  }\n}",
    );
    assert!(ctrl(&mut app, 's').is_empty());
    assert_eq!(app.popup, None, "nothing to confirm");
    let ed = app.sysconf.editor().unwrap();
    assert_eq!(ed.cursor(), (3, 10));
    let err = ed.error.clone().unwrap();
    assert!(
        err.contains("line 3, column 10") && err.contains("expected `:`"),
        "{err}"
    );
    assert!(message(&app).contains("line 3, column 10"));
}

#[test]
fn a_schema_error_names_the_path_and_the_expected_type() {
    let text = "{\n  \"riskLevelMap\": {\n    \"P0\": \"yes\"\n  }\n}";
    let mut app = editing("RISK_DASHBOARD_CONFIG", text);
    ctrl(&mut app, 's');
    let ed = app.sysconf.editor().unwrap();
    let err = ed.error.clone().unwrap();
    assert!(
        err.contains("/riskLevelMap/P0") && err.contains("boolean"),
        "{err}"
    );
    assert_eq!(ed.cursor().0, 3, "the cursor goes to the offending line");
    assert_eq!(app.popup, None);
}

#[test]
fn a_value_over_one_mib_is_refused() {
    let big = format!("{{\"x\": \"{}\"}}", "a".repeat(1024 * 1024));
    let mut app = editing("OPS_NOTES", &big);
    ctrl(&mut app, 's');
    assert!(
        message(&app).contains("limit is 1048576 bytes"),
        "{}",
        message(&app)
    );
    assert_eq!(app.popup, None);
}

#[test]
fn saving_reviews_then_confirms_with_a_reason_into_a_save_effect() {
    let text = "{\"riskLevelMap\": {\"P0\": true, \"P1\": true, \"P2\": true, \"P3\": false}}";
    let mut app = editing("RISK_DASHBOARD_CONFIG", text);
    ctrl(&mut app, 's');
    let Some(Popup::Confirm(c)) = &app.popup else {
        panic!("no review")
    };
    let review = c.review.as_ref().unwrap();
    assert!(
        review.rows.iter().any(|r| r.tag != ' '),
        "the diff shows the change"
    );
    assert_eq!(app.mode(), Mode::ConfirmInput);
    assert!(enter(&mut app).is_empty(), "a reason is required");
    app.update(Action::Paste("CHG-50 show P2".into()));
    let effects = enter(&mut app);
    assert_eq!(
        effects,
        vec![Effect::Mutate {
            op: Operation::SaveConfig {
                key: "RISK_DASHBOARD_CONFIG".into(),
                text: EditedText(text.into()),
                base_version: 0,
            },
            actor: "op@jump-1".into(),
            reason: "CHG-50 show P2".into(),
        }]
    );
    assert!(app.sysconf.editor().unwrap().saving);
    let saved = fixture::sysconf_view("RISK_DASHBOARD_CONFIG", 1);
    let effects = app.update(Action::ConfigSaved {
        key: "RISK_DASHBOARD_CONFIG".into(),
        result: Ok(Box::new(saved)),
    });
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadConfig { .. }))
    );
    assert!(matches!(app.sysconf.screen, Some(Screen::Value { .. })));
    assert!(message(&app).contains("saved v1"), "{}", message(&app));
}

#[test]
fn rms_config_without_a_raised_version_warns_in_the_review() {
    let text = "{\"hostEffective\": true, \"hostName\": \"rms2.internal\", \"rmsKernelOutsideTenantId\": \"paas_outsidetenant_id\", \"token\": \"******\", \"version\": \"v3\"}";
    let mut app = editing("RMS_CONFIG", text);
    ctrl(&mut app, 's');
    let Some(Popup::Confirm(c)) = &app.popup else {
        panic!("no review")
    };
    let notes = &c.review.as_ref().unwrap().notes;
    assert!(
        notes
            .iter()
            .any(|n| n.warning && n.text.contains("will not take effect")),
        "{notes:?}"
    );
    let raised = text.replace("\"v3\"", "\"v4\"");
    let mut app = editing("RMS_CONFIG", &raised);
    ctrl(&mut app, 's');
    let Some(Popup::Confirm(c)) = &app.popup else {
        panic!("no review")
    };
    assert!(c.review.as_ref().unwrap().notes.iter().all(|n| !n.warning));
}

fn conflicted() -> App {
    let text = "{\"riskLevelMap\": {\"P0\": true, \"P1\": false, \"P2\": false, \"P3\": false}}";
    let mut app = editing("RISK_DASHBOARD_CONFIG", text);
    app.sysconf.editor_mut().unwrap().base_version = 2;
    ctrl(&mut app, 's');
    app.update(Action::Paste("CHG-51".into()));
    enter(&mut app);
    let failure = SaveFailure {
        message: "conflict".into(),
        conflict: Some((3, "bob@jump-2".into(), NOW - 60_000)),
    };
    let effects = app.update(Action::ConfigSaved {
        key: "RISK_DASHBOARD_CONFIG".into(),
        result: Err(failure),
    });
    let key = "RISK_DASHBOARD_CONFIG".to_owned();
    assert!(effects.contains(&Effect::LoadHistory { key: key.clone() }));
    assert_eq!(app.mode(), Mode::Conflict);
    app.update(Action::HistoryLoaded {
        key,
        result: Ok(history()),
    });
    app
}

#[test]
fn a_conflict_shows_their_change_and_reload_takes_it() {
    let mut app = conflicted();
    let c = app.sysconf.editor().unwrap().conflict.clone().unwrap();
    let theirs = c.theirs.unwrap();
    assert!(
        theirs
            .iter()
            .any(|l| l.tag == '+' && l.text.contains("tianjimachine")),
        "{theirs:?}"
    );
    let effects = press(&mut app, "r");
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadConfig { .. }))
    );
    assert!(matches!(app.sysconf.screen, Some(Screen::Value { .. })));
    assert!(message(&app).contains("took v3"));
}

#[test]
fn a_conflict_reapplied_reviews_again_on_top_of_the_current_version() {
    let mut app = conflicted();
    press(&mut app, "a");
    let Some(Popup::Confirm(c)) = &app.popup else {
        panic!("no review")
    };
    assert_eq!(c.review.as_ref().unwrap().left_title, "current v3");
    app.update(Action::Paste("CHG-51 on top".into()));
    let effects = enter(&mut app);
    let Some(Effect::Mutate {
        op: Operation::SaveConfig { base_version, .. },
        ..
    }) = effects.first()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(*base_version, 3);
}

#[test]
fn esc_with_unsaved_changes_asks_first() {
    let mut app = editing("OPS_NOTES", "{\"oncall\": \"team-c\"}");
    esc(&mut app);
    assert_eq!(app.mode(), Mode::Confirm);
    press(&mut app, "n");
    assert_eq!(app.mode(), Mode::Editor, "still editing");
    esc(&mut app);
    press(&mut app, "y");
    assert!(matches!(app.sysconf.screen, Some(Screen::Value { .. })));
    assert!(message(&app).contains("discarded"));
}

#[test]
fn paste_is_one_edit_and_undo_redo_work() {
    let mut app = config_app(false);
    app.update(Action::OpenConfigKey("OPS_NOTES".into()));
    press(&mut app, "e");
    let before = app.sysconf.editor().unwrap().text();
    app.update(Action::Paste("\"x\": [1,\n2],".into()));
    assert_ne!(app.sysconf.editor().unwrap().text(), before);
    ctrl(&mut app, 'z');
    assert_eq!(
        app.sysconf.editor().unwrap().text(),
        before,
        "one undo step"
    );
    ctrl(&mut app, 'r');
    assert!(app.sysconf.editor().unwrap().text().contains("2],"));
    // Typed keys edit the text, even those bound elsewhere (q, h, 6).
    press(&mut app, "qh6");
    assert!(app.sysconf.editor().unwrap().text().contains("qh6"));
    assert_eq!(app.tab, Tab::Config);
}

#[test]
fn find_moves_the_cursor_to_the_next_match() {
    let mut app = config_app(false);
    app.update(Action::OpenConfigKey("RISK_DASHBOARD_CONFIG".into()));
    press(&mut app, "e");
    ctrl(&mut app, 'f');
    press(&mut app, "riskLevelMap");
    enter(&mut app);
    let ed = app.sysconf.editor().unwrap();
    let line = ed.area.lines()[ed.cursor().0 - 1].clone();
    assert!(line.contains("riskLevelMap"), "{line}");
    key(&mut app, KeyCode::F(3), KeyModifiers::NONE);
    assert!(message(&app).contains("found"));
}

#[test]
fn space_toggles_a_switch_with_a_reason() {
    let mut app = config_app(false);
    app.update(Action::ApplyFilter("SYNC_KERNEL".into()));
    press(&mut app, " ");
    assert_eq!(app.mode(), Mode::ConfirmInput);
    app.update(Action::Paste("CHG-52 pause kernel sync".into()));
    let effects = enter(&mut app);
    let Some(Effect::Mutate { op, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    assert_eq!(
        op,
        &Operation::ToggleSwitch {
            key: "SYNC_KERNEL_BASELINE".into(),
            on: false,
            base_version: 0
        }
    );
    let mut app = config_app(false);
    press(&mut app, " ");
    assert!(
        message(&app).contains("not a switch"),
        "space on a JSON key does nothing"
    );
}

#[test]
fn history_lists_versions_and_rolls_back_as_a_new_version() {
    let mut app = config_app(false);
    app.update(Action::ApplyFilter("RISK".into()));
    let effects = press(&mut app, "H");
    let key = "RISK_DASHBOARD_CONFIG".to_owned();
    assert_eq!(effects, vec![Effect::LoadHistory { key: key.clone() }]);
    assert_eq!(app.mode(), Mode::History);
    app.update(Action::HistoryLoaded {
        key,
        result: Ok(history()),
    });
    press(&mut app, "u");
    assert!(message(&app).contains("is the current version"));
    press(&mut app, "jj");
    press(&mut app, "u");
    let Some(Popup::Confirm(c)) = &app.popup else {
        panic!("no review")
    };
    assert_eq!(
        c.op,
        Operation::RollbackConfig {
            key: "RISK_DASHBOARD_CONFIG".into(),
            version: 1,
            base_version: 3
        }
    );
}

#[test]
fn read_only_refuses_edit_toggle_and_rollback() {
    let mut app = config_app(true);
    let mut effects = press(&mut app, "e ");
    assert!(app.sysconf.screen.is_none() && app.popup.is_none());
    assert!(message(&app).contains("read-only"));
    app.update(Action::ApplyFilter("RISK".into()));
    press(&mut app, "H");
    assert_eq!(app.mode(), Mode::History, "history is readable read-only");
    app.update(Action::HistoryLoaded {
        key: "RISK_DASHBOARD_CONFIG".into(),
        result: Ok(history()),
    });
    effects.extend(press(&mut app, "ju"));
    assert_eq!(app.popup, None);
    effects.extend(app.update(Action::OnConfig(ConfigAction::Save)));
    effects.extend(app.update(Action::OnConfig(ConfigAction::Reapply)));
    assert!(effects.iter().all(|e| !e.is_mutating()), "{effects:?}");
    assert!(message(&app).contains("read-only"));
}

#[test]
fn states_are_listed_with_their_labels() {
    let app = config_app(false);
    let labels: Vec<&str> = app.sysconf.views.iter().map(|v| v.state.label()).collect();
    for l in ["default", "modified", "restart needed", "invalid"] {
        assert!(labels.contains(&l), "{l}");
    }
    assert!(matches!(app.sysconf.views[5].state, KeyState::Invalid(_)));
    assert_eq!(
        app.sysconf.view("METADATA_AUTO_SYNC").unwrap().value,
        json!(true)
    );
}
