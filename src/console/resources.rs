//! Loading what the console is configured with: key map, theme, table views, from the embedded
//! built-ins and the user's `<config_dir>`. Small synchronous file reads at start-up (and for
//! `:theme`); a broken user file becomes a warning and the built-in is used instead.

use std::path::Path;

use super::app::AppConfig;
use super::glyphs::Glyphs;
use super::keymap::Keymap;
use super::plans::{PlanEntry, RunEntry};
use super::theme::{self, Theme};
use super::view::View;
use super::widgets::DataToCell;
use crate::domain::Instance;
use crate::domain::event::Event;
use crate::settings::Settings;
use crate::store::{RunRow, TaskSummary};

use super::rows::{ConfigRow, LayerRow};

/// Read a user file if it exists; an unreadable one is a warning.
fn read_user(path: &Path, warnings: &mut Vec<String>) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            warnings.push(format!("cannot read {}: {e}", path.display()));
            None
        }
    }
}

/// The key map: built-in, overlaid with the user's file when it parses.
fn keymap(config_dir: &Path, warnings: &mut Vec<String>) -> (Keymap, String) {
    let path = config_dir.join("keymap.toml");
    let builtin = Keymap::builtin();
    let Some(text) = read_user(&path, warnings) else {
        return (builtin, "built-in".to_owned());
    };
    match Keymap::parse(&text, &path.display().to_string()) {
        Ok(user) => (
            builtin.overlay(user),
            format!("built-in + {}", path.display()),
        ),
        Err(e) => {
            warnings.push(format!("{e} (using the built-in key map)"));
            (builtin, format!("built-in ({} is broken)", path.display()))
        }
    }
}

/// A theme by name: the user's file over the built-in, else the built-in.
pub fn load_theme(config_dir: &Path, name: &str) -> Result<Theme, String> {
    let path = config_dir.join("themes").join(format!("{name}.toml"));
    let mut warnings = Vec::new();
    if let Some(text) = read_user(&path, &mut warnings) {
        return Theme::parse_user(name, &text, &path.display().to_string())
            .map_err(|e| e.to_string());
    }
    if let Some(w) = warnings.pop() {
        return Err(w);
    }
    Theme::builtin(name).ok_or_else(|| {
        format!(
            "no theme \"{name}\": neither built-in nor {}",
            path.display()
        )
    })
}

/// Theme names: the built-ins plus `<config_dir>/themes/*.toml`.
fn theme_names(config_dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = theme::BUILTIN
        .iter()
        .map(|(n, _)| (*n).to_owned())
        .collect();
    if let Ok(dir) = std::fs::read_dir(config_dir.join("themes")) {
        let mut user: Vec<String> = dir
            .filter_map(Result::ok)
            .filter_map(|e| {
                e.file_name()
                    .to_str()?
                    .strip_suffix(".toml")
                    .map(str::to_owned)
            })
            .filter(|n| !names.contains(n))
            .collect();
        user.sort();
        names.extend(user);
    }
    names
}

fn view<T: DataToCell>(
    config_dir: &Path,
    name: &str,
    warnings: &mut Vec<String>,
) -> (View, String) {
    let path = config_dir.join("views").join(format!("{name}.toml"));
    let builtin = View::builtin(name, T::COLUMNS);
    let Some(text) = read_user(&path, warnings) else {
        return (builtin, "built-in".to_owned());
    };
    match View::parse(name, &text, &path.display().to_string(), T::COLUMNS) {
        Ok(v) => (v, path.display().to_string()),
        Err(e) => {
            warnings.push(format!("{e} (using the built-in view)"));
            (builtin, "built-in (user file broken)".to_owned())
        }
    }
}

/// Everything the app is configured with. `env` reads environment variables (injected for tests).
pub fn load(settings: &Settings, actor: String, env: impl Fn(&str) -> Option<String>) -> AppConfig {
    let dir = settings.paths.config_dir.as_path();
    let c = &settings.console;
    let mut warnings = Vec::new();
    let (keymap, keymap_src) = keymap(dir, &mut warnings);
    let no_color = env("NO_COLOR").is_some_and(|v| !v.is_empty());
    let wanted = if no_color { "mono" } else { c.theme.as_str() };
    let theme = load_theme(dir, wanted).unwrap_or_else(|e| {
        warnings.push(format!("{e} (using the default theme)"));
        Theme::default_theme()
    });
    let (instances_view, inst_src) = view::<Instance>(dir, "instances", &mut warnings);
    let (components_view, comp_src) = view::<LayerRow>(dir, "components", &mut warnings);
    let (config_view, config_src) = view::<ConfigRow<'static>>(dir, "config", &mut warnings);
    let (events_view, events_src) = view::<Event>(dir, "events", &mut warnings);
    let (inspections_view, insp_src) = view::<TaskSummary>(dir, "inspections", &mut warnings);
    let (inspection_runs_view, runs_src) = view::<RunRow>(dir, "inspection_runs", &mut warnings);
    let (plans_view, plans_src) = view::<PlanEntry>(dir, "plans", &mut warnings);
    let (plan_runs_view, plan_runs_src) = view::<RunEntry>(dir, "plan_runs", &mut warnings);
    let glyphs = Glyphs::choose(c.ascii, &env);
    for w in &warnings {
        tracing::warn!("{w}");
    }
    let theme_label = if no_color {
        format!("{} (NO_COLOR is set)", theme.name)
    } else {
        theme.name.clone()
    };
    let settings_summary = vec![
        (
            "config file",
            settings
                .source
                .as_ref()
                .map_or("none (defaults)".to_owned(), |p| p.display().to_string()),
        ),
        ("config dir", dir.display().to_string()),
        ("refresh", format!("{} ms", c.refresh_ms)),
        (
            "read-only",
            if c.read_only {
                "yes".into()
            } else {
                "no".into()
            },
        ),
        ("theme", theme_label),
        (
            "borders",
            if glyphs == Glyphs::ASCII {
                "ascii".into()
            } else {
                "unicode".into()
            },
        ),
        ("key map", keymap_src),
        (
            "views",
            format!(
                "instances: {inst_src}; components: {comp_src}; config: {config_src}; \
                 events: {events_src}; inspections: {insp_src}; inspection_runs: {runs_src}; plans: {plans_src}; \
                 plan_runs: {plan_runs_src}"
            ),
        ),
        ("actor", actor.clone()),
    ];
    AppConfig {
        keymap,
        theme,
        glyphs,
        instances_view,
        components_view,
        config_view,
        events_view,
        inspections_view,
        inspection_runs_view,
        plans_view,
        plan_runs_view,
        themes: theme_names(dir),
        read_only: c.read_only,
        refresh_ms: c.refresh_ms.max(100),
        ttl_ms: i64::try_from(settings.engine.heartbeat_secs.saturating_mul(3000))
            .unwrap_or(15_000),
        actor,
        settings_summary: settings_summary
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        warnings,
    }
}

#[cfg(test)]
mod tests;
