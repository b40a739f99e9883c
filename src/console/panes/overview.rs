//! The Overview pane: what exists so far: the database, the engine and master lease, components by
//! layer, risk events by level and status with a 24-hour sparkline, and the nightwatch instances (selectable; `m` opens the action menu, Enter the detail).

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

mod event_stats;

use super::title;
use crate::console::app::App;
use crate::console::rows::LayerRow;
use crate::console::widgets::{CellCtx, DataTable, fit};
use event_stats::EventStatsBlock;

/// The Overview tab.
pub struct OverviewPane<'a> {
    /// The app it reads.
    pub app: &'a App,
}

impl OverviewPane<'_> {
    fn summary(&self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let (t, g) = (&app.config.theme, &app.config.glyphs);
        let block = app.block(" Database & engine ", false);
        let width = usize::from(block.inner(area).width).saturating_sub(10);
        let db = &app.db;
        let access = if db.read_only || app.config.read_only {
            "read-only"
        } else {
            "read-write"
        };
        let schema = match db.schema_version {
            Some(v) if v == db.schema_latest => Span::styled(
                format!("v{v} of {} {} current", db.schema_latest, g.alive),
                t.ok,
            ),
            Some(v) if v > db.schema_latest => Span::styled(
                format!(
                    "v{v} newer than this binary (v{}) {}",
                    db.schema_latest, g.warn
                ),
                t.warn,
            ),
            Some(v) => Span::styled(
                format!(
                    "v{v} of {} {} run nightwatch migrate",
                    db.schema_latest, g.warn
                ),
                t.warn,
            ),
            None => Span::styled(format!("none of {} {}", db.schema_latest, g.warn), t.warn),
        };
        let engine = app.engine.label();
        let master = match app.overview.as_ref().and_then(|o| o.master.as_ref()) {
            Some(m) => format!("{} ({}, term {})", m.hostname, m.ip, m.term),
            None if app.overview.is_some() => "none elected".to_owned(),
            None => "-".to_owned(),
        };
        let audit = app
            .overview
            .as_ref()
            .map_or("-".to_owned(), |o| o.audit_total.to_string());
        let row = |label: &str, value: Span<'static>| {
            Line::from(vec![Span::styled(format!("{label:<9} "), t.muted), value])
        };
        let text = |s: String| Span::styled(fit(&s, width, g.ellipsis), t.text);
        let backend = if db.backend.is_empty() {
            "?".to_owned()
        } else {
            db.backend.clone()
        };
        let lines = vec![
            row("Database", text(format!("{backend} · {access}"))),
            row("URL", text(db.url.clone())),
            row("Schema", schema),
            row(
                "Engine",
                text(engine.trim_start_matches("engine: ").to_owned()),
            ),
            row("Master", text(master)),
            row("Audit", text(format!("{audit} entries"))),
        ];
        Paragraph::new(lines).block(block).render(area, buf);
    }

    fn components(&self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let (rows, total) = match &app.overview {
            Some(o) => {
                let max = o
                    .components_by_layer
                    .iter()
                    .map(|(_, n)| *n)
                    .max()
                    .unwrap_or(0);
                let rows: Vec<LayerRow> = o
                    .components_by_layer
                    .iter()
                    .map(|(l, n)| LayerRow {
                        layer: l.clone(),
                        count: *n,
                        max,
                    })
                    .collect();
                (rows, o.components_total.to_string())
            }
            None => (Vec::new(), "-".to_owned()),
        };
        let indices: Vec<usize> = (0..rows.len()).collect();
        DataTable {
            block: app.block(format!(" Components {total} "), false),
            rows: &rows,
            indices: &indices,
            view: &app.config.components_view,
            selected: None,
            empty: "loading…",
            ctx: self.ctx(),
        }
        .render(area, buf);
    }

    fn instances(&self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let all = app
            .overview
            .as_ref()
            .map_or(&[][..], |o| o.instances.as_slice());
        let shown = app.visible_instances.len();
        let count = if shown == all.len() {
            format!("{shown}")
        } else {
            format!("{shown}/{}", all.len())
        };
        let heading = title(app, &format!("Instances {count}"));
        let empty = match (&app.overview, app.filter().is_empty()) {
            (None, _) => "loading…",
            (Some(_), false) => "no instance matches the filter (Esc clears it)",
            (Some(_), true) => "no nightwatch instance registered (the engine registers itself)",
        };
        DataTable {
            block: app.block(heading, true),
            rows: all,
            indices: &app.visible_instances,
            view: &app.config.instances_view,
            selected: Some(app.selected),
            empty,
            ctx: self.ctx(),
        }
        .render(area, buf);
    }

    fn ctx(&self) -> CellCtx<'_> {
        let c = &self.app.config;
        CellCtx {
            theme: &c.theme,
            glyphs: &c.glyphs,
            now: self.app.now,
            ttl_ms: c.ttl_ms,
        }
    }
}

impl Widget for OverviewPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let [top, events, bottom] = Layout::vertical([
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Fill(1),
        ])
        .areas(area);
        let [left, right] =
            Layout::horizontal([Constraint::Fill(3), Constraint::Fill(2)]).areas(top);
        self.summary(left, buf);
        self.components(right, buf);
        EventStatsBlock { app: self.app }.render(events, buf);
        self.instances(bottom, buf);
    }
}
