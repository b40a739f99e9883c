//! What operators do to events: acknowledge, assign, comment, re-grade, resolve, close. Each
//! action lands on the event's timeline and in the audit log, in the same transaction.

use sqlx::Row;

use super::super::{NewAudit, Store, StoreError};
use super::counts::CountDeltas;
use crate::domain::Danger;
use crate::domain::event::{Level, Status};

/// An operator's action on one or more events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventAction {
    Ack {
        note: String,
    },
    Assign {
        to: String,
    },
    Comment {
        text: String,
    },
    /// Risk grading: change the level, with a reason.
    Regrade {
        level: Level,
        reason: String,
    },
    Resolve {
        note: String,
    },
    Close {
        note: String,
    },
}

impl EventAction {
    /// The timeline kind and audit verb.
    pub fn kind(&self) -> &'static str {
        match self {
            EventAction::Ack { .. } => "acked",
            EventAction::Assign { .. } => "assigned",
            EventAction::Comment { .. } => "commented",
            EventAction::Regrade { .. } => "regraded",
            EventAction::Resolve { .. } => "resolved",
            EventAction::Close { .. } => "closed",
        }
    }

    /// G1 for routine handling; G2 for what changes the record's meaning (grade, close).
    pub fn danger(&self) -> Danger {
        match self {
            EventAction::Regrade { .. } | EventAction::Close { .. } => Danger::G2,
            _ => Danger::G1,
        }
    }

    /// Whether the action applies to an event in `status`; the reason when not.
    fn allowed(&self, status: Status) -> Result<(), String> {
        let ok = match self {
            EventAction::Ack { .. } => status == Status::Open,
            EventAction::Resolve { .. } => {
                matches!(status, Status::Open | Status::Acked | Status::Suppressed)
            }
            EventAction::Close { .. } => status != Status::Closed,
            EventAction::Assign { .. } | EventAction::Regrade { .. } => status != Status::Closed,
            EventAction::Comment { .. } => true,
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "cannot be {} while {}",
                self.kind(),
                status.as_str()
            ))
        }
    }

    fn message(&self) -> String {
        match self {
            EventAction::Ack { note }
            | EventAction::Resolve { note }
            | EventAction::Close { note } => note.clone(),
            EventAction::Assign { to } => format!("assigned to {to}"),
            EventAction::Comment { text } => text.clone(),
            EventAction::Regrade { level, reason } => format!("→ {}: {reason}", level.as_str()),
        }
    }
}

/// Per event: `Ok(())` when applied, or why it was skipped.
pub type ActionResults = Vec<(i64, Result<(), String>)>;

impl Store {
    /// Apply `action` to each event in `ids`. Events the action does not fit (e.g. ack of a resolved
    /// event) are skipped with a reason; the others change together in one transaction.
    pub async fn event_action(
        &self,
        ids: &[i64],
        action: &EventAction,
        actor: &str,
        now: i64,
    ) -> Result<ActionResults, StoreError> {
        if let EventAction::Regrade { reason, .. } = action
            && reason.trim().is_empty()
        {
            return Err(StoreError::Conflict(
                "re-grading needs a reason (risk grading is audited)".into(),
            ));
        }
        let mut results = Vec::new();
        let mut deltas = CountDeltas::default();
        let mut tx = self.begin_write().await?;
        for &id in ids {
            let row = sqlx::query(
                self.sql("SELECT status, level, assignee FROM risk_events WHERE id = ?"),
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                results.push((id, Err("no such event".to_owned())));
                continue;
            };
            let status_text: String = row.try_get("status")?;
            let level_text: String = row.try_get("level")?;
            let status = Status::parse(&status_text).ok_or_else(|| StoreError::Corrupt {
                table: "risk_events",
                reason: status_text.clone(),
            })?;
            if let Err(why) = action.allowed(status) {
                results.push((id, Err(why)));
                continue;
            }
            let level = Level::parse(&level_text).ok_or_else(|| StoreError::Corrupt {
                table: "risk_events",
                reason: level_text.clone(),
            })?;
            let after = match action {
                EventAction::Ack { .. } => (level, Status::Acked),
                EventAction::Resolve { .. } => (level, Status::Resolved),
                EventAction::Close { .. } => (level, Status::Closed),
                EventAction::Regrade { level: to, .. } => (*to, status),
                EventAction::Assign { .. } | EventAction::Comment { .. } => (level, status),
            };
            deltas.moved(Some((level, status)), Some(after));
            let (sql, value): (&str, String) = match action {
                EventAction::Ack { .. } => (
                    "UPDATE risk_events SET status = ?, updated_at = ? WHERE id = ?",
                    "acked".into(),
                ),
                EventAction::Resolve { .. } => (
                    "UPDATE risk_events SET status = ?, updated_at = ? WHERE id = ?",
                    "resolved".into(),
                ),
                EventAction::Close { .. } => (
                    "UPDATE risk_events SET status = ?, updated_at = ? WHERE id = ?",
                    "closed".into(),
                ),
                EventAction::Assign { to } => (
                    "UPDATE risk_events SET assignee = ?, updated_at = ? WHERE id = ?",
                    to.clone(),
                ),
                EventAction::Regrade { level, .. } => (
                    "UPDATE risk_events SET level = ?, updated_at = ? WHERE id = ?",
                    level.as_str().to_owned(),
                ),
                // A comment changes no column but `updated_at` (so the console's poll sees it).
                EventAction::Comment { .. } => (
                    "UPDATE risk_events SET updated_at = ? WHERE id = ?",
                    String::new(),
                ),
            };
            let q = sqlx::query(self.sql(sql));
            let q = if matches!(action, EventAction::Comment { .. }) {
                q
            } else {
                q.bind(value.clone())
            };
            q.bind(now).bind(id).execute(&mut *tx).await?;
            sqlx::query(self.sql(
                "INSERT INTO event_log (event_id, at, kind, actor, message) VALUES (?, ?, ?, ?, ?)",
            ))
            .bind(id)
            .bind(now)
            .bind(action.kind())
            .bind(actor)
            .bind(action.message())
            .execute(&mut *tx)
            .await?;
            let reason = match action {
                EventAction::Regrade { reason, .. } => reason.clone(),
                other => other.message(),
            };
            let audit = NewAudit::new(
                actor,
                &format!("event.{}", action.kind()),
                &format!("event {id}"),
                action.danger(),
            )
            .reason(&reason)
            .before(serde_json::json!({"status": status_text, "level": level_text}))
            .after(serde_json::json!({ "change": action.kind(), "value": value }));
            self.insert_audit_in(&mut tx, &audit).await?;
            results.push((id, Ok(())));
        }
        deltas.apply(self, &mut tx).await?;
        tx.commit().await?;
        Ok(results)
    }
}
