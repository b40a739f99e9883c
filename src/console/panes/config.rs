//! The Config pane: the console's own settings in effect (real now), and where the system
//! configuration keys (IAM_CONFIG, RMS_CONFIG, …) will be edited once the config module exists.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::{muted, title};
use crate::console::app::App;
use crate::console::widgets::fit;

/// The Config tab.
pub struct ConfigPane<'a> {
    /// The app it reads.
    pub app: &'a App,
}

impl Widget for ConfigPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let t = &app.config.theme;
        let block = app.block(title(app, "Configuration"), true);
        let width = usize::from(block.inner(area).width);
        let mut lines = vec![
            Line::styled("Console settings in effect", t.title),
            Line::from(""),
        ];
        for (label, value) in &app.config.settings_summary {
            let value = fit(value, width.saturating_sub(14), app.config.glyphs.ellipsis);
            lines.push(Line::from(vec![
                Span::styled(format!("{label:<13} "), t.muted),
                Span::styled(value, t.text),
            ]));
        }
        lines.push(Line::from(""));
        lines.push(Line::styled(
            "System configuration: none stored yet",
            t.title,
        ));
        lines.push(muted(
            app,
            "Keys such as IAM_CONFIG, RMS_CONFIG and YUNYOU_VERSION, with history",
        ));
        lines.push(muted(
            app,
            "and masked secrets, arrive with the system-configuration module.",
        ));
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .render(area, buf);
    }
}
