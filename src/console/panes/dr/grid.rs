//! The grid: one row per layer, one column per datacenter; each cell a status symbol, its
//! component count and its open events (`✗ 3c 2ev`). The selected cell is reversed.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::col;
use crate::console::app::App;
use crate::console::dr::{Focus, LAYERS};
use crate::domain::dr::{Cell, Severity, traffic_text};

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let (t, g) = (&app.config.theme, &app.config.glyphs);
    let s = &app.dr;
    let focused = s.focus == Focus::Grid;
    let block = app.block(Line::from(" Layers × datacenters "), focused);
    let inner = block.inner(area);
    block.render(area, buf);
    let label_w = 10usize;
    let dcs = &s.derived.dcs;
    let avail = usize::from(inner.width).saturating_sub(label_w);
    // Columns wide enough for the richest cell text; scroll so the selected one shows.
    let col_w = (avail / dcs.len().max(1)).clamp(9, 24);
    let per_page = (avail / col_w).max(1);
    let first = s.col.saturating_sub(per_page - 1);
    let shown: Vec<(usize, &String)> = dcs.iter().enumerate().skip(first).take(per_page).collect();
    let mut lines = Vec::with_capacity(6);
    let mut head = vec![Span::styled(col("LAYER", label_w, g.ellipsis), t.header)];
    for (_, d) in &shown {
        let role = s
            .board
            .as_ref()
            .and_then(|b| b.model.datacenters.iter().find(|x| &x.name == *d))
            .map(|x| x.role.to_string())
            .unwrap_or_default();
        let text = if col_w >= d.len() + role.len() + 3 {
            format!("{d} ({role})")
        } else {
            (*d).clone()
        };
        head.push(Span::styled(col(&text, col_w, g.ellipsis), t.header));
    }
    lines.push(Line::from(head));
    for (r, layer) in LAYERS.iter().enumerate() {
        let mut spans = vec![Span::styled(
            col(&layer.to_string(), label_w, g.ellipsis),
            t.muted,
        )];
        for (c, d) in &shown {
            let cell = s
                .derived
                .cells
                .get(&(*layer, (*d).clone()))
                .cloned()
                .unwrap_or_default();
            let (sym, style) = symbol(app, &cell);
            let text = if cell.components == 0 {
                format!("{sym} -")
            } else if col_w >= 14 {
                format!("{sym} {}c {}ev", cell.components, cell.events)
            } else {
                format!("{sym} {}/{}", cell.components, cell.events)
            };
            let mut style = style;
            if focused && r == s.row && *c == s.col {
                style = style.patch(t.selection);
            }
            spans.push(Span::styled(col(&text, col_w, g.ellipsis), style));
        }
        lines.push(Line::from(spans));
    }
    if s.derived.show_traffic {
        lines.push(traffic_row(app, &shown, col_w, label_w));
    }
    Paragraph::new(lines).render(inner, buf);
}

/// Zone traffic per datacenter (`⇅ 1.2k 75%`: the figure and its share of all zones).
fn traffic_row(
    app: &App,
    shown: &[(usize, &String)],
    col_w: usize,
    label_w: usize,
) -> Line<'static> {
    let (t, g) = (&app.config.theme, &app.config.glyphs);
    let d = &app.dr.derived;
    let total: f64 = d.traffic.iter().flatten().sum();
    let arrow = if g.ellipsis == "…" { "⇅" } else { "~" };
    let mut spans = vec![Span::styled(col("traffic", label_w, g.ellipsis), t.muted)];
    for (c, _) in shown {
        let text = match d.traffic.get(*c).copied().flatten() {
            None => format!("{arrow} -"),
            Some(v) if col_w >= 14 && total > 0.0 => {
                format!("{arrow} {} {:.0}%", traffic_text(v), v * 100.0 / total)
            }
            Some(v) => format!("{arrow} {}", traffic_text(v)),
        };
        spans.push(Span::styled(col(&text, col_w, g.ellipsis), t.title));
    }
    Line::from(spans)
}

/// The cell's symbol: ✗ an urgent event or a breaching link/level, ▲ a warning, ● healthy.
fn symbol(app: &App, c: &Cell) -> (&'static str, Style) {
    let (t, g) = (&app.config.theme, &app.config.glyphs);
    match (c.worst, c.severity) {
        (Some(l), _) if l.is_urgent() => (g.error, t.error),
        (_, Some(Severity::Critical)) => (g.error, t.error),
        (_, Some(Severity::Warn | Severity::Unknown)) | (Some(_), _) => (g.warn, t.warn),
        _ if c.components == 0 => (" ", t.muted),
        _ => (g.alive, t.ok),
    }
}
