//! Operation danger levels G1–G3 (DOMAIN.md §3) and what each demands before it runs.

use serde::{Deserialize, Serialize};

/// How dangerous an operation is. Every mutating operation carries one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Danger {
    /// Safe by the document: no change request, no business impact. Confirmed with `y/n`.
    G1,
    /// Needs a change request and product-side confirmation; no business impact. Asks a reason.
    G2,
    /// High risk, may affect business. Requires typing the target's name plus a reason.
    G3,
}

impl Danger {
    /// Whether the operator must give a reason (recorded in the audit log).
    pub fn needs_reason(self) -> bool {
        self >= Danger::G2
    }

    /// Whether the operator must type the target's name.
    pub fn needs_typed_target(self) -> bool {
        self == Danger::G3
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Danger::G1 => "G1",
            Danger::G2 => "G2",
            Danger::G3 => "G3",
        }
    }

    pub fn parse(s: &str) -> Option<Danger> {
        match s {
            "G1" => Some(Danger::G1),
            "G2" => Some(Danger::G2),
            "G3" => Some(Danger::G3),
            _ => None,
        }
    }
}

impl std::fmt::Display for Danger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirmation_grows_with_danger() {
        assert!(!Danger::G1.needs_reason());
        assert!(Danger::G2.needs_reason() && !Danger::G2.needs_typed_target());
        assert!(Danger::G3.needs_reason() && Danger::G3.needs_typed_target());
        for d in [Danger::G1, Danger::G2, Danger::G3] {
            assert_eq!(Danger::parse(d.as_str()), Some(d));
        }
        assert_eq!(Danger::parse("G4"), None);
    }
}
