//! nightwatch instances (`nw_component`) and the master lease (`nw_master_vote`), DOMAIN.md §1.

use serde::{Deserialize, Serialize};

/// One running nightwatch process (console or engine) registered in `nw_component`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    /// Unique per process: `hostname:pid:start`.
    pub id: String,
    pub hostname: String,
    pub ip: String,
    pub pid: i64,
    /// `engine` or `console`.
    pub role: String,
    pub version: String,
    /// Where the engine listens, empty for a console.
    pub listen: String,
    pub started_at: i64,
    pub heartbeat_at: i64,
}

impl Instance {
    /// An instance is alive when its heartbeat is younger than `ttl_ms`.
    pub fn is_alive(&self, now: i64, ttl_ms: i64) -> bool {
        now - self.heartbeat_at <= ttl_ms
    }
}

/// The current master lease: exactly one row per role in `nw_master_vote`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MasterLease {
    pub role: String,
    pub holder: String,
    pub ip: String,
    pub hostname: String,
    /// Fencing token: grows every time the lease changes hands.
    pub term: i64,
    pub expires_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn liveness_follows_the_heartbeat() {
        let i = Instance {
            id: "h:1:0".into(),
            hostname: "h".into(),
            ip: "127.0.0.1".into(),
            pid: 1,
            role: "engine".into(),
            version: "0".into(),
            listen: String::new(),
            started_at: 0,
            heartbeat_at: 1_000,
        };
        assert!(i.is_alive(15_000, 15_000));
        assert!(!i.is_alive(16_001, 15_000));
    }
}
