//! Audit entries: every mutation, who, when, what, danger, reason, before/after (DESIGN.md §4).

use serde::{Deserialize, Serialize};

use super::Danger;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    /// A dotted verb such as `component.upsert`, `config.set`.
    pub action: String,
    /// What was acted on (a key, a component name, an event id).
    pub target: String,
    pub danger: Danger,
    pub reason: String,
    /// JSON text, secrets already masked by the caller.
    pub before: String,
    pub after: String,
    /// The SSH client address the actor came from (empty outside SSH).
    #[serde(default)]
    pub client: String,
}

/// The account part of an actor (`alice@jump-1` → `alice`): two actors are the same person when
/// their accounts are the same, whatever host they act from.
pub fn account_of(actor: &str) -> &str {
    actor.split_once('@').map_or(actor, |(a, _)| a)
}
