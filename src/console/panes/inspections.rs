//! The Inspections pane: daily inspection runs and results. Placeholder until the inspection module
//! brings rules, tasks and the scheduler.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::{muted, plain, title};
use crate::console::app::App;
use crate::console::widgets::Placeholder;

/// The Inspections tab.
pub struct InspectionsPane<'a> {
    /// The app it reads.
    pub app: &'a App,
}

impl Widget for InspectionsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        Placeholder {
            block: app.block(title(app, "Inspections"), true),
            headline: "No inspection runs yet",
            body: vec![
                plain("This pane will list inspection tasks and their runs: one result per rule"),
                plain("and target (pass, warn, fail, error) with value, message and duration."),
                plain(""),
                muted(
                    app,
                    "Rules, tasks and the scheduler arrive with the inspection module; its",
                ),
                muted(app, "built-in rule library is applied on first start."),
            ],
            theme: &app.config.theme,
        }
        .render(area, buf);
    }
}
