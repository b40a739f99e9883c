//! The Plans pane: emergency and DR plan runs, step by step. Placeholder until the plans module.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::{muted, plain, title};
use crate::console::app::App;
use crate::console::widgets::Placeholder;

/// The Plans tab.
pub struct PlansPane<'a> {
    /// The app it reads.
    pub app: &'a App,
}

impl Widget for PlansPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        Placeholder {
            block: app.block(title(app, "Plan runs"), true),
            headline: "No plan runs yet",
            body: vec![
                plain("This pane will show emergency and DR plan runs: status, who asked, the"),
                plain("linked event, and each step's state, attempts and output as it executes."),
                plain(""),
                muted(
                    app,
                    "Plans and their executor arrive with the plans module; every run is",
                ),
                muted(
                    app,
                    "confirmed by its danger level (G1 y/n, G2 reason, G3 target + reason).",
                ),
            ],
            theme: &app.config.theme,
        }
        .render(area, buf);
    }
}
