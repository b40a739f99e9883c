//! `sql`: statements on a MySQL/MariaDB, PostgreSQL or SQLite target in ONE transaction; with
//! `expect_rows`, a statement must affect (a query: return) exactly that many rows, or everything
//! is rolled back.
//! Values: `AFFECTED` (per statement), `ROWS` (their sum). The DSN is never shown unmasked.

use std::time::Duration;

use super::{Live, Outcome};
use crate::store::{StoreError, TargetStatement, execute_target, mask_url};

/// Run `statements` on `dsn` within `timeout`.
pub async fn run(
    dsn: &str,
    statements: &[TargetStatement],
    timeout: Duration,
    live: &Live,
) -> Result<Outcome, String> {
    live.line(&format!("on {} (one transaction):", mask_url(dsn)));
    for s in statements {
        match s.expect_rows {
            Some(n) => live.line(&format!("  {}   -- expects {n} rows", s.sql)),
            None => live.line(&format!("  {}", s.sql)),
        }
    }
    match execute_target(dsn, statements, timeout).await {
        Ok(done) => {
            let total: u64 = done.affected.iter().sum();
            live.line(&format!("committed: rows affected {:?}", done.affected));
            Ok(
                Outcome::new(true, format!("{total} rows affected, committed"))
                    .with("AFFECTED", done.affected.clone())
                    .with("ROWS", total),
            )
        }
        // Refused by the expectation or by the database: rolled back, the step failed.
        Err(StoreError::Query(e)) => {
            live.line(&format!("rolled back: {e}"));
            Ok(Outcome::new(false, e))
        }
        Err(e) => Err(e.to_string()),
    }
}
