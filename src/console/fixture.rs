//! Deterministic test fixtures: an app with built-in configuration and a fixed Overview at a fixed
//! "now", so update tests and snapshots never depend on the wall clock or the user's files.

mod events;
mod inspections;
mod plans;
mod sysconf;

pub use events::{answer, event, events_app, log, page, stats};
pub use inspections::{
    HOST_RULES, answer_tasks, host_results, host_runs, inspections_app, run, run_app, run_read,
    stamp as inspections_stamp, tasks as inspection_tasks, wide_results,
};
pub use plans::{
    form_app, g3_confirm_app, g3_form, g3_prepared, live_app, plan_run, plans_app, running_steps,
};
pub use sysconf::{config_app, config_views, history, sysconf_view};

use super::action::Action;
use super::app::{App, AppConfig};
use super::glyphs::Glyphs;
use super::keymap::Keymap;
use super::rows::{ConfigRow, LayerRow};
use super::theme::{self, Theme};
use super::view::View;
use super::widgets::DataToCell;
use crate::domain::{DbInfo, EngineState, Instance, MasterLease, Overview};

/// 2026-11-21 09:00:00 UTC.
pub const NOW: i64 = 1_795_251_600_000;

/// The configuration every test app uses.
pub fn config(read_only: bool) -> AppConfig {
    AppConfig {
        keymap: Keymap::builtin(),
        theme: Theme::default_theme(),
        glyphs: Glyphs::UNICODE,
        instances_view: View::builtin("instances", Instance::COLUMNS),
        components_view: View::builtin("components", LayerRow::COLUMNS),
        config_view: View::builtin("config", ConfigRow::COLUMNS),
        events_view: View::builtin("events", crate::domain::event::Event::COLUMNS),
        inspections_view: View::builtin("inspections", crate::store::TaskSummary::COLUMNS),
        inspection_runs_view: View::builtin("inspection_runs", crate::store::RunRow::COLUMNS),
        plans_view: View::builtin("plans", crate::console::plans::PlanEntry::COLUMNS),
        plan_runs_view: View::builtin("plan_runs", crate::console::plans::RunEntry::COLUMNS),
        themes: theme::BUILTIN
            .iter()
            .map(|(n, _)| (*n).to_owned())
            .collect(),
        read_only,
        refresh_ms: 1000,
        ttl_ms: 15_000,
        actor: "op@jump-1".into(),
        settings_summary: vec![
            (
                "config file".into(),
                "/home/op/.config/nightwatch/config.toml".into(),
            ),
            ("refresh".into(), "1000 ms".into()),
            (
                "read-only".into(),
                if read_only { "yes" } else { "no" }.into(),
            ),
            ("theme".into(), "default".into()),
            ("key map".into(), "built-in".into()),
        ],
        warnings: Vec::new(),
    }
}

/// The database as the store describes it.
pub fn db() -> DbInfo {
    DbInfo {
        backend: "sqlite".into(),
        url: "sqlite:///home/op/.local/share/nightwatch/nightwatch.db?mode=rwc".into(),
        schema_version: Some(1),
        schema_latest: 1,
        read_only: false,
    }
}

fn instance(host: &str, pid: i64, role: &str, listen: &str, heartbeat_ago_ms: i64) -> Instance {
    Instance {
        id: format!("{host}:{pid}:1795248000000"),
        hostname: host.into(),
        ip: format!("10.1.0.{}", pid % 250),
        pid,
        role: role.into(),
        version: "0.1.0".into(),
        listen: listen.into(),
        started_at: 1_795_248_000_000,
        heartbeat_at: NOW - heartbeat_ago_ms,
    }
}

/// Three instances (two alive, one stale), a master, components in three layers.
pub fn overview() -> Overview {
    Overview {
        db: db(),
        instances: vec![
            instance("nw-a", 4101, "engine", "127.0.0.1:9797", 2_000),
            instance("jump-1", 977, "console", "", 4_000),
            instance("nw-old", 3120, "engine", "10.1.0.20:9797", 185_000),
        ],
        master: Some(MasterLease {
            role: "master".into(),
            holder: "nw-a:4101:1795248000000".into(),
            ip: "10.1.0.101".into(),
            hostname: "nw-a".into(),
            term: 4,
            expires_at: NOW + 12_000,
        }),
        components_total: 9,
        components_by_layer: vec![
            ("business".into(), 3),
            ("hub".into(), 0),
            ("storage".into(), 1),
            ("database".into(), 5),
            ("physical".into(), 0),
        ],
        audit_total: 17,
        stamp: NOW - 2_000,
        change: Default::default(),
    }
}

/// A fresh app at [`NOW`] that has not loaded anything.
pub fn empty_app(read_only: bool) -> App {
    let mut app = App::new(config(read_only), db(), NOW);
    app.engine = EngineState::InProcess {
        listen: "127.0.0.1:9797".into(),
    };
    app
}

/// An app at [`NOW`] with [`overview`] loaded through `update`, as the runtime would.
pub fn app(read_only: bool) -> App {
    let mut app = empty_app(read_only);
    let effects = app.update(Action::Tick(NOW));
    assert!(
        effects.contains(&crate::console::effect::Effect::LoadOverview {
            generation: 1,
            known: None
        }),
        "the first tick polls: {effects:?}"
    );
    let result = Ok(Box::new(overview()));
    app.update(Action::OverviewLoaded {
        generation: app.generation,
        at: NOW,
        result,
    });
    app.update(Action::EventStatsLoaded(Ok(stats())));
    app
}
