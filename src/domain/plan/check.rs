//! The checks that need a whole plan: names, references between parameters and steps, templates
//! and `when` conditions reading only earlier steps, parallel groups, rollback wiring, danger
//! rules. `domain::content` maps each [`Problem`] to a file and line.

use std::collections::BTreeMap;

use super::{OnFailure, Param, ParamKind, Phase, Plan, Ref, Step, refs, stages};
use crate::domain::Danger;
use crate::domain::inspection::Condition;

/// Where a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locus {
    /// The plan as a whole (its name).
    Plan,
    TargetParam,
    /// A parameter (by index) and which of its fields.
    Param(usize, ParamField),
    /// A step (phase, index within the phase) and which of its fields.
    Step(Phase, usize, StepField),
}

/// A parameter field a problem points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamField {
    Name,
    Kind,
    Default,
    DifferentFrom,
}

/// A step field a problem points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepField {
    Id,
    Op,
    Danger,
    When,
    Group,
    Target,
    OnFailure,
}

/// One problem of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub at: Locus,
    pub message: String,
}

mod op;

const RESERVED: &[&str] = &["params", "steps", "event", "run"];

fn is_ident(s: &str, first_digit_ok: bool) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| {
        c.is_ascii_alphabetic() || c == '_' || (first_digit_ok && c.is_ascii_digit())
    }) && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
}

/// Whether `name` is usable as a plan or scenario name: letters, digits, `-`, `_`, `.`.
pub(crate) fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl Plan {
    /// Every problem of the plan; empty when it is valid. The per-field checks of the TOML form
    /// (an op that parses, a stated danger for command/http/sql/redis, durations, parameter
    /// kinds) happen when `domain::content` builds the plan; these are the rest, and a plan read
    /// back from the store can be re-checked with them.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut add = |at: Locus, message: String| out.push(Problem { at, message });
        if !is_name(&self.name) {
            add(
                Locus::Plan,
                format!("plan name {:?}: use letters, digits, -, _ and .", self.name),
            );
        }
        if self.steps.is_empty() {
            add(
                Locus::Plan,
                "a plan needs at least one [[plan.step]]".into(),
            );
        }
        check_params(self, &mut add);
        check_steps(self, &mut add);
        out
    }
}

fn check_params(plan: &Plan, add: &mut dyn FnMut(Locus, String)) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, p) in plan.params.iter().enumerate() {
        let at = |f| Locus::Param(i, f);
        if !is_ident(&p.name, false) {
            add(
                at(ParamField::Name),
                format!("parameter name {:?}: use letters, digits, _ and -", p.name),
            );
        }
        if let Some(first) = seen.insert(p.name.to_lowercase(), i) {
            add(
                at(ParamField::Name),
                format!(
                    "duplicate parameter {:?} (already declared as {:?})",
                    p.name, plan.params[first].name
                ),
            );
        }
        match &p.kind {
            ParamKind::Choice { options } if options.is_empty() => {
                add(
                    at(ParamField::Kind),
                    format!("parameter {}: options is empty", p.name),
                );
            }
            ParamKind::Integer {
                min: Some(lo),
                max: Some(hi),
            } if lo > hi => add(
                at(ParamField::Kind),
                format!("parameter {}: min {lo} is above max {hi}", p.name),
            ),
            ParamKind::String { pattern: Some(re) } => {
                if let Err(e) = regex::Regex::new(re) {
                    add(
                        at(ParamField::Kind),
                        format!("parameter {}: pattern: {e}", p.name),
                    );
                }
            }
            _ => {}
        }
        if let Some(d) = &p.default
            && let Err(m) = check_default(p, d)
        {
            add(
                at(ParamField::Default),
                format!("parameter {}: default {d}: {m}", p.name),
            );
        }
        if let Some(other) = &p.different_from {
            if *other == p.name {
                add(
                    at(ParamField::DifferentFrom),
                    format!("parameter {}: different_from names itself", p.name),
                );
            } else if plan.param(other).is_none() {
                add(
                    at(ParamField::DifferentFrom),
                    format!(
                        "parameter {}: different_from names no parameter {other:?}",
                        p.name
                    ),
                );
            }
        }
    }
    if let Some(t) = &plan.target_param
        && plan.param(t).is_none()
    {
        add(
            Locus::TargetParam,
            format!("target_param {t:?} is not a declared parameter"),
        );
    }
}

fn check_default(p: &Param, d: &serde_json::Value) -> Result<(), String> {
    use serde_json::Value;
    let text = match (&p.kind, d) {
        (ParamKind::Integer { .. }, Value::Number(n)) if n.is_i64() => n.to_string(),
        (ParamKind::Integer { .. }, _) => return Err("expected a whole number".into()),
        (ParamKind::Boolean, Value::Bool(b)) => b.to_string(),
        (ParamKind::Boolean, _) => return Err("expected true or false".into()),
        (_, Value::String(s)) => s.clone(),
        (_, _) => return Err("expected a string".into()),
    };
    match p.kind {
        // Topology choices depend on the components at launch time.
        ParamKind::Topology { .. } => Ok(()),
        _ => p.parse_value(&text, &[]).map(|_| ()),
    }
}

fn check_steps(plan: &Plan, add: &mut dyn FnMut(Locus, String)) {
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    for (phase, s) in plan.all_steps() {
        let index = plan
            .phase(phase)
            .iter()
            .position(|x| std::ptr::eq(x, s))
            .unwrap_or(0);
        let at = Locus::Step(phase, index, StepField::Id);
        if !is_ident(&s.id, false) {
            add(
                at,
                format!(
                    "step id {:?}: use letters, digits, _ and -, starting with a letter",
                    s.id
                ),
            );
        } else if RESERVED.contains(&s.id.to_lowercase().as_str()) {
            add(
                at,
                format!("step id {:?} is reserved (params, steps, event, run)", s.id),
            );
        }
        if let Some(first) = ids.insert(s.id.to_lowercase(), s.id.clone()) {
            add(
                at,
                format!(
                    "duplicate step id {:?} (ids are unique across all phases, ignoring case; first: {first:?})",
                    s.id
                ),
            );
        }
    }
    let all: Vec<&str> = plan.all_steps().map(|(_, s)| s.id.as_str()).collect();
    let rollback_used = plan
        .steps
        .iter()
        .chain(&plan.postchecks)
        .any(|s| s.on_failure == OnFailure::Rollback);
    if !plan.rollback.is_empty() && !rollback_used {
        add(
            Locus::Step(Phase::Rollback, 0, StepField::Id),
            "rollback steps never run: no step or postcheck has on_failure = \"rollback\"".into(),
        );
    }
    let mut done: Vec<&str> = Vec::new();
    for phase in Phase::ALL.iter().copied() {
        if phase == Phase::Rollback {
            done = all.clone();
            done.retain(|id| plan.rollback.iter().all(|s| s.id != *id));
        }
        let steps = plan.phase(phase);
        check_groups(phase, steps, add);
        let mut index = 0;
        for stage in stages(steps) {
            let members = stage.steps();
            for s in &members {
                let later: Vec<&str> = all
                    .iter()
                    .copied()
                    .filter(|id| !done.contains(id))
                    .collect();
                check_step(plan, phase, index, s, &done, &later, add);
                index += 1;
            }
            done.extend(members.iter().map(|s| s.id.as_str()));
        }
    }
}

fn check_groups(phase: Phase, steps: &[Step], add: &mut dyn FnMut(Locus, String)) {
    let mut closed: Vec<&str> = Vec::new();
    let mut current: Option<&str> = None;
    for (i, s) in steps.iter().enumerate() {
        let g = s.group.as_deref();
        if g != current {
            if let Some(c) = current {
                closed.push(c);
            }
            if let Some(g) = g {
                if closed.contains(&g) {
                    add(
                        Locus::Step(phase, i, StepField::Group),
                        format!(
                            "step {}: group {g:?} is not contiguous: the steps of a parallel group must be consecutive",
                            s.id
                        ),
                    );
                }
                if g.trim().is_empty() {
                    add(
                        Locus::Step(phase, i, StepField::Group),
                        format!("step {}: empty group name", s.id),
                    );
                }
            }
            current = g;
        }
    }
}

fn check_step(
    plan: &Plan,
    phase: Phase,
    index: usize,
    s: &Step,
    earlier: &[&str],
    later: &[&str],
    add: &mut dyn FnMut(Locus, String),
) {
    let at = |f| Locus::Step(phase, index, f);
    let id = &s.id;
    match (phase, s.on_failure) {
        (Phase::Precheck, OnFailure::Rollback) => add(
            at(StepField::OnFailure),
            format!(
                "step {id}: a precheck cannot roll back (nothing has changed yet); use abort or continue"
            ),
        ),
        (Phase::Rollback, OnFailure::Rollback) => add(
            at(StepField::OnFailure),
            format!("step {id}: a rollback step cannot roll back; use abort or continue"),
        ),
        (Phase::Step | Phase::Postcheck, OnFailure::Rollback) if plan.rollback.is_empty() => add(
            at(StepField::OnFailure),
            format!(
                "step {id}: on_failure = \"rollback\" but the plan has no [[plan.rollback]] steps"
            ),
        ),
        _ => {}
    }
    if phase == Phase::Precheck && s.danger != Danger::G1 {
        add(
            at(StepField::Danger),
            format!(
                "step {id}: prechecks also run in dry runs, so they must be read-only G1 (this one is {})",
                s.danger
            ),
        );
    }
    // Templates in the op and the target read declared parameters and earlier steps only.
    let mut texts: Vec<(String, String, StepField)> = Vec::new();
    let _ = s.op.try_map_strings::<()>(&mut |field, text| {
        texts.push((field.to_owned(), text.to_owned(), StepField::Op));
        Ok(text.to_owned())
    });
    if let Some(t) = &s.target {
        texts.push(("target".into(), t.clone(), StepField::Target));
    }
    for (field, text, f) in &texts {
        match refs(text) {
            Err(e) => add(at(*f), format!("step {id}: {field}: {e}")),
            Ok(rs) => {
                for r in rs {
                    if r.step() == Some(id.as_str()) {
                        add(
                            at(*f),
                            format!("step {id}: {field}: a step cannot read its own result"),
                        );
                    } else if let Some(m) = check_ref(plan, &r, earlier, later) {
                        add(at(*f), format!("step {id}: {field}: {m}"));
                    }
                }
            }
        }
    }
    if let Some(w) = &s.when
        && let Err(m) = super::when::check_when(w, &plan.params, earlier, later)
    {
        add(at(StepField::When), format!("step {id}: when {w:?}: {m}"));
    }
    for m in op::op_problems(&s.op, s, phase) {
        let f = if m.contains("G3") {
            StepField::Danger
        } else {
            StepField::Op
        };
        add(at(f), format!("step {id}: {m}"));
    }
}

fn check_ref(plan: &Plan, r: &Ref, earlier: &[&str], later: &[&str]) -> Option<String> {
    if let Ref::Param(p) = r {
        if plan.param(p).is_none() {
            let names: Vec<&str> = plan.params.iter().map(|p| p.name.as_str()).collect();
            let known = if names.is_empty() {
                "the plan declares no parameters".to_owned()
            } else {
                format!("declared: {}", names.join(", "))
            };
            return Some(format!("{{{{params.{p}}}}}: no parameter {p:?} ({known})"));
        }
        return None;
    }
    let step = r.step()?;
    if earlier.contains(&step) {
        None
    } else if later.contains(&step) {
        Some(format!(
            "reads step {step:?}, which has not run yet at this point (a step reads only steps before it, not those running alongside it)"
        ))
    } else {
        Some(format!("reads step {step:?}, which does not exist"))
    }
}
