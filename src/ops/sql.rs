//! `sql`: statements on a MySQL/MariaDB, PostgreSQL or SQLite target in ONE transaction; with
//! `expect_rows`, a statement must affect (a query: return) exactly that many rows, or everything
//! is rolled back.
//! Values: `AFFECTED` (per statement), `ROWS` (their sum). The DSN is never shown unmasked.

use std::time::Duration;

use super::{Live, Outcome};
use crate::store::{Access, StoreError, TargetStatement, execute_target_as, mask_url};

/// Run `statements` on `dsn` within `timeout`, read-only or not.
pub async fn run(
    dsn: &str,
    statements: &[TargetStatement],
    timeout: Duration,
    access: Access,
    live: &Live,
) -> Result<Outcome, String> {
    let how = match access {
        Access::ReadWrite => "one transaction",
        Access::ReadOnly => "one read-only transaction",
    };
    live.line(&format!("on {} ({how}):", mask_url(dsn)));
    for s in statements {
        let args = if s.args.is_empty() {
            String::new()
        } else {
            let a: Vec<String> = s.args.iter().map(|a| a.to_string()).collect();
            format!("   -- with ({})", a.join(", "))
        };
        match s.expect_rows {
            Some(n) => live.line(&format!("  {}{args}   -- expects {n} rows", s.sql)),
            None => live.line(&format!("  {}{args}", s.sql)),
        }
    }
    match execute_target_as(dsn, statements, timeout, access).await {
        Ok(done) => {
            let total: u64 = done.affected.iter().sum();
            let end = match access {
                Access::ReadWrite => "committed",
                Access::ReadOnly => "read only, rolled back",
            };
            live.line(&format!("{end}: rows {:?}", done.affected));
            Ok(Outcome::new(true, format!("{total} rows, {end}"))
                .with("AFFECTED", done.affected.clone())
                .with("ROWS", total))
        }
        // Refused by the expectation or by the database: rolled back, the step failed.
        Err(StoreError::Query(e)) => {
            live.line(&format!("rolled back: {e}"));
            Ok(Outcome::new(false, e))
        }
        Err(e) => Err(e.to_string()),
    }
}
