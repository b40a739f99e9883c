//! Real replicated pairs started by the tests themselves, for the DR dashboard (and the DR
//! switchover after it): two `mariadbd` with GTID replication, a PostgreSQL primary and a streaming
//! standby (`initdb`, `pg_basebackup -R`), a Redis master and replica. Each server runs on free
//! loopback ports in its own temporary directory and is stopped when its pair is dropped (TERM,
//! then KILL if it lingers), so a failing test leaves nothing running.
//!
//! Every start-up waits for a condition (`ping`, `pg_isready`, the replica's link up), never for a
//! fixed time. Missing programs skip the test with a note, or fail it under `CI=true`.

// Each test binary uses only some of the pairs.
#![allow(unused_imports)]

mod mariadb;
mod postgres;
mod process;
mod redis;
mod zones;

pub use mariadb::MariaPair;
pub use postgres::PgPair;
pub use process::{Daemon, Writer, run};
pub use redis::RedisPair;
pub use zones::{TRAFFIC_QUERY, ZoneTraffic};
