//! One risk event in full: what it is, where it comes from (source link), its labels and
//! annotations, whether it flaps or was re-graded, and its timeline (every change, who, when).

use crate::domain::text::one_line;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::console::app::App;
use crate::console::events::EventDetail;
use crate::console::panes::config::hints;
use crate::console::rows::{level_span, status_style};
use crate::console::widgets::CellCtx;
use crate::domain::event::Event;
use crate::domain::time::{age, format_utc};

/// The detail screen over the Events table.
pub struct EventDetailPane<'a> {
    /// The app (theme, clock).
    pub app: &'a App,
    /// What is shown.
    pub detail: &'a EventDetail,
}

impl EventDetailPane<'_> {
    fn facts(&self, e: &Event, ctx: &CellCtx<'_>) -> Vec<Line<'static>> {
        let t = ctx.theme;
        let row = |label: &str, value: Vec<Span<'static>>| {
            let mut spans = vec![Span::styled(format!("{label:<12}"), t.muted)];
            spans.extend(value);
            Line::from(spans)
        };
        let text = |s: String| vec![Span::styled(s, t.text)];
        let mut level = vec![level_span(e.level, ctx)];
        if e.original_level != e.level {
            level.push(Span::styled(
                format!("  re-graded from {}", e.original_level.as_str()),
                t.warn,
            ));
        }
        let mut status = vec![Span::styled(
            e.status.as_str().to_owned(),
            status_style(e.status, t),
        )];
        status.push(Span::styled(
            if e.firing {
                " · firing"
            } else {
                " · not firing"
            },
            t.text,
        ));
        if e.flapping {
            status.push(Span::styled(
                format!(" · {} flapping", ctx.glyphs.flapping),
                t.warn,
            ));
        }
        let or_dash = |s: &str| {
            if s.is_empty() {
                "-".to_owned()
            } else {
                s.to_owned()
            }
        };
        vec![
            row("Title", text(one_line(&e.title).into_owned())),
            row("Level", level),
            row("Status", status),
            row("Count", text(e.count.to_string())),
            row(
                "First seen",
                text(format!("{} UTC", format_utc(e.first_seen))),
            ),
            row(
                "Last seen",
                text(format!(
                    "{} UTC ({} ago)",
                    format_utc(e.last_seen),
                    age(e.last_seen, ctx.now)
                )),
            ),
            row(
                "Source",
                text(format!(
                    "{} · ds {} · component {}",
                    e.source,
                    or_dash(&e.ds_type),
                    or_dash(&e.component)
                )),
            ),
            row("Assignee", text(or_dash(&e.assignee))),
            row("Link", text(or_dash(&e.source_url))),
            row("Summary", text(one_line(&or_dash(&e.summary)).into_owned())),
            row(
                "Fingerprint",
                vec![Span::styled(e.fingerprint.clone(), t.muted)],
            ),
        ]
    }

    /// The latest diagnosis: its run, the tree with the path taken marked, the conclusion.
    fn diagnosis(&self, ctx: &CellCtx<'_>) -> Vec<Line<'static>> {
        let (d, t) = (self.detail, ctx.theme);
        let Some(v) = &d.diagnosis else {
            let why = match &d.diagnosis_error {
                Some(e) => format!("cannot read: {e}"),
                None => "none yet (d walks the tree of its scenario)".to_owned(),
            };
            return vec![Line::from(vec![
                Span::styled("Diagnosis ", t.title),
                Span::styled(why, t.muted),
            ])];
        };
        let r = &v.run;
        let status_style = match r.status.as_str() {
            "done" => t.text,
            "queued" | "running" => t.warn,
            _ => t.error,
        };
        let mut lines = vec![Line::from(vec![
            Span::styled("Diagnosis ", t.title),
            Span::styled(format!("run {} · {} · ", r.id, r.tree), t.text),
            Span::styled(r.status.clone(), status_style),
            Span::styled(
                format!(
                    " · by {} · {} UTC",
                    r.requested_by,
                    format_utc(r.finished_at.max(r.created_at))
                ),
                t.muted,
            ),
        ])];
        for (line, on) in &v.outline {
            let (mark, style) = if *on {
                (format!("{} ", ctx.glyphs.selected), t.key)
            } else {
                ("  ".to_owned(), t.muted)
            };
            lines.push(Line::styled(format!("  {mark}{line}"), style));
        }
        for visit in &v.trace.path {
            let at = if visit.target.is_empty() {
                String::new()
            } else {
                format!(" on {}", visit.target)
            };
            lines.push(Line::from(vec![
                Span::styled(format!("    {:<8}", visit.outcome.as_str()), t.key),
                Span::styled(
                    one_line(&format!("{}{at}: {}", visit.node, visit.message)).into_owned(),
                    t.text,
                ),
            ]));
        }
        match (&v.trace.conclusion, &v.trace.error) {
            (Some(c), _) => {
                lines.push(Line::from(vec![
                    Span::styled(format!("  Cause [{}] ", c.level.as_str()), t.title),
                    Span::styled(one_line(&c.cause).into_owned(), t.text),
                ]));
                if let Some(p) = &c.plan {
                    let params: Vec<String> =
                        c.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    lines.push(Line::styled(
                        one_line(&format!("  Recommends {p} ({})", params.join(", "))).into_owned(),
                        t.text,
                    ));
                }
            }
            (None, Some(e)) => lines.push(Line::styled(
                one_line(&format!("  No conclusion: {e}")).into_owned(),
                t.error,
            )),
            (None, None) => {}
        }
        lines
    }

    fn pairs(
        &self,
        title: &str,
        map: &std::collections::BTreeMap<String, String>,
        ctx: &CellCtx<'_>,
    ) -> Vec<Line<'static>> {
        let mut lines = vec![Line::styled(
            format!("{title} ({})", map.len()),
            ctx.theme.title,
        )];
        lines.extend(map.iter().map(|(k, v)| {
            Line::from(vec![
                Span::styled(format!("  {}", one_line(k)), ctx.theme.key),
                Span::styled(format!(" = {}", one_line(v)), ctx.theme.text),
            ])
        }));
        lines
    }

    /// The plans the scenarios recommend, best first; `x` launches the first.
    fn recommended(&self, ctx: &CellCtx<'_>) -> Vec<Line<'static>> {
        let (d, t) = (self.detail, ctx.theme);
        // One line while there is nothing to show, so the timeline stays on screen.
        let status = match (&d.recommend_error, d.recommend_loaded) {
            (Some(e), _) => Some(Span::styled(format!(" {} {e}", ctx.glyphs.error), t.error)),
            (None, false) => Some(Span::styled(" loading…", t.muted)),
            (None, true) if d.recommended.is_empty() => Some(Span::styled(
                " none: no scenario matches this event",
                t.muted,
            )),
            _ => None,
        };
        let mut head = vec![Span::styled(
            format!("Recommended plans ({})", d.recommended.len()),
            t.title,
        )];
        head.extend(status);
        let mut lines = vec![Line::from(head)];
        for (i, r) in d.recommended.iter().enumerate() {
            let mut spans = vec![
                Span::styled(format!("  {}. ", i + 1), t.muted),
                Span::styled(r.plan.clone(), t.key),
                Span::styled(format!("  score {} · {}", r.score, r.title), t.text),
            ];
            if !r.unfilled.is_empty() {
                spans.push(Span::styled(
                    format!(" · to fill: {}", r.unfilled.join(", ")),
                    t.warn,
                ));
            }
            lines.push(Line::from(spans));
            if !r.impact.is_empty() {
                lines.push(Line::styled(format!("     impact: {}", r.impact), t.muted));
            }
        }
        if d.recommend_loaded && !d.topology && d.recommended.iter().any(|r| !r.unfilled.is_empty())
        {
            lines.push(Line::styled(
                "  no topology applied: hosts and replicas cannot be filled (nightwatch apply)",
                t.warn,
            ));
        }
        if !d.recommended.is_empty() && !self.app.config.read_only {
            lines.push(Line::styled(
                "  x: launch the first (filled from the event and the topology)",
                t.muted,
            ));
        }
        lines
    }

    fn timeline(&self, ctx: &CellCtx<'_>) -> Vec<Line<'static>> {
        let (d, t) = (self.detail, ctx.theme);
        let mut lines = vec![Line::styled(format!("Timeline ({})", d.log.len()), t.title)];
        if !d.loaded {
            lines.push(Line::styled("  loading…", t.muted));
        }
        lines.extend(d.log.iter().map(|l| {
            Line::from(vec![
                Span::styled(format!("  {} ", format_utc(l.at)), t.muted),
                Span::styled(format!("{:<10} ", l.kind), t.key),
                Span::styled(format!("{:<16} ", l.actor), t.text),
                Span::styled(l.message.clone(), t.text),
            ])
        }));
        lines
    }
}

impl Widget for EventDetailPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let c = &app.config;
        let ctx = CellCtx {
            theme: &c.theme,
            glyphs: &c.glyphs,
            now: app.now,
            ttl_ms: c.ttl_ms,
        };
        let d = self.detail;
        let title = match &d.event {
            Some(e) => format!(
                " Event #{} · {} · {} ",
                e.id,
                e.level.as_str(),
                e.status.as_str()
            ),
            None => format!(" Event #{} ", d.id),
        };
        let block = app.block(title, true).title_bottom(hints(
            app,
            &[
                ("Esc/q", "back", false),
                ("x", "launch plan", true),
                ("d", "diagnose", true),
                ("a/o/v", "ack/mine/resolve", true),
                ("m", "actions", false),
                ("j/k", "scroll", false),
            ],
        ));
        let mut lines = Vec::new();
        if let Some(err) = &d.error {
            lines.push(Line::styled(
                format!("{} {err}", c.glyphs.error),
                c.theme.error,
            ));
        }
        if let Some(e) = &d.event {
            lines.extend(self.facts(e, &ctx));
            lines.push(Line::default());
            lines.extend(self.recommended(&ctx));
            lines.push(Line::default());
            lines.extend(self.diagnosis(&ctx));
            lines.push(Line::default());
            lines.extend(self.pairs("Labels", &e.labels, &ctx));
            lines.extend(self.pairs("Annotations", &e.annotations, &ctx));
            lines.push(Line::default());
        }

        lines.extend(self.timeline(&ctx));
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((d.scroll, 0))
            .render(area, buf);
    }
}
