//! Reusable widgets: the windowed [`DataTable`], the tab bar, the hint bar, the status bar, placeholders and the
//! text-fitting helpers they share. Widgets borrow what they draw; they never own app state.

mod data_table;
mod fit;
mod hint_bar;
mod placeholder;
mod status_bar;
mod tab_bar;

pub use data_table::{CellCtx, DataTable, DataToCell};
pub use fit::{centered, fit, truncate};
pub use hint_bar::HintBar;
pub use placeholder::Placeholder;
pub use status_bar::StatusBar;
pub use tab_bar::TabBar;
