//! The Events pane: risk events from monitoring, inspection and diagnosis. Placeholder until the
//! risk-event module brings ingest and the `risk_events` table.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::{muted, plain, title};
use crate::console::app::App;
use crate::console::widgets::Placeholder;

/// The Events tab.
pub struct EventsPane<'a> {
    /// The app it reads.
    pub app: &'a App,
}

impl Widget for EventsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        Placeholder {
            block: app.block(title(app, "Risk events"), true),
            headline: "No risk events yet",
            body: vec![
                plain("This pane will list risk events: level (P0-P3), status (open, acked,"),
                plain("resolved), source, component, count, first and last seen."),
                plain(""),
                muted(
                    app,
                    "They arrive with the risk-event module: Alertmanager webhooks,",
                ),
                muted(
                    app,
                    "the RMS monitoring path and a generic JSON endpoint feed the engine.",
                ),
                plain(""),
                muted(
                    app,
                    "Filter with / using words and key:value terms (level:P0 status:open).",
                ),
            ],
            theme: &app.config.theme,
        }
        .render(area, buf);
    }
}
