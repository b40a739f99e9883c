//! The links table (state, lag against RPO, bytes behind, a sparkline of the last hour scaled so
//! the RPO sits at the top third) and the water-level gauges. Only visible rows are built.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::col;
use crate::console::app::App;
use crate::console::dr::{Focus, LinkRow};
use crate::domain::dr::{LinkState, Severity, bytes_text};

const SPARK: [&str; 8] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];
const SPARK_ASCII: [&str; 8] = ["_", ".", "-", "~", "=", "+", "*", "#"];

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let (t, g) = (&app.config.theme, &app.config.glyphs);
    let s = &app.dr;
    let focused = s.focus == Focus::Links;
    let rows = &s.derived.links;
    let breaching = rows.iter().filter(|r| r.breach.is_some()).count();
    let title = format!(" Sync links {} · {breaching} breaching ", rows.len());
    let block = app.block(Line::from(title), focused);
    let inner = block.inner(area);
    block.render(area, buf);
    let w = usize::from(inner.width);
    let name_w = 15.min(w / 3);
    // marker, name, state, lag/RPO, behind, then the sparkline takes what is left.
    let fixed = 2 + name_w + 2 + 10 + 10 + 1;
    let spark_w = w.saturating_sub(fixed);
    let mut lines = vec![Line::styled(
        format!(
            "  {}  {:>10}{:>10} {}",
            col("LINK", name_w, g.ellipsis),
            "LAG/RPO",
            "BEHIND",
            if spark_w >= 9 { "LAST HOUR" } else { "" }
        ),
        t.header,
    )];
    let height = usize::from(inner.height).saturating_sub(1);
    let first = if s.link >= height {
        s.link + 1 - height
    } else {
        0
    };
    let ascii = g.ellipsis != "…";
    for (i, r) in rows.iter().enumerate().skip(first).take(height) {
        let (sym, style) = match (r.state, &r.breach) {
            (Some(LinkState::Running), None) => (g.alive, t.ok),
            (Some(LinkState::Running), Some(_)) => (g.warn, t.warn),
            _ => (g.error, t.error),
        };
        let lag = r
            .lag_ms
            .map_or("-".to_owned(), |l| format!("{}s", l / 1000));
        let lag_rpo = format!("{lag}/{}s", r.rpo_ms / 1000);
        let behind = r.bytes.map_or("-".to_owned(), bytes_text);
        let sel = focused && i == s.link;
        let marker = if sel { g.selected } else { " " };
        let mut line = Line::from(vec![
            Span::raw(format!("{marker} ")),
            Span::raw(col(&r.name, name_w, g.ellipsis)),
            Span::styled(format!("{sym} "), style),
            Span::styled(format!("{lag_rpo:>10}"), style),
            Span::raw(format!("{behind:>10} ")),
            Span::styled(spark(r, spark_w, ascii), t.muted),
        ]);
        if sel {
            line = line.style(t.selection);
        }
        lines.push(line);
    }
    if rows.is_empty() {
        lines.push(Line::styled("no sync link described ([[link]])", t.muted));
    }
    Paragraph::new(lines).render(inner, buf);
}

/// The last `width` buckets of the history; full height = twice the RPO (so RPO is mid-height).
fn spark(r: &LinkRow, width: usize, ascii: bool) -> String {
    if width == 0 {
        return String::new();
    }
    let set = if ascii { SPARK_ASCII } else { SPARK };
    let top = (r.rpo_ms * 2).max(1);
    let start = r.history.len().saturating_sub(width);
    r.history[start..]
        .iter()
        .map(|p| match p {
            None => " ",
            Some(v) => {
                let i = usize::try_from((*v).clamp(0, top) * 7 / top).unwrap_or(0);
                set[i]
            }
        })
        .collect()
}

pub fn levels(app: &App, area: Rect, buf: &mut Buffer) {
    let (t, g) = (&app.config.theme, &app.config.glyphs);
    let s = &app.dr;
    let rows = &s.derived.levels;
    let critical = rows
        .iter()
        .filter(|(_, v)| *v == Severity::Critical)
        .count();
    let block = app.block(
        Line::from(format!(" Water levels · {critical} critical ")),
        false,
    );
    let inner = block.inner(area);
    block.render(area, buf);
    let w = usize::from(inner.width);
    let name_w = 15.min(w / 3);
    let bar_w = w.saturating_sub(name_w + 5 + 6);
    let mut lines = Vec::new();
    for (l, sev) in rows.iter().take(usize::from(inner.height)) {
        let (sym, style) = match sev {
            Severity::Critical => (g.error, t.error),
            Severity::Warn | Severity::Unknown => (g.warn, t.warn),
            Severity::Ok => (g.alive, t.ok),
        };
        let pct = l.percent();
        let filled = pct.map_or(0, |p| {
            ((p / 100.0).clamp(0.0, 1.0) * bar_w as f64).round() as usize
        });
        let kind = match l.kind.to_string().as_str() {
            "connections" => "conn",
            "memory" => "mem",
            _ => "disk",
        };
        lines.push(Line::from(vec![
            Span::raw(col(&l.component, name_w, g.ellipsis)),
            Span::styled(format!("{kind:<5}"), t.muted),
            Span::styled(g.bar.repeat(filled), style),
            Span::styled(".".repeat(bar_w - filled), t.muted),
            Span::styled(
                format!(
                    " {sym}{:>4}",
                    pct.map_or("-".to_owned(), |p| format!("{p:.0}%"))
                ),
                style,
            ),
        ]));
    }
    if rows.is_empty() {
        lines.push(Line::styled("no water level measured yet", t.muted));
    }
    Paragraph::new(lines).render(inner, buf);
}
