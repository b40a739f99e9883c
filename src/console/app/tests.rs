//! `App::update` driven by actions and key presses, without a terminal or a runtime.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::console::action::{Action, Operation};
use crate::console::app::{App, Popup, PromptKind};
use crate::console::effect::Effect;
use crate::console::fixture::{self, NOW};
use crate::console::mode::Mode;
use crate::console::popups::{HelpLine, help_lines};
use crate::console::tab::Tab;
use crate::domain::Danger;

fn press(app: &mut App, keys: &str) -> Vec<Effect> {
    let mut out = Vec::new();
    for c in keys.chars() {
        out.extend(app.update(Action::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        ))));
    }
    out
}

fn key(app: &mut App, code: KeyCode, mods: KeyModifiers) -> Vec<Effect> {
    app.update(Action::Key(KeyEvent::new(code, mods)))
}

fn esc(app: &mut App) -> Vec<Effect> {
    key(app, KeyCode::Esc, KeyModifiers::NONE)
}

fn enter(app: &mut App) -> Vec<Effect> {
    key(app, KeyCode::Enter, KeyModifiers::NONE)
}

#[test]
fn number_keys_tab_and_backtab_switch_tabs() {
    let mut app = fixture::app(false);
    press(&mut app, "3");
    assert_eq!(app.tab, Tab::Dr);
    key(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(app.tab, Tab::Inspections);
    key(&mut app, KeyCode::BackTab, KeyModifiers::SHIFT);
    key(&mut app, KeyCode::BackTab, KeyModifiers::SHIFT);
    assert_eq!(app.tab, Tab::Events);
    press(&mut app, "6");
    assert_eq!(app.tab, Tab::Config);
    app.update(Action::NextTab);
    assert_eq!(app.tab, Tab::Overview);
}

#[test]
fn q_and_ctrl_c_quit() {
    // The fixture runs the engine in this process: quitting asks first (y quits).
    let mut app = fixture::app(false);
    press(&mut app, "q");
    assert!(!app.quit && matches!(app.popup, Some(Popup::AskQuit { .. })));
    press(&mut app, "y");
    assert!(app.quit);
    let mut app = fixture::app(false);
    key(&mut app, KeyCode::Char('c'), KeyModifiers::CONTROL);
    press(&mut app, "y");
    assert!(app.quit);
}

#[test]
fn j_k_move_within_the_filtered_instances() {
    let mut app = fixture::app(false);
    assert_eq!(app.visible_instances, vec![0, 1, 2]);
    press(&mut app, "jjjj");
    assert_eq!(app.selected, 2, "stops at the last row");
    press(&mut app, "k");
    assert_eq!(app.selected, 1);
    press(&mut app, "g");
    assert_eq!(app.selected, 0);
}

#[test]
fn filter_prompt_parses_and_applies_and_esc_clears() {
    let mut app = fixture::app(false);
    press(&mut app, "/role:engine");
    assert_eq!(app.mode(), Mode::Filter);
    enter(&mut app);
    assert_eq!(app.mode(), Mode::Normal);
    assert_eq!(app.visible_instances, vec![0, 2]);
    assert_eq!(app.filter().terms[0].key, "role");
    press(&mut app, "/");
    assert_eq!(
        app.prompt.as_ref().map(|p| p.input.text()),
        Some("role:engine"),
        "reopens with it"
    );
    esc(&mut app);
    assert_eq!(
        app.visible_instances,
        vec![0, 2],
        "Esc in the prompt keeps the filter"
    );
    esc(&mut app);
    esc(&mut app);
    assert!(
        app.filter().is_empty(),
        "Esc clears the message, then the filter"
    );
    assert_eq!(app.visible_instances, vec![0, 1, 2]);
}

#[test]
fn unknown_filter_keys_are_reported_not_silently_empty() {
    let mut app = fixture::app(false);
    press(&mut app, "/lvl:1");
    enter(&mut app);
    let msg = app.message.clone().unwrap();
    assert!(
        msg.error && msg.text.contains("unknown filter key lvl"),
        "{msg:?}"
    );
    assert!(
        app.filter().terms.is_empty(),
        "the bad term is never applied (typing applies the filter live)"
    );
}

#[test]
fn command_line_completes_and_runs() {
    let mut app = fixture::app(false);
    press(&mut app, ":eventsx");
    key(&mut app, KeyCode::Backspace, KeyModifiers::NONE);
    key(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(app.prompt.as_ref().map(|p| p.input.text()), Some("events"));
    enter(&mut app);
    assert_eq!((app.tab, app.mode()), (Tab::Events, Mode::Normal));
    press(&mut app, ":insp");
    key(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(
        app.prompt.as_ref().map(|p| p.input.text()),
        Some("inspections")
    );
    enter(&mut app);
    assert_eq!(app.tab, Tab::Inspections);
    press(&mut app, "2");

    press(&mut app, ":");
    key(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    assert!(
        app.prompt.as_ref().unwrap().candidates.len() > 5,
        "empty line lists every command"
    );
    press(&mut app, "th");
    key(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    press(&mut app, "l");
    key(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(
        app.prompt.as_ref().map(|p| p.input.text()),
        Some("theme light")
    );
    assert_eq!(enter(&mut app), vec![Effect::LoadTheme("light".into())]);
}

#[test]
fn unknown_command_names_it_and_suggests() {
    let mut app = fixture::app(false);
    press(&mut app, ":inspectoins");
    enter(&mut app);
    let msg = app.message.clone().unwrap();
    assert!(msg.error);
    assert_eq!(
        msg.text,
        "unknown command :inspectoins (did you mean :inspections?)"
    );
    assert_eq!(app.tab, Tab::Overview);
}

#[test]
fn refresh_command_polls_with_a_new_generation_and_drops_stale_answers() {
    let mut app = fixture::app(false);
    let g = app.generation;
    assert_eq!(press(&mut app, ":refresh").len(), 0);
    assert_eq!(
        enter(&mut app),
        vec![
            Effect::LoadOverview {
                generation: g + 1,
                known: Some(Box::new((Default::default(), 17)))
            },
            Effect::LoadEventStats {
                now: NOW,
                known: Some((7, NOW / 3_600_000))
            }
        ]
    );
    let mut changed = fixture::overview();
    changed.instances.clear();
    let result = Ok(Box::new(changed));
    app.update(Action::OverviewLoaded {
        generation: g,
        at: NOW,
        result,
    });
    assert_eq!(
        app.visible_instances.len(),
        3,
        "the stale answer is dropped"
    );
}

#[test]
fn ticks_poll_once_at_a_time_and_idle_ticks_do_not_redraw() {
    let mut app = fixture::app(false);
    app.dirty = false;
    let effects = app.update(Action::Tick(NOW + 1000));
    assert_eq!(
        effects,
        vec![
            Effect::LoadOverview {
                generation: app.generation,
                known: Some(Box::new((Default::default(), 17)))
            },
            Effect::LoadEventStats {
                now: NOW + 1000,
                known: Some((7, NOW / 3_600_000))
            }
        ],
        "the bell check of the first tick is still pending"
    );
    assert!(!app.dirty, "nothing visible changed");
    assert!(
        app.update(Action::Tick(NOW + 2000)).is_empty(),
        "a read is still pending"
    );
    let result = Ok(Box::new(fixture::overview()));
    app.update(Action::OverviewLoaded {
        generation: app.generation,
        at: NOW + 2000,
        result,
    });
    assert!(!app.dirty, "the same Overview again changes nothing");
    app.update(Action::Tick(NOW + 60_000));
    assert!(app.dirty, "freshness turned stale");
    assert_eq!(app.freshness(), ("stale".to_owned(), true));
}

#[test]
fn data_errors_show_and_clear() {
    let mut app = fixture::app(false);
    app.update(Action::Tick(NOW + 1000));
    let result = Err("database is locked".into());
    app.update(Action::OverviewLoaded {
        generation: app.generation,
        at: NOW + 1000,
        result,
    });
    assert_eq!(app.data_error.as_deref(), Some("database is locked"));
    assert_eq!(app.visible_instances.len(), 3, "the last good data stays");
    app.update(Action::Tick(NOW + 2000));
    let result = Ok(Box::new(fixture::overview()));
    app.update(Action::OverviewLoaded {
        generation: app.generation,
        at: NOW + 2000,
        result,
    });
    assert_eq!(app.data_error, None);
}

#[test]
fn menu_on_a_stale_instance_offers_forget_and_g1_confirms() {
    let mut app = fixture::app(false);
    press(&mut app, "G");
    press(&mut app, "m");
    let Some(Popup::Menu(menu)) = &app.popup else {
        panic!("no menu")
    };
    assert!(
        menu.items
            .iter()
            .any(|i| i.label == "Forget stale instance (G1)")
    );
    press(&mut app, "j");
    enter(&mut app);
    assert_eq!(app.mode(), Mode::Confirm);
    let effects = press(&mut app, "y");
    let id = "nw-old:3120:1795248000000".to_owned();
    assert_eq!(
        effects,
        vec![Effect::Mutate {
            op: Operation::ForgetInstance { id },
            actor: "op@jump-1".into(),
            reason: String::new()
        }]
    );
    assert_eq!(app.popup, None);
}

#[test]
fn live_instances_cannot_be_forgotten() {
    let mut app = fixture::app(false);
    press(&mut app, "m");
    let Some(Popup::Menu(menu)) = &app.popup else {
        panic!("no menu")
    };
    assert!(menu.items.iter().all(|i| !i.action.mutates()));
    assert!(
        menu.note
            .as_deref()
            .unwrap_or_default()
            .contains("live instance")
    );
}

#[test]
fn confirm_n_and_esc_cancel() {
    for cancel in ["n", "\u{1b}"] {
        let mut app = fixture::app(false);
        app.update(Action::Request(Operation::ForgetInstance {
            id: "x".into(),
        }));
        let effects = if cancel == "n" {
            press(&mut app, "n")
        } else {
            esc(&mut app)
        };
        assert!(effects.is_empty());
        assert_eq!(app.popup, None);
    }
}

#[test]
fn g2_requires_a_reason_typed_in_the_popup() {
    let mut app = fixture::app(false);
    let op = Operation::Test {
        danger: Danger::G2,
        target: "redis-1".into(),
    };
    app.update(Action::Request(op.clone()));
    assert_eq!(app.mode(), Mode::ConfirmInput);
    assert!(press(&mut app, "y").is_empty(), "y is text here, not yes");
    key(&mut app, KeyCode::Backspace, KeyModifiers::NONE);
    assert!(enter(&mut app).is_empty(), "no reason yet");
    app.update(Action::Paste("CHG-7 restart".into()));
    let effects = enter(&mut app);
    let reason = "CHG-7 restart".to_owned();
    assert_eq!(
        effects,
        vec![Effect::Mutate {
            op,
            actor: "op@jump-1".into(),
            reason
        }]
    );
}

#[test]
fn g3_requires_the_target_name_and_a_reason() {
    let mut app = fixture::app(false);
    let op = Operation::Test {
        danger: Danger::G3,
        target: "db-primary".into(),
    };
    app.update(Action::Request(op.clone()));
    press(&mut app, "db-primary");
    key(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    assert!(enter(&mut app).is_empty(), "reason missing");
    press(&mut app, "drill");
    let effects = enter(&mut app);
    assert_eq!(effects.len(), 1);
    assert!(effects[0].is_mutating());
}

#[test]
fn read_only_gate_refuses_every_mutating_action() {
    let ops = [
        Operation::ForgetInstance {
            id: "nw-old:3120:1795248000000".into(),
        },
        Operation::Test {
            danger: Danger::G3,
            target: "db".into(),
        },
    ];
    for op in ops {
        let mut app = fixture::app(true);
        for action in [
            Action::Request(op.clone()),
            Action::Confirmed {
                op: op.clone(),
                reason: "r".into(),
            },
        ] {
            let effects = app.update(action);
            assert!(effects.iter().all(|e| !e.is_mutating()), "{effects:?}");
            assert_eq!(app.popup, None, "no confirmation opens");
            let msg = app.message.clone().unwrap();
            assert!(msg.error && msg.text.contains("read-only"), "{msg:?}");
        }
    }
}

#[test]
fn read_only_menu_hides_what_it_cannot_do() {
    let mut app = fixture::app(true);
    press(&mut app, "Gm");
    let Some(Popup::Menu(menu)) = &app.popup else {
        panic!("no menu")
    };
    assert!(menu.items.iter().all(|i| !i.action.mutates()));
    assert_eq!(menu.note.as_deref(), Some("read-only: changes are hidden"));
    // Driving every key through the read-only app never yields a mutating effect.
    let mut effects = press(&mut app, "jjkk\nyy");
    effects.extend(press(&mut app, "Gmj\ny"));
    assert!(effects.iter().all(|e| !e.is_mutating()));
}

#[test]
fn esc_closes_popups_and_prompts_first() {
    let mut app = fixture::app(false);
    press(&mut app, "?");
    assert_eq!(app.mode(), Mode::Help);
    press(&mut app, "jj");
    assert_eq!(app.popup, Some(Popup::Help { scroll: 2 }));
    esc(&mut app);
    assert_eq!(app.popup, None);
    press(&mut app, ":");
    assert_eq!(
        app.prompt.as_ref().map(|p| p.kind),
        Some(PromptKind::Command)
    );
    esc(&mut app);
    assert_eq!((app.prompt.is_none(), app.quit), (true, false));
    enter(&mut app);
    assert_eq!(app.mode(), Mode::Help, "enter opens the detail (help keys)");
    esc(&mut app);
    assert_eq!(app.popup, None);
}

#[test]
fn help_is_generated_from_the_key_map() {
    let app = fixture::app(false);
    let lines = help_lines(&app.config.keymap, app.tab);
    for mode in [Mode::Normal, Mode::Command, Mode::Confirm] {
        for b in app.config.keymap.bindings(mode) {
            let keys: Vec<String> = b.keys.iter().map(ToString::to_string).collect();
            assert!(
                lines.contains(&HelpLine::Entry(keys.join(", "), b.desc.clone())),
                "{mode}: {b:?}"
            );
        }
    }
    assert!(lines.contains(&HelpLine::Entry(
        ":theme NAME".into(),
        "Switch theme".into()
    )));
}

#[test]
fn user_bindings_change_behaviour_and_help() {
    use crate::console::keymap::Keymap;
    let mut config = fixture::config(false);
    let user = Keymap::parse(
        "normal = [ { on = \"x\", run = \"help\", desc = \"Help!\" } ]",
        "u",
    )
    .unwrap();
    config.keymap = config.keymap.overlay(user);
    let mut app = App::new(config, fixture::db(), NOW);
    press(&mut app, "x");
    assert_eq!(app.mode(), Mode::Help);
    assert!(
        help_lines(&app.config.keymap, app.tab)
            .contains(&HelpLine::Entry("x".into(), "Help!".into()))
    );
}

#[test]
fn startup_warnings_show_in_the_status_bar() {
    let mut config = fixture::config(false);
    config.warnings = vec!["key map /k.toml: bad".into(), "view x: bad".into()];
    let app = App::new(config, fixture::db(), NOW);
    let msg = app.message.unwrap();
    assert!(msg.error);
    assert_eq!(msg.text, "key map /k.toml: bad (+1 more in the log)");
}
