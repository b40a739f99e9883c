//! The confirmation a mutating operation needs, by danger (DOMAIN.md §3, DESIGN.md §6):
//! G1 `y/n`; G2 a reason (kept in the audit log); G3 the target's name typed out plus a reason.
//!
//! Pure state: `app/popup.rs` feeds it actions, `popups/confirm.rs` draws it.

use super::action::Operation;
use super::line_input::LineInput;
use super::mode::Mode;
use super::sysconf::Review;
use crate::domain::Danger;

/// Which text field has the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The target's name (G3 only).
    Target,
    /// The reason (G2, G3).
    Reason,
}

/// An open confirmation.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfirmState {
    /// What will run if confirmed.
    pub op: Operation,
    /// The typed target name (G3).
    pub target: LineInput,
    /// The reason (G2, G3).
    pub reason: LineInput,
    /// The focused field.
    pub focus: Field,
    /// Why the last submit was refused.
    pub error: Option<String>,
    /// The diff and notes a configuration change is reviewed with, drawn above the reason.
    pub review: Option<Review>,
}

impl ConfirmState {
    /// A confirmation for `op`, focused on its first field.
    pub fn new(op: Operation) -> ConfirmState {
        let focus = if op.danger().needs_typed_target() {
            Field::Target
        } else {
            Field::Reason
        };
        ConfirmState {
            op,
            target: LineInput::default(),
            reason: LineInput::default(),
            focus,
            error: None,
            review: None,
        }
    }

    /// The same confirmation, shown with a review of the change.
    pub fn with_review(mut self, review: Review) -> ConfirmState {
        self.review = Some(review);
        self
    }

    /// The danger level.
    pub fn danger(&self) -> Danger {
        self.op.danger()
    }

    /// The key map mode: plain `y/n` for G1, text fields otherwise.
    pub fn mode(&self) -> Mode {
        if self.danger() == Danger::G1 {
            Mode::Confirm
        } else {
            Mode::ConfirmInput
        }
    }

    /// The field being typed into.
    pub fn input_mut(&mut self) -> &mut LineInput {
        match self.focus {
            Field::Target => &mut self.target,
            Field::Reason => &mut self.reason,
        }
    }

    /// Move to the other field (G3 has two).
    pub fn next_field(&mut self) {
        if self.danger().needs_typed_target() {
            self.focus = match self.focus {
                Field::Target => Field::Reason,
                Field::Reason => Field::Target,
            };
        }
    }

    /// Try to confirm: the reason to record when every requirement is met, otherwise `None` with
    /// [`ConfirmState::error`] saying what is missing (and the focus moved there).
    pub fn submit(&mut self) -> Option<String> {
        let danger = self.danger();
        if danger.needs_typed_target() && self.target.text().trim() != self.op.target() {
            self.error = Some(format!(
                "type the target's name exactly: {}",
                self.op.target()
            ));
            self.focus = Field::Target;
            return None;
        }
        let reason = self.reason.text().trim().to_owned();
        if danger.needs_reason() && reason.is_empty() {
            self.error = Some("give a reason: it is recorded in the audit log".to_owned());
            self.focus = Field::Reason;
            return None;
        }
        self.error = None;
        Some(reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(danger: Danger) -> Operation {
        Operation::Test {
            danger,
            target: "db-primary".into(),
        }
    }

    #[test]
    fn g1_needs_nothing_typed() {
        let mut c = ConfirmState::new(op(Danger::G1));
        assert_eq!(c.mode(), Mode::Confirm);
        assert_eq!(c.submit(), Some(String::new()));
    }

    #[test]
    fn g2_needs_a_reason() {
        let mut c = ConfirmState::new(op(Danger::G2));
        assert_eq!((c.mode(), c.focus), (Mode::ConfirmInput, Field::Reason));
        assert_eq!(c.submit(), None);
        assert!(
            c.error
                .as_deref()
                .unwrap_or_default()
                .contains("give a reason")
        );
        c.input_mut().insert("CHG-42 failover test");
        assert_eq!(c.submit().as_deref(), Some("CHG-42 failover test"));
    }

    #[test]
    fn g3_needs_the_exact_target_and_a_reason() {
        let mut c = ConfirmState::new(op(Danger::G3));
        assert_eq!(c.focus, Field::Target);
        c.input_mut().insert("db-prim");
        c.next_field();
        c.input_mut().insert("planned");
        assert_eq!(c.submit(), None);
        assert_eq!(c.focus, Field::Target, "focus goes to what is missing");
        assert!(
            c.error
                .as_deref()
                .unwrap_or_default()
                .contains("db-primary")
        );
        c.input_mut().insert("ary");
        assert_eq!(c.submit().as_deref(), Some("planned"));
    }
}
