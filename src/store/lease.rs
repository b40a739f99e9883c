//! Which clock judges a run lease (plan runs, inspection runs). Engines use the database server's
//! ([`LeaseClock::Database`]): an engine whose own clock runs ahead would otherwise see a healthy
//! engine's lease as expired and interrupt its run, and one running behind would keep a dead
//! engine's runs alive. Tests that step time give a fixed instant ([`LeaseClock::At`], also what a
//! bare `i64` converts to). One SQL text serves both: `COALESCE(?, <database now>)`, bound NULL for
//! the database's clock.

use super::Store;

/// The clock a lease is set and judged by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseClock {
    /// The database server's clock, read inside the conditional UPDATE itself.
    Database,
    /// A fixed instant (epoch ms).
    At(i64),
}

impl From<i64> for LeaseClock {
    fn from(at: i64) -> Self {
        LeaseClock::At(at)
    }
}

impl LeaseClock {
    /// The value bound to the `?` of [`Store::lease_now`]: NULL means the database's clock.
    pub(crate) fn param(self) -> Option<i64> {
        match self {
            LeaseClock::Database => None,
            LeaseClock::At(t) => Some(t),
        }
    }

    /// The time written to display columns (`started_at`, `finished_at`, `updated_at`): the
    /// engine's own clock, as every other timestamp it writes.
    pub(crate) fn stamp(self) -> i64 {
        match self {
            LeaseClock::Database => crate::domain::time::now_ms(),
            LeaseClock::At(t) => t,
        }
    }
}

impl Store {
    /// SQL for "now" as a lease judges it, with one `?` for [`LeaseClock::param`].
    pub(crate) fn lease_now(&self) -> String {
        format!("COALESCE(?, {})", self.dialect.now_ms())
    }
}
