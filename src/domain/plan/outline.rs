//! The execution order of a plan, as the executor walks it and the console draws it.
//!
//! Phases run in this order: prechecks → main steps → postchecks; the rollback phase runs only
//! when a step (main or postcheck) with `on_failure = "rollback"` failed, and then runs its
//! steps **as written** (top to bottom: write them in the order that undoes safely; each may
//! carry a `when` such as `[swap.status] == succeeded`). Within a phase, stages run one after
//! the other; a stage is one step, or the consecutive steps sharing a `group`, which run in
//! parallel. When steps of a parallel stage fail, the stage's failure is the strongest of
//! their `on_failure` (rollback > abort > continue), applied once all of them have ended.

use super::{OnFailure, Phase, Plan, Step};

/// One stage of a phase.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage<'a> {
    /// One step on its own.
    Serial(&'a Step),
    /// Consecutive steps of the same `group`, run at the same time.
    Parallel {
        group: &'a str,
        steps: Vec<&'a Step>,
    },
}

impl<'a> Stage<'a> {
    /// The steps of the stage, in declaration order.
    pub fn steps(&self) -> Vec<&'a Step> {
        match self {
            Stage::Serial(s) => vec![*s],
            Stage::Parallel { steps, .. } => steps.clone(),
        }
    }

    /// What a failure of the given steps of this stage means: the strongest `on_failure`.
    pub fn on_failure(&self, failed: &[&str]) -> Option<OnFailure> {
        self.steps()
            .into_iter()
            .filter(|s| failed.contains(&s.id.as_str()))
            .map(|s| s.on_failure)
            .max()
    }
}

/// One phase with its stages.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseOutline<'a> {
    pub phase: Phase,
    pub stages: Vec<Stage<'a>>,
}

/// The stages of one list of steps: consecutive steps with the same group form one parallel
/// stage (validation guarantees a group is contiguous).
pub fn stages(steps: &[Step]) -> Vec<Stage<'_>> {
    let mut out: Vec<Stage<'_>> = Vec::new();
    for s in steps {
        match (&s.group, out.last_mut()) {
            (Some(g), Some(Stage::Parallel { group, steps })) if *group == g.as_str() => {
                steps.push(s);
            }
            (Some(g), _) => out.push(Stage::Parallel {
                group: g,
                steps: vec![s],
            }),
            (None, _) => out.push(Stage::Serial(s)),
        }
    }
    out
}

/// Every phase of `plan` in execution order (precheck, main, postcheck, rollback), each with its
/// stages; a phase without steps has no stages.
pub fn outline(plan: &Plan) -> Vec<PhaseOutline<'_>> {
    Phase::ALL
        .iter()
        .map(|&phase| PhaseOutline {
            phase,
            stages: stages(plan.phase(phase)),
        })
        .collect()
}
