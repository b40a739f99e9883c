//! The DR pane (tab 3): can we switch over now, in which direction, and if not, why not?
//!
//! Top: the readiness banner, one line per direction with its blocking reasons. Middle: the grid
//! of layers × datacenters (status symbol, components, open events per cell). Bottom: the sync
//! links (lag against RPO, bytes behind, a sparkline of the last hour) beside the water levels
//! (gauges, most severe first). Every state reads from a symbol as well as its colour. Only the
//! visible rows are built, so a frame costs the same with 500 links as with five.

mod grid;
mod links;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{muted, plain, title};
use crate::console::app::App;
use crate::console::dr::Focus;
use crate::console::widgets::Placeholder;
use crate::console::widgets::truncate;

/// The DR tab.
pub struct DrPane<'a> {
    /// The app it reads.
    pub app: &'a App,
}

impl Widget for DrPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let s = &app.dr;
        let empty = s.board.as_ref().is_none_or(|b| b.model.is_empty());
        if empty {
            let headline = if s.board.is_none() {
                "Reading the DR board…"
            } else {
                "No DR architecture described yet"
            };
            let mut body = vec![
                plain("Describe datacenters, DR systems (architecture, RPO/RTO, a DR plan per"),
                plain("direction) and sync links as content, then `nightwatch apply` it:"),
                plain("[[datacenter]], [[dr_system]], [[link]] (see the README, DR dashboard)."),
            ];
            if let Some(e) = &s.error {
                body.push(plain(""));
                body.push(muted(app, format!("last read failed: {e}")));
            }
            Placeholder {
                block: app.block(title(app, "DR dashboard"), true),
                headline,
                body,
                theme: &app.config.theme,
            }
            .render(area, buf);
            return;
        }
        let banner_h = banner_height(app, area.height);
        let [top, mid, bottom] = Layout::vertical([
            Constraint::Length(banner_h),
            Constraint::Length(if s.derived.show_traffic { 9 } else { 8 }),
            Constraint::Min(4),
        ])
        .areas(area);
        banner(app, top, buf);
        grid::render(app, mid, buf);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
                .areas(bottom);
        links::render(app, left, buf);
        links::levels(app, right, buf);
    }
}

/// Lines the banner wants: one per direction plus its reasons, bounded by the screen.
fn banner_height(app: &App, total: u16) -> u16 {
    let d = &app.dr.derived.directions;
    let reasons: usize = d
        .iter()
        .map(|(_, v)| v.as_ref().map_or(0, |v| v.reasons.len()))
        .sum();
    let want = u16::try_from(d.len().max(1) + reasons).unwrap_or(u16::MAX) + 2;
    want.min(if total >= 40 { 12 } else { 6 })
}

fn banner(app: &App, area: Rect, buf: &mut Buffer) {
    let (t, g) = (&app.config.theme, &app.config.glyphs);
    let s = &app.dr;
    let focused = s.focus == Focus::Directions;
    let block = app.block(Line::from(" Switchover readiness "), focused);
    let inner = block.inner(area);
    block.render(area, buf);
    let w = usize::from(inner.width);
    let mut lines = Vec::new();
    if s.derived.directions.is_empty() {
        lines.push(Line::styled(
            "no direction: give each DR system a DR plan per direction ([[dr_system.plan]])",
            t.muted,
        ));
    }
    for (i, (d, v)) in s.derived.directions.iter().enumerate() {
        let sel = focused && i == s.dir;
        let marker = if sel { g.selected } else { " " };
        let (sym, style, word) = match v {
            None => (
                g.unknown,
                t.muted,
                "not judged yet (the engine judges every round)".to_owned(),
            ),
            Some(v) if v.ready => (g.alive, t.ok, "READY".to_owned()),
            Some(_) => (g.error, t.error, "NOT READY".to_owned()),
        };
        let rto = v
            .as_ref()
            .and_then(|v| Some((v.est_rto_ms?, v.rto_ms?)))
            .map_or(String::new(), |(e, r)| {
                format!("  est. RTO {} of {}", mins(e), mins(r))
            });
        let mut head = Line::from(vec![
            Span::raw(format!("{marker}{sym} ")),
            Span::styled(format!("{}→{} ", d.from, d.to), t.title),
            Span::styled(word, style),
            Span::styled(rto, t.muted),
        ]);
        // Wide screens: the traffic of both sides and the target's projected connections.
        if w >= 100
            && let Some(v) = v
        {
            head.spans.extend(load_spans(app, v));
        }
        if sel {
            head = head.style(t.selection);
        }
        lines.push(head);
        for r in v.iter().flat_map(|v| &v.reasons) {
            lines.push(Line::styled(
                truncate(&format!("    · {r}"), w, g.ellipsis),
                t.warn,
            ));
        }
    }
    Paragraph::new(lines).render(inner, buf);
}

/// `  traffic 30→10  conn after 107% of 150 (scaled by traffic)`.
fn load_spans(app: &App, v: &crate::domain::dr::Readiness) -> Vec<Span<'static>> {
    use crate::domain::dr::traffic_text;
    let t = &app.config.theme;
    let mut out = Vec::new();
    if let Some((s, d)) = v.traffic {
        out.push(Span::styled(
            format!("  traffic {}→{}", traffic_text(s), traffic_text(d)),
            t.muted,
        ));
    }
    if let Some(p) = &v.load {
        let pct = p.percent();
        let critical = app
            .dr
            .board
            .as_ref()
            .map_or(95.0, |b| b.config.thresholds.connections.critical);
        let style = if pct >= critical { t.error } else { t.muted };
        let how = if p.scaled() {
            "scaled by traffic"
        } else {
            "source's added"
        };
        out.push(Span::styled(
            format!("  conn after {pct:.0}% of {} ({how})", p.dst_max),
            style,
        ));
    }
    out
}

/// `s` cut to `width - 1` columns and padded to `width`: a column with a gap after it.
fn col(s: &str, width: usize, ellipsis: &str) -> String {
    let t = truncate(s, width.saturating_sub(1), ellipsis);
    format!("{t:<width$}")
}

/// `2m`, `15m`, `45s`.
fn mins(ms: i64) -> String {
    if ms >= 60_000 && ms % 60_000 == 0 {
        format!("{}m", ms / 60_000)
    } else if ms >= 60_000 {
        format!("{}m{}s", ms / 60_000, (ms % 60_000) / 1000)
    } else {
        format!("{}s", ms / 1000)
    }
}
