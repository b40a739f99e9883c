//! The Overview's risk-event block: counts by level and status, the suppressed count, and events
//! first seen per hour over the last 24 hours as a sparkline.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::bar;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline, Widget};

use crate::console::app::App;
use crate::console::glyphs::Glyphs;
use crate::console::rows::level_style;
use crate::domain::event::{Level, Status};
use crate::store::EventStats;

/// Sparkline bars in plain ASCII, for terminals without UTF-8.
const ASCII_BARS: bar::Set<'static> = bar::Set {
    full: "#",
    seven_eighths: "#",
    three_quarters: "%",
    five_eighths: "%",
    half: "=",
    three_eighths: "=",
    one_quarter: "-",
    one_eighth: ".",
    empty: " ",
};

/// The statuses shown as columns (suppressed gets its own line).
const COLUMNS: [Status; 4] = [
    Status::Open,
    Status::Acked,
    Status::Resolved,
    Status::Closed,
];

/// The risk-event block of the Overview.
pub struct EventStatsBlock<'a> {
    /// The app it reads.
    pub app: &'a App,
}

fn count(stats: &EventStats, level: Level, status: Status) -> i64 {
    stats
        .by_level_status
        .iter()
        .filter(|(l, s, _)| l == level.as_str() && s == status.as_str())
        .map(|(_, _, n)| n)
        .sum()
}

impl EventStatsBlock<'_> {
    fn counts(&self, stats: &EventStats, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let (t, g) = (&app.config.theme, &app.config.glyphs);
        let mut header = vec![Span::styled(format!("{:<6}", "LEVEL"), t.header)];
        header.extend(
            COLUMNS
                .iter()
                .map(|s| Span::styled(format!("{:>9}", s.as_str().to_uppercase()), t.header)),
        );
        let mut lines = vec![Line::from(header)];
        for level in Level::ALL {
            let mark = if level.is_urgent() { g.critical } else { " " };
            let mut spans = vec![Span::styled(
                format!("{mark} {:<4}", level.as_str()),
                level_style(level, t),
            )];
            spans.extend(COLUMNS.iter().map(|s| {
                let n = count(stats, level, *s);
                let style = if n > 0 && *s == Status::Open && level.is_urgent() {
                    level_style(level, t)
                } else if n == 0 {
                    t.muted
                } else {
                    t.text
                };
                Span::styled(format!("{n:>9}"), style)
            }));
            lines.push(Line::from(spans));
        }
        lines.push(Line::from(vec![
            Span::styled("suppressed ", t.muted),
            Span::styled(stats.suppressed.to_string(), t.text),
            Span::styled(" (hidden; /status:suppressed)", t.muted),
        ]));
        Paragraph::new(lines).render(area, buf);
    }

    fn sparkline(&self, stats: &EventStats, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let t = &app.config.theme;
        let max = stats.per_hour.iter().copied().max().unwrap_or(0);
        let data: Vec<u64> = stats
            .per_hour
            .iter()
            .map(|n| u64::try_from(*n).unwrap_or(0))
            .collect();
        let [head, chart, axis] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
        ])
        .areas(area);
        Line::from(vec![
            Span::styled("per hour, 24 h", t.muted),
            Span::styled(format!("  max {max}"), t.text),
        ])
        .render(head, buf);
        let bars = if app.config.glyphs == Glyphs::ASCII {
            ASCII_BARS
        } else {
            bar::NINE_LEVELS
        };
        Sparkline::default()
            .data(&data)
            .bar_set(bars)
            .style(t.title)
            .render(chart, buf);
        let width = usize::from(axis.width).min(data.len()).max(4);
        Line::styled(
            format!("{:<w$}now", "-24h", w = width.saturating_sub(3)),
            t.muted,
        )
        .render(axis, buf);
    }
}

/// Diagnosis and self-heal over 7 days, all scenarios, for the block's title (per scenario:
/// `nightwatch events stats`): ` · 7 d: diagnosed 4 · diag 0.3s · MTTR 7.0m · healed 1`.
fn diagnosis_summary(stats: &EventStats) -> String {
    if stats.scenarios.is_empty() {
        return String::new();
    }
    let m = &stats.scenarios;
    let weighted = |v: fn(&crate::store::ScenarioMetrics) -> Option<i64>,
                    w: fn(&crate::store::ScenarioMetrics) -> i64| {
        let (mut total, mut n) = (0_i64, 0_i64);
        for x in m {
            if let Some(v) = v(x) {
                total += v * w(x);
                n += w(x);
            }
        }
        (n > 0).then(|| {
            let ms = total / n;
            if ms < 1_000 {
                format!("{ms}ms")
            } else {
                crate::domain::time::age(0, ms)
            }
        })
    };
    let diagnosed: i64 = m.iter().map(|x| x.diagnosed).sum();
    let healed: i64 = m.iter().map(|x| x.healed).sum();
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
    format!(
        " · 7 d: diagnosed {diagnosed} · diag {} · MTTR {} · healed {healed}",
        or_dash(weighted(|x| x.diagnosis_ms, |x| x.diagnosed)),
        or_dash(weighted(|x| x.mttr_ms, |x| x.resolved)),
    )
}

impl Widget for EventStatsBlock<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let stats = app.events.stats.as_ref();
        let total = stats.map_or("-".to_owned(), |s| s.total.to_string());
        let healing = stats.map(diagnosis_summary).unwrap_or_default();
        let block = app.block(format!(" Risk events {total}{healing} "), false);
        let inner = block.inner(area);
        block.render(area, buf);
        let Some(stats) = stats else {
            Span::styled("loading…", app.config.theme.muted).render(inner, buf);
            return;
        };
        let [left, right] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(26)])
            .spacing(2)
            .areas(inner);
        self.counts(stats, left, buf);
        self.sparkline(stats, right, buf);
    }
}
