//! Restarting a transaction the database chose as a deadlock victim. Generic over the statement;
//! knows only the SQLSTATE codes that mean "run it again".

use crate::store::StoreError;

/// Whether the database picked this statement as a deadlock victim (MySQL 1213 → SQLSTATE 40001,
/// PostgreSQL 40P01) or refused it for serialization (40001). Claims (a range scan) and
/// completions (by id) lock outbox rows in different orders, so InnoDB does this under load; its
/// documented remedy is to run the transaction again.
fn is_deadlock(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("40001" | "40P01")))
}

/// Run `attempt` (one whole transaction or statement) again while it is a deadlock victim, a few
/// times with a short growing pause. Safe for the writes here: each is conditional on the claim,
/// and a victim's changes were rolled back.
pub(super) async fn restarting<T, F, Fut>(mut attempt: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, sqlx::Error>>,
{
    let mut pause = std::time::Duration::from_millis(5);
    for _ in 0..5 {
        match attempt().await {
            Err(e) if is_deadlock(&e) => tokio::time::sleep(pause).await,
            other => return Ok(other?),
        }
        pause *= 2;
    }
    Ok(attempt().await?)
}
