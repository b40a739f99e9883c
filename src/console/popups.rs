//! Popups drawn over the panes (help, action menu, confirmation, detail) and the prompt line.

mod ask_quit;
mod confirm;
mod detail;
mod help;
mod menu;
mod plan_review;
mod prompt;
mod review;

pub use ask_quit::AskQuitPopup;
pub use confirm::ConfirmPopup;
pub use detail::DetailPopup;
pub use help::{HelpLine, HelpPopup, help_lines};
pub use menu::MenuPopup;
pub use plan_review::PlanReviewPopup;
pub use prompt::PromptLine;
pub use review::ReviewPopup;
