//! How domain rows appear in tables and filters: [`DataToCell`] and [`Filterable`] for instances
//! and components-by-layer (events and configuration keys in `rows/`). Column ids here are what `views/*.toml` may name.

mod config;
mod event;
mod inspection;
mod plan;

pub use config::{ConfigRow, group_name, preview, state_span};
pub use event::{level_span, level_style, status_style};
pub use inspection::{counts_line, last_activity, next_label, run_duration, schedule_label};
pub use plan::{danger_span, run_status_span, step_symbol};

use ratatui::text::{Line, Span};

use super::filter::Filterable;
use super::widgets::{CellCtx, DataToCell};
use crate::domain::Instance;
use crate::domain::time::{age, format_utc};

impl Filterable for Instance {
    const KEYS: &'static [&'static str] = &["id", "host", "ip", "pid", "role", "version", "listen"];

    fn field(&self, key: &str) -> Option<String> {
        Some(match key {
            "id" => self.id.clone(),
            "host" => self.hostname.clone(),
            "ip" => self.ip.clone(),
            "pid" => self.pid.to_string(),
            "role" => self.role.clone(),
            "version" => self.version.clone(),
            "listen" => self.listen.clone(),
            _ => return None,
        })
    }
}

impl DataToCell for Instance {
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "host",
        "ip",
        "pid",
        "role",
        "version",
        "listen",
        "started",
        "heartbeat",
        "alive",
    ];

    fn cell(&self, column: &str, ctx: &CellCtx<'_>) -> Line<'static> {
        let alive = self.is_alive(ctx.now, ctx.ttl_ms);
        let text = match column {
            "id" => self.id.clone(),
            "host" => self.hostname.clone(),
            "ip" => self.ip.clone(),
            "pid" => self.pid.to_string(),
            "role" => self.role.clone(),
            "version" => self.version.clone(),
            "listen" if self.listen.is_empty() => "-".to_owned(),
            "listen" => self.listen.clone(),
            "started" => format_utc(self.started_at),
            "heartbeat" if alive => "live".to_owned(),
            "heartbeat" => format!("{} ago", age(self.heartbeat_at, ctx.now)),
            "alive" if alive => {
                return Line::from(Span::styled(
                    format!("{} yes", ctx.glyphs.alive),
                    ctx.theme.ok,
                ));
            }
            "alive" => {
                return Line::from(Span::styled(
                    format!("{} no", ctx.glyphs.dead),
                    ctx.theme.warn,
                ));
            }
            _ => String::new(),
        };
        Line::from(text)
    }
}

/// One line of the components-by-layer table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerRow {
    /// The DR layer.
    pub layer: String,
    /// Components in it.
    pub count: i64,
    /// The largest count of any layer (scales the bar).
    pub max: i64,
}

impl DataToCell for LayerRow {
    const COLUMNS: &'static [&'static str] = &["layer", "count", "bar"];

    fn cell(&self, column: &str, ctx: &CellCtx<'_>) -> Line<'static> {
        match column {
            "layer" => Line::from(self.layer.clone()),
            "count" => Line::from(format!("{:>5}", self.count)),
            "bar" => {
                // Ten cells at most; one cell shows that a layer is not empty.
                let cells = if self.max > 0 {
                    (self.count * 10 + self.max - 1) / self.max
                } else {
                    0
                };
                let bar = ctx.glyphs.bar;
                let n = usize::try_from(cells).unwrap_or(0);
                Line::from(Span::styled(bar.repeat(n), ctx.theme.title))
            }
            _ => Line::default(),
        }
    }
}
