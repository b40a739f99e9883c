//! One result in full: rule, target, verdict, message, duration, when, the measured values as
//! pretty JSON, and the probe's output, scrollable (j/k, page keys).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::fact;
use crate::console::app::App;
use crate::console::inspections::symbols::{duration, reason, run_span, verdict_span};
use crate::console::inspections::{ResultView, RunView};
use crate::console::panes::config::hints;
use crate::domain::time::{age, format_utc};

/// Output lines shown at most (a command probe may print a lot; the rest is counted).
const MAX_OUTPUT_LINES: usize = 2_000;

/// The result screen.
pub struct ResultPane<'a> {
    /// The app (theme, glyphs, clock).
    pub app: &'a App,
    /// The run the result belongs to (read live, so the screen follows a re-read).
    pub run: &'a RunView,
    /// Which result.
    pub result: &'a ResultView,
}

/// The value JSON pretty-printed (as stored when it is not JSON).
fn pretty(value: &str) -> String {
    serde_json::from_str::<serde_json::Value>(value)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| value.to_owned())
}

impl Widget for ResultPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, v, sel) = (self.app, self.run, self.result);
        let (t, g) = (&app.config.theme, &app.config.glyphs);
        let found = v.result_of(&sel.rule, &sel.target);
        let mut title = vec![Span::raw(format!(
            " Inspections › run #{} › {} × {} · ",
            v.id, sel.rule, sel.target
        ))];
        if let Some(r) = found {
            title.push(verdict_span(&r.verdict, g, t));
        }
        title.push(Span::raw(" "));
        let block = app.block(Line::from(title), true).title_bottom(hints(
            app,
            &[("Esc", "back", false), ("j/k", "scroll", false)],
        ));
        let Some(r) = found else {
            Paragraph::new(Line::styled("this result is no longer in the run", t.muted))
                .block(block)
                .render(area, buf);
            return;
        };
        let text = |s: String| vec![Span::styled(s, t.text)];
        let message = match reason(&r.verdict, &r.message) {
            "" => "-".to_owned(),
            m => m.to_owned(),
        };
        let mut run = vec![Span::styled(format!("#{}", v.id), t.text)];
        if let Some(x) = &v.run {
            run.push(Span::styled(format!(" of {} · ", x.task), t.text));
            run.push(run_span(&x.status, g, t));
        }
        let mut lines = vec![
            fact(app, "Rule", text(r.rule.clone())),
            fact(app, "Target", text(r.target.clone())),
            fact(app, "Verdict", vec![verdict_span(&r.verdict, g, t)]),
            fact(app, "Message", text(message)),
            fact(app, "Duration", text(duration(r.duration_ms))),
            fact(
                app,
                "Time",
                text(format!(
                    "{} UTC ({} ago)",
                    format_utc(r.at),
                    age(r.at, app.now)
                )),
            ),
            fact(app, "Run", run),
            Line::default(),
            Line::styled("Value", t.title),
        ];
        lines.extend(
            pretty(&r.value_json)
                .lines()
                .map(|l| Line::styled(format!("  {l}"), t.text)),
        );
        lines.push(Line::default());
        let output: Vec<&str> = r.output.lines().collect();
        lines.push(Line::styled(
            format!("Output ({} lines)", output.len()),
            t.title,
        ));
        if output.is_empty() {
            lines.push(Line::styled("  (none)", t.muted));
        }
        lines.extend(
            output
                .iter()
                .take(MAX_OUTPUT_LINES)
                .map(|l| Line::styled(format!("  {l}"), t.text)),
        );
        if output.len() > MAX_OUTPUT_LINES {
            lines.push(Line::styled(
                format!(
                    "  … {} more lines (`nightwatch inspect show {} -o json` has them all)",
                    output.len() - MAX_OUTPUT_LINES,
                    v.id
                ),
                t.muted,
            ));
        }
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((sel.scroll, 0))
            .render(area, buf);
    }
}
