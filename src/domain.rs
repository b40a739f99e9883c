//! Pure domain types: no IO, no async, no SQL. Everything here can be built and checked in a unit test.
//!
//! `store/` persists these types, `engine/` produces them, `console/` renders them; none of those
//! concerns leak back in here.

pub mod audit;
pub mod component;
pub mod content;
pub mod danger;
pub mod diagnosis;
pub mod dr;
pub mod event;
pub mod inspection;
pub mod instance;
pub mod notify;
pub mod overview;
pub mod plan;
pub mod selfheal;
pub mod ssh;
pub mod sysconfig;
pub mod text;
pub mod time;

pub use audit::AuditEntry;
pub use component::{Component, Layer};
pub use danger::Danger;
pub use instance::{Instance, MasterLease};
pub use overview::{DbInfo, EngineState, Overview, OverviewStamp};
