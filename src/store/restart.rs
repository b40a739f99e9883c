//! Restarting a transaction the database chose as a deadlock victim. Generic over the statement;
//! knows only the error that means "run it again" (`StoreError::Deadlock`).

use crate::store::StoreError;

/// Run `attempt` (one whole transaction or statement) again while the database picks it as a
/// deadlock victim, a few times with a short growing pause. InnoDB does this under concurrent
/// writers (claims by range against completions by id; inserts into one unique index from two
/// transactions) and documents running the transaction again as the remedy. Safe for every
/// caller here: a victim's changes were rolled back whole, and each attempt starts afresh.
pub(super) async fn restarting<T, E, F, Fut>(attempt: F) -> Result<T, StoreError>
where
    E: Into<StoreError>,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    restarting_on(|e| matches!(e, StoreError::Deadlock(_)), attempt).await
}

/// `restarting`, for the errors `again` names (an insert that lost a race for a unique key to a
/// transaction that committed meanwhile is run again, and then finds the row).
pub(super) async fn restarting_on<T, E, F, Fut>(
    again: fn(&StoreError) -> bool,
    mut attempt: F,
) -> Result<T, StoreError>
where
    E: Into<StoreError>,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut pause = std::time::Duration::from_millis(5);
    for _ in 0..6 {
        match attempt().await.map_err(Into::into) {
            Err(e) if again(&e) => {
                tracing::debug!(error = %e, ?pause, "running the transaction again");
                tokio::time::sleep(pause).await;
            }
            other => return other,
        }
        pause *= 2;
    }
    attempt().await.map_err(Into::into)
}
