//! Performing the DR pane's reads: the board, and one link's history.

use super::super::action::Action;
use super::super::effect::Effect;
use crate::store::Store;

/// The most samples a link's history shows.
const HISTORY_ROWS: i64 = 500;

/// Perform a DR read (anything else answers `Noop`).
pub(super) async fn perform(store: &Store, effect: Effect) -> Action {
    match effect {
        Effect::LoadDr { now } => Action::DrLoaded(
            crate::dr::board(store, now)
                .await
                .map(Box::new)
                .map_err(|e| e.to_string()),
        ),
        Effect::LoadDrLink { link } => {
            let result = store
                .dr_samples_of("link", &link, 0, HISTORY_ROWS)
                .await
                .map_err(|e| e.to_string());
            Action::DrLinkLoaded { link, result }
        }
        _ => Action::Noop,
    }
}
