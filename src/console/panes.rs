//! One pane per tab. Each is a small borrowed view (`XxxPane<'a> { app: &'a App }`) implementing
//! `Widget`; panes without data yet draw an honest placeholder, never an empty box.

mod config;
mod dr;
mod events;
mod inspections;
mod overview;
mod plans;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Widget;

use super::app::App;
use super::tab::Tab;

pub use config::ConfigPane;
pub use dr::DrPane;
pub use events::EventsPane;
pub use inspections::InspectionsPane;
pub use overview::OverviewPane;
pub use plans::PlansPane;

/// Draw the active tab's pane.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    match app.tab {
        Tab::Overview => OverviewPane { app }.render(area, buf),
        Tab::Events => EventsPane { app }.render(area, buf),
        Tab::Dr => DrPane { app }.render(area, buf),
        Tab::Inspections => InspectionsPane { app }.render(area, buf),
        Tab::Plans => PlansPane { app }.render(area, buf),
        Tab::Config => ConfigPane { app }.render(area, buf),
    }
}

/// A pane title with the active filter, if any: `Risk events · filter: level:p0`.
fn title(app: &App, name: &str) -> Line<'static> {
    let f = app.filter();
    if f.is_empty() {
        Line::from(format!(" {name} "))
    } else {
        Line::from(format!(" {name} · /{} ", f.raw))
    }
}

/// A muted line of placeholder body text.
fn muted(app: &App, text: impl Into<String>) -> Line<'static> {
    Line::styled(text.into(), app.config.theme.muted)
}

/// A normal line of placeholder body text.
fn plain(text: impl Into<String>) -> Line<'static> {
    Line::from(text.into())
}
