//! How plans, runs and steps appear in the Plans pane: one cell per column id of
//! `views/plans.toml` (the catalogue) and `views/plan_runs.toml` (the runs). Danger badges and
//! statuses carry symbols and modifiers as well as colours, so they read without colour.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use crate::console::glyphs::Glyphs;
use crate::console::plans::{PlanEntry, RunEntry};
use crate::console::theme::Theme;
use crate::console::widgets::{CellCtx, DataToCell};
use crate::domain::Danger;
use crate::domain::time::age;

/// `G1`, `G2 !`, `G3 !!` (G3 reversed): the higher, the louder.
pub fn danger_span(d: Danger, t: &Theme) -> Span<'static> {
    match d {
        Danger::G1 => Span::styled("G1   ", t.level[3]),
        Danger::G2 => Span::styled("G2 ! ", t.level[1].add_modifier(Modifier::BOLD)),
        Danger::G3 => Span::styled(
            "G3 !!",
            t.level[0].add_modifier(Modifier::BOLD | Modifier::REVERSED),
        ),
    }
}

/// The symbol of a run or step status.
pub fn step_symbol(status: &str, g: &Glyphs) -> &'static str {
    match status {
        "succeeded" => g.pass,
        "failed" | "rolled_back" => g.fail,
        "running" => g.running,
        "queued" | "pending" | "awaiting_approval" => g.queued,
        "aborted" | "interrupted" => g.interrupted,
        "waiting" | "paused" => g.warn,
        "skipped" => g.unknown,
        _ => g.unknown,
    }
}

fn status_style(status: &str, t: &Theme) -> Style {
    match status {
        "succeeded" => t.ok,
        "failed" | "rolled_back" => t.error.add_modifier(Modifier::BOLD),
        "aborted" | "interrupted" => t.warn.add_modifier(Modifier::BOLD),
        "running" | "queued" => t.key,
        "waiting" | "paused" | "awaiting_approval" => t.warn,
        _ => t.muted,
    }
}

/// `▸ running`.
pub fn run_status_span(status: &str, g: &Glyphs, t: &Theme) -> Span<'static> {
    Span::styled(
        format!("{} {status}", step_symbol(status, g)),
        status_style(status, t),
    )
}

impl DataToCell for PlanEntry {
    const COLUMNS: &'static [&'static str] = &[
        "name", "version", "danger", "steps", "title", "builtin", "updated",
    ];

    fn cell(&self, column: &str, ctx: &CellCtx<'_>) -> Line<'static> {
        Line::from(match column {
            "name" => self.row.name.clone(),
            "version" => format!("v{}", self.row.version),
            "danger" => return Line::from(danger_span(self.danger, ctx.theme)),
            "steps" => format!("{:>5}", self.steps),
            "title" => self.title.clone(),
            "builtin" => if self.row.builtin { "built-in" } else { "user" }.to_owned(),
            "updated" => age(self.row.updated_at, ctx.now),
            _ => String::new(),
        })
    }
}

impl DataToCell for RunEntry {
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "plan",
        "status",
        "danger",
        "requested_by",
        "age",
        "progress",
        "event",
        "message",
    ];

    fn cell(&self, column: &str, ctx: &CellCtx<'_>) -> Line<'static> {
        let r = &self.run;
        Line::from(match column {
            "id" => format!("#{}", r.id),
            "plan" if r.dry_run => format!("{} (dry)", r.plan),
            "plan" => r.plan.clone(),
            "status" => {
                return Line::from(run_status_span(&r.status, ctx.glyphs, ctx.theme));
            }
            "danger" => {
                let d = Danger::parse(&r.danger).unwrap_or(Danger::G3);
                return Line::from(danger_span(d, ctx.theme));
            }
            "requested_by" => r.requested_by.clone(),
            "age" => age(r.created_at, ctx.now),
            "progress" => format!("{}/{}", self.done, self.total),
            "event" if r.event_id > 0 => format!("#{}", r.event_id),
            "event" => "-".to_owned(),
            "message" => r.message.clone(),
            _ => String::new(),
        })
    }
}

impl crate::console::filter::Filterable for PlanEntry {
    const KEYS: &'static [&'static str] = &["name", "title", "danger", "tags", "status", "plan"];

    fn field(&self, key: &str) -> Option<String> {
        Some(match key {
            "name" | "plan" => self.row.name.clone(),
            "title" => self.title.clone(),
            "danger" => self.danger.to_string(),
            _ => return None,
        })
    }
}

impl crate::console::filter::Filterable for RunEntry {
    const KEYS: &'static [&'static str] = &["name", "title", "danger", "tags", "status", "plan"];

    fn field(&self, key: &str) -> Option<String> {
        let r = &self.run;
        Some(match key {
            "name" | "plan" => r.plan.clone(),
            "status" => r.status.clone(),
            "danger" => r.danger.clone(),
            "title" => format!("#{} {}", r.id, r.requested_by),
            _ => return None,
        })
    }
}
