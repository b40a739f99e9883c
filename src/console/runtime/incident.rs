//! Reading the event the incident keys open: `:event N`, or for `!` the newest unacknowledged
//! (open) P0/P1 event.

use super::super::action::Action;
use crate::domain::event::{EventQuery, SortKey};
use crate::store::{Store, StoreError};

/// Read event `id`, or the newest open P0/P1 (`None`: there is none).
pub(super) async fn open_event(store: &Store, id: Option<i64>) -> Action {
    let result = match id {
        Some(id) => match store.get_event(id).await {
            Ok(e) => Ok(Some(Box::new(e))),
            Err(StoreError::NotFound(_)) => Err(format!("no event #{id}")),
            Err(e) => Err(format!("event #{id}: {e}")),
        },
        None => newest_urgent(store).await.map_err(|e| e.to_string()),
    };
    Action::EventOpened(result)
}

async fn newest_urgent(
    store: &Store,
) -> Result<Option<Box<crate::domain::event::Event>>, StoreError> {
    let mut q = EventQuery::parse("level:P0,P1 status:open", "")
        .map_err(|e| StoreError::Query(e.to_string()))?;
    q.sort = SortKey::Id;
    q.descending = true;
    q.offset = 0;
    q.limit = 1;
    Ok(store
        .list_events(&q)
        .await?
        .into_iter()
        .next()
        .map(Box::new))
}
