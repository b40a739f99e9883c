//! The states of a plan run and of its steps, and the phases a run goes through: the strings the
//! store writes (`plan_runs.status`, `plan_run_steps.status`, `plan_run_steps.phase`), the engine
//! sets and the console shows. Serde, `as_str()` and `FromStr` all use the same lowercase names.

use serde::{Deserialize, Serialize};

/// Defines a string enum: serde names, `as_str`, `ALL`, `Display` and `FromStr` from one list.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// Every value, in lifecycle order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stored name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                let t = s.trim().to_ascii_lowercase();
                $name::ALL.iter().copied().find(|v| v.as_str() == t).ok_or_else(|| {
                    let names: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    format!("{s:?} is not a {}: expected one of {}", stringify!($name), names.join(", "))
                })
            }
        }
    };
}

string_enum! {
    /// Where a plan run is (`plan_runs.status`): `queued` (→ `awaiting_approval` when a second
    /// operator must approve) → `running` (claimed by an engine with a lease; a manual step
    /// waiting for a person keeps the run `running`, the step `waiting`) ⇄ `paused` (an operator
    /// asked) → one of the terminal states.
    RunStatus {
        /// Enqueued by the console or the CLI; no engine has claimed it yet.
        Queued = "queued",
        /// Queued, but a second operator must approve it before an engine may claim it.
        AwaitingApproval = "awaiting_approval",
        /// An engine holds the run's lease and executes it.
        Running = "running",
        /// An operator paused it between steps; the engine still holds the lease.
        Paused = "paused",
        /// Every step that had to run succeeded (a dry run ends here too, having executed nothing
        /// but its prechecks).
        Succeeded = "succeeded",
        /// A step failed with `on_failure = "abort"`, or a rollback step failed.
        Failed = "failed",
        /// A step failed with `on_failure = "rollback"` and every rollback step then succeeded.
        RolledBack = "rolled_back",
        /// An operator cancelled the run.
        Aborted = "aborted",
        /// The engine running it disappeared (its lease expired). Never re-executed silently: the
        /// operator looks at the steps and decides.
        Interrupted = "interrupted",
    }
}

impl RunStatus {
    /// Whether the run is over (nothing changes it any more, short of an operator's resume).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            RunStatus::Succeeded
                | RunStatus::Failed
                | RunStatus::RolledBack
                | RunStatus::Aborted
                | RunStatus::Interrupted
        )
    }

    /// Whether an engine holds (and must renew) a lease on the run.
    pub fn is_active(self) -> bool {
        matches!(self, RunStatus::Running | RunStatus::Paused)
    }
}

string_enum! {
    /// Where one step of a run is (`plan_run_steps.status`).
    #[derive(Default)]
    StepStatus {
        /// Not reached yet (the default).
        #[default]
        Pending = "pending",
        /// Executing (an attempt, or the delay between attempts).
        Running = "running",
        /// A manual step waiting for a person to confirm it is done.
        Waiting = "waiting",
        /// Done, and its expectations held (exit code 0, expected status, rows, reply, condition).
        Succeeded = "succeeded",
        /// Every attempt failed, or it timed out.
        Failed = "failed",
        /// Not executed: its `when` was false, or the run is a dry run.
        Skipped = "skipped",
        /// It was running when its engine disappeared (the run is `interrupted`).
        Interrupted = "interrupted",
        /// Stopped or never reached because the run was aborted or ended before it.
        Aborted = "aborted",
    }
}

impl StepStatus {
    /// Whether the step is over.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            StepStatus::Succeeded
                | StepStatus::Failed
                | StepStatus::Skipped
                | StepStatus::Interrupted
                | StepStatus::Aborted
        )
    }
}

string_enum! {
    /// The part of a plan a step belongs to (`plan_run_steps.phase`), in execution order.
    /// `rollback` runs only after a step with `on_failure = "rollback"` failed.
    Phase {
        /// Read-only checks before anything changes (they also run in a dry run).
        Precheck = "precheck",
        /// The plan's steps (`[[plan.step]]`).
        Step = "step",
        /// Verification after the steps.
        Postcheck = "postcheck",
        /// Undo, as written, after a failure that asked for it.
        Rollback = "rollback",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde_and_from_str() {
        for s in RunStatus::ALL {
            let json = serde_json::to_string(s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert_eq!(s.as_str().parse::<RunStatus>().unwrap(), *s);
        }
        for s in StepStatus::ALL {
            assert_eq!(s.as_str().parse::<StepStatus>().unwrap(), *s);
        }
        for p in Phase::ALL {
            assert_eq!(p.as_str().parse::<Phase>().unwrap(), *p);
        }
        assert_eq!(
            serde_json::to_string(&RunStatus::AwaitingApproval).unwrap(),
            "\"awaiting_approval\""
        );
        assert_eq!("RUNNING".parse::<RunStatus>(), Ok(RunStatus::Running));
        let e = "done".parse::<StepStatus>().unwrap_err();
        assert!(e.contains("pending, running"), "{e}");
    }

    #[test]
    fn terminal_states() {
        assert!(!RunStatus::Queued.is_terminal() && !RunStatus::Paused.is_terminal());
        assert!(!RunStatus::AwaitingApproval.is_terminal());
        assert!(RunStatus::Interrupted.is_terminal() && RunStatus::RolledBack.is_terminal());
        assert!(RunStatus::Paused.is_active() && !RunStatus::AwaitingApproval.is_active());
        assert!(StepStatus::Skipped.is_terminal() && StepStatus::Aborted.is_terminal());
        assert!(!StepStatus::Waiting.is_terminal() && !StepStatus::Pending.is_terminal());
        assert_eq!(StepStatus::default(), StepStatus::Pending);
        assert_eq!(Phase::Step.as_str(), "step");
    }
}
