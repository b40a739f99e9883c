//! The DR pane: the multi-datacenter DR dashboard. Until the DR module brings links and water
//! levels, it shows what exists: the registered components per layer.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::{muted, plain, title};
use crate::console::app::App;
use crate::console::widgets::Placeholder;

/// The DR tab.
pub struct DrPane<'a> {
    /// The app it reads.
    pub app: &'a App,
}

impl Widget for DrPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let layers = app.overview.as_ref().map_or_else(
            || "(not loaded yet)".to_owned(),
            |o| {
                let parts: Vec<String> = o
                    .components_by_layer
                    .iter()
                    .map(|(l, n)| format!("{l} {n}"))
                    .collect();
                format!("{} total: {}", o.components_total, parts.join(", "))
            },
        );
        Placeholder {
            block: app.block(title(app, "DR dashboard"), true),
            headline: "No DR architecture described yet",
            body: vec![
                plain("This pane will show the DR architecture layer by layer (business, hub,"),
                plain("storage, database, physical): alerts per layer, data sync links with lag"),
                plain("against RPO, capacity water levels, and whether a switchover is possible."),
                plain(""),
                plain(format!("Components registered now: {layers}.")),
                muted(
                    app,
                    "Links and water levels arrive with the DR dashboard module.",
                ),
            ],
            theme: &app.config.theme,
        }
        .render(area, buf);
    }
}
