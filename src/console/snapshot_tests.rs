//! Snapshot tests of every pane, the help and the confirmation popups, at 80×24 and 160×48, drawn
//! with `TestBackend` from the deterministic fixture (fixed clock, built-in configuration).

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Action, Operation};
use super::app::App;
use super::fixture;
use super::glyphs::Glyphs;
use super::tab::Tab;
use crate::domain::Danger;

fn draw(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| f.render_widget(app, f.area())).unwrap();
    terminal.backend().to_string()
}

fn both_sizes(name: &str, app: &App) {
    insta::assert_snapshot!(format!("{name}_80x24"), draw(app, 80, 24));
    insta::assert_snapshot!(format!("{name}_160x48"), draw(app, 160, 48));
}

fn on_tab(tab: Tab) -> App {
    let mut app = fixture::app(false);
    app.tab = tab;
    app
}

#[test]
fn overview() {
    both_sizes("overview", &on_tab(Tab::Overview));
}

#[test]
fn overview_loading() {
    both_sizes("overview_loading", &fixture::empty_app(false));
}

#[test]
fn overview_read_only_filtered_with_error() {
    let mut app = fixture::app(true);
    app.update(Action::ApplyFilter("role:engine".into()));
    app.update(Action::Tick(fixture::NOW + 120_000));
    let result = Err("pool timed out while waiting for an open connection".into());
    app.update(Action::OverviewLoaded {
        generation: app.generation,
        at: fixture::NOW,
        result,
    });
    app.message = None;
    both_sizes("overview_read_only_error", &app);
}

#[test]
fn overview_ascii() {
    let mut app = fixture::app(false);
    app.config.glyphs = Glyphs::ASCII;
    insta::assert_snapshot!("overview_ascii_80x24", draw(&app, 80, 24));
}

#[test]
fn dr() {
    both_sizes("dr", &on_tab(Tab::Dr));
}

#[test]
fn inspections() {
    both_sizes("inspections", &on_tab(Tab::Inspections));
}

#[test]
fn plans() {
    both_sizes("plans", &on_tab(Tab::Plans));
}

#[test]
fn config() {
    both_sizes("config", &on_tab(Tab::Config));
}

#[test]
fn help() {
    let mut app = fixture::app(false);
    app.update(Action::Help);
    both_sizes("help", &app);
}

#[test]
fn command_line_with_candidates() {
    let mut app = fixture::app(false);
    app.update(Action::CommandLine);
    app.update(Action::Insert('t'));
    app.update(Action::Complete);
    app.update(Action::Complete);
    insta::assert_snapshot!("command_line_80x24", draw(&app, 80, 24));
}

#[test]
fn menu() {
    let mut app = fixture::app(false);
    app.update(Action::Bottom);
    app.update(Action::Menu);
    insta::assert_snapshot!("menu_80x24", draw(&app, 80, 24));
}

#[test]
fn detail() {
    let mut app = fixture::app(false);
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    )));
    insta::assert_snapshot!("detail_80x24", draw(&app, 80, 24));
}

fn confirm(danger: Danger, typed: &str) -> App {
    let mut app = fixture::app(false);
    let op = match danger {
        Danger::G1 => Operation::ForgetInstance {
            id: "nw-old:3120:1795248000000".into(),
        },
        _ => Operation::Test {
            danger,
            target: "db-primary".into(),
        },
    };
    app.update(Action::Request(op));
    app.update(Action::Paste(typed.into()));
    app
}

#[test]
fn confirm_g1() {
    both_sizes("confirm_g1", &confirm(Danger::G1, ""));
}

#[test]
fn confirm_g2() {
    both_sizes("confirm_g2", &confirm(Danger::G2, "CHG-7 planned restart"));
}

#[test]
fn confirm_g3_refused() {
    let mut app = confirm(Danger::G3, "db-prim");
    app.update(Action::Submit);
    both_sizes("confirm_g3", &app);
}

/// Issue 12: at 80 columns a long message keeps both ends (what happened, and why or what
/// next); the backend gives way to it first.
#[test]
fn status_bar_long_message_at_80_columns() {
    let mut app = fixture::app(false);
    app.error(
        "not launched: the store refused the run of redis-master-switch: connection refused \
         (is the database up on 127.0.0.1:3306?)",
    );
    let screen = draw(&app, 80, 24);
    let bar = screen.lines().last().unwrap_or_default().to_owned();
    assert!(
        bar.contains("not launched") && bar.contains(":3306?)"),
        "both ends stay: {bar}"
    );
    insta::assert_snapshot!("status_bar_long_message_80x24", bar);
}

/// `q` at the top with the engine in this process: the question and what stops, at 80×24.
#[test]
fn quit_question() {
    let mut app = fixture::app(false);
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char('q'),
        KeyModifiers::NONE,
    )));
    insta::assert_snapshot!("quit_question_80x24", draw(&app, 80, 24));
}

/// Issue 12: a parameter whose empty value means this machine says so on the form while empty,
/// and a dry run's confirmation names the plan and the host it acts on.
#[test]
fn the_form_names_this_machine_and_the_confirmation_the_host() {
    use crate::console::line_input::LineInput;
    use crate::console::plans::FormField;
    let mut app = fixture::form_app(false, 80, 24);
    if let Some(f) = &mut app.plans.form {
        f.fields.push(FormField {
            name: "ssh_host".into(),
            kind: "string".into(),
            input: LineInput::with_text(""),
            local_when_empty: true,
            ..FormField::default()
        });
    }
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("EMPTY = THIS MACHINE"), "{screen}");
    let op = Operation::LaunchPlan(Box::new(crate::console::action::PlanLaunch {
        plan: "disk-log-cleanup".into(),
        params: Default::default(),
        dry_run: true,
        event_id: 3,
        danger: Danger::G1,
        target: "/home/admin/logs".into(),
        ops: Vec::new(),
        typed: String::new(),
        host: Some("web-18 (ssh_host)".into()),
    }));
    app.update(Action::Request(op));
    let screen = draw(&app, 80, 24);
    assert!(
        screen.contains("Dry-run plan disk-log-cleanup") && screen.contains("web-18 (ssh_host)"),
        "{screen}"
    );
}

/// Issue 12: with ASCII glyphs (LANG unset or not UTF-8) nothing above 0x7f reaches the terminal,
/// whatever a pane wrote (`·`, `×`, `─`, arrows); below 40×12 a notice says why nothing else shows.
#[test]
fn ascii_means_ascii_and_a_tiny_terminal_says_so() {
    for tab in [Tab::Overview, Tab::Events, Tab::Plans, Tab::Config] {
        let mut app = on_tab(tab);
        app.config.glyphs = Glyphs::ASCII;
        app.error("not launched · a × b → c");
        let screen = draw(&app, 80, 24);
        assert!(screen.is_ascii(), "{tab:?}:\n{screen}");
    }
    let app = fixture::app(false);
    let screen = draw(&app, 30, 8);
    assert!(
        screen.contains("terminal too small") && screen.contains("30x8"),
        "{screen}"
    );
}
