//! How a risk event appears in the Events table: one cell per column id of `views/events.toml`.
//! Levels and statuses carry symbols and modifiers, so they read without colour (`▲ P0` bold).

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use crate::console::theme::Theme;
use crate::console::widgets::{CellCtx, DataToCell};
use crate::domain::event::{Event, Level, Status};
use crate::domain::time::{age, format_utc};

/// The style of a level: the theme's slot, P0/P1 bold whatever the theme says.
pub fn level_style(level: Level, theme: &Theme) -> Style {
    let i = Level::ALL.iter().position(|l| *l == level).unwrap_or(3);
    let style = theme.level[i];
    if level.is_urgent() {
        style.add_modifier(Modifier::BOLD)
    } else {
        style
    }
}

/// `▲ P0` for the urgent levels, `  P2` for the others (aligned).
pub fn level_span(level: Level, ctx: &CellCtx<'_>) -> Span<'static> {
    let mark = if level.is_urgent() {
        ctx.glyphs.critical
    } else {
        " "
    };
    Span::styled(
        format!("{mark} {}", level.as_str()),
        level_style(level, ctx.theme),
    )
}

/// The style of a status: open stands out, finished ones recede.
pub fn status_style(status: Status, theme: &Theme) -> Style {
    match status {
        Status::Open => theme.warn,
        Status::Acked => theme.text,
        Status::Resolved => theme.ok,
        Status::Closed | Status::Suppressed => theme.muted,
    }
}

impl DataToCell for Event {
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "level",
        "status",
        "count",
        "last_seen",
        "first_seen",
        "source",
        "ds",
        "component",
        "assignee",
        "title",
    ];

    fn cell(&self, column: &str, ctx: &CellCtx<'_>) -> Line<'static> {
        let text = match column {
            "id" => format!("{:>6}", self.id),
            "level" => return Line::from(level_span(self.level, ctx)),
            "status" => {
                let mut spans = vec![Span::styled(
                    self.status.as_str().to_owned(),
                    status_style(self.status, ctx.theme),
                )];
                if self.flapping {
                    spans.push(Span::styled(
                        format!(" {}", ctx.glyphs.flapping),
                        ctx.theme.warn,
                    ));
                }
                return Line::from(spans);
            }
            "count" => format!("{:>5}", self.count),
            "last_seen" => age(self.last_seen, ctx.now),
            "first_seen" => format_utc(self.first_seen),
            "source" => self.source.clone(),
            "ds" => self.ds_type.clone(),
            "component" => self.component.clone(),
            "assignee" if self.assignee.is_empty() => "-".to_owned(),
            "assignee" => self.assignee.clone(),
            "title" => self.title.clone(),
            _ => String::new(),
        };
        // Titles, sources, components come from alerts: their control characters are shown as
        // visible escapes, the same way the CLI prints them.
        Line::from(crate::domain::text::one_line(&text).into_owned())
    }
}
