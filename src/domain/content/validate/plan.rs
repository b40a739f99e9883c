//! `[[plan]]` and `[[scenario]]` documents into validated [`Plan`]s and [`Scenario`]s: per-field
//! checks here (with the field's line), whole-plan checks from [`Plan::problems`] mapped back to
//! the line of the field they concern.

use std::ops::Range;
use std::path::Path;

use serde_json::Value;

use super::{ContentError, line_of};
use crate::domain::Danger;
use crate::domain::content::{ParamDoc, PlanDoc, ScenarioDoc, StepDoc};
use crate::domain::plan::{
    Locus, Op, Param, ParamField, ParamKind, Phase, Plan, Recommendation, Ref, Scenario, Step,
    StepField, TopologyField, duration_ms, duration_text, refs,
};

/// Where errors of one file go.
pub(super) struct Sink<'a> {
    pub path: &'a Path,
    pub text: &'a str,
    pub errors: &'a mut Vec<ContentError>,
}

impl Sink<'_> {
    pub(super) fn at(&mut self, span: Range<usize>, message: String) {
        self.errors.push(ContentError {
            file: self.path.to_path_buf(),
            line: line_of(self.text, span),
            message,
        });
    }
}

/// Validate one `[[plan]]`: `Some(plan)` when it has no problem (problems go to the sink).
pub(super) fn plan_of(
    d: &PlanDoc,
    sink: &mut Sink<'_>,
    check_probe: &dyn Fn(&Value) -> Result<(), String>,
) -> Option<Plan> {
    let before = sink.errors.len();
    let name = d.name.get_ref();
    let params: Vec<Option<Param>> = d.param.iter().map(|p| param_of(name, p, sink)).collect();
    let mut phase = |docs: &[StepDoc]| -> Vec<Option<Step>> {
        docs.iter()
            .map(|s| step_of(name, s, sink, check_probe))
            .collect()
    };
    let (pre, main, post, rollback) = (
        phase(&d.precheck),
        phase(&d.step),
        phase(&d.postcheck),
        phase(&d.rollback),
    );
    if sink.errors.len() != before {
        return None;
    }
    let all = |v: Vec<Option<Step>>| v.into_iter().flatten().collect();
    let plan = Plan {
        name: name.clone(),
        title: d.title.clone(),
        description: d.description.clone(),
        tags: d.tags.clone(),
        target_param: d.target_param.as_ref().map(|t| t.get_ref().clone()),
        params: params.into_iter().flatten().collect(),
        prechecks: all(pre),
        steps: all(main),
        postchecks: all(post),
        rollback: all(rollback),
    };
    for p in plan.problems() {
        let span = span_of(d, p.at);
        let message = if matches!(p.at, Locus::Plan) && p.message.starts_with("plan name") {
            p.message
        } else {
            format!("plan {name:?}: {}", p.message)
        };
        sink.at(span, message);
    }
    (sink.errors.len() == before).then_some(plan)
}

fn span_of(d: &PlanDoc, at: Locus) -> Range<usize> {
    let or_name = |s: Option<Range<usize>>| s.unwrap_or_else(|| d.name.span());
    match at {
        Locus::Plan => d.name.span(),
        Locus::TargetParam => or_name(d.target_param.as_ref().map(|t| t.span())),
        Locus::Param(i, f) => {
            let Some(p) = d.param.get(i) else {
                return d.name.span();
            };
            match f {
                ParamField::Name => p.name.span(),
                ParamField::Kind => p.kind.span(),
                ParamField::Default => p.default.as_ref().map_or(p.name.span(), |x| x.span()),
                ParamField::DifferentFrom => p
                    .different_from
                    .as_ref()
                    .map_or(p.name.span(), |x| x.span()),
            }
        }
        Locus::Step(phase, i, f) => {
            let list = match phase {
                Phase::Precheck => &d.precheck,
                Phase::Step => &d.step,
                Phase::Postcheck => &d.postcheck,
                Phase::Rollback => &d.rollback,
            };
            let Some(s) = list.get(i) else {
                return d.name.span();
            };
            let id = s.id.span();
            match f {
                StepField::Id => id,
                StepField::Op => s.op.span(),
                StepField::Danger => s.danger.as_ref().map_or(id, |x| x.span()),
                StepField::When => s.when.as_ref().map_or(id, |x| x.span()),
                StepField::Group => s.group.as_ref().map_or(id, |x| x.span()),
                StepField::Target => s.target.as_ref().map_or(id, |x| x.span()),
                StepField::OnFailure => s.on_failure.as_ref().map_or(id, |x| x.span()),
            }
        }
    }
}

fn param_of(plan: &str, d: &ParamDoc, sink: &mut Sink<'_>) -> Option<Param> {
    let name = d.name.get_ref();
    let before = sink.errors.len();
    let kind_name = d.kind.get_ref().as_str();
    // Fields that belong to other kinds are refused, naming the kind they belong to.
    let extras: [(&str, Option<Range<usize>>, &str); 6] = [
        ("pattern", d.pattern.as_ref().map(|x| x.span()), "string"),
        ("min", d.min.as_ref().map(|x| x.span()), "integer"),
        ("max", d.max.as_ref().map(|x| x.span()), "integer"),
        ("options", d.options.as_ref().map(|x| x.span()), "choice"),
        ("field", d.field.as_ref().map(|x| x.span()), "topology"),
        (
            "selector",
            d.selector.as_ref().map(|x| x.span()),
            "topology",
        ),
    ];
    let known = ["string", "integer", "boolean", "choice", "topology"];
    if known.contains(&kind_name) {
        for (field, span, owner) in extras {
            if let (Some(span), true) = (span, owner != kind_name) {
                sink.at(
                    span,
                    format!("plan {plan:?}: parameter {name}: {field} applies to {owner} parameters, not {kind_name}"),
                );
            }
        }
    }
    let kind = match kind_name {
        "string" => ParamKind::String {
            pattern: d.pattern.as_ref().map(|p| p.get_ref().clone()),
        },
        "integer" => ParamKind::Integer {
            min: d.min.as_ref().map(|x| *x.get_ref()),
            max: d.max.as_ref().map(|x| *x.get_ref()),
        },
        "boolean" => ParamKind::Boolean,
        "choice" => {
            match &d.options {
                Some(o) => ParamKind::Choice {
                    options: o.get_ref().clone(),
                },
                None => {
                    sink.at(
                    d.kind.span(),
                    format!("plan {plan:?}: parameter {name}: a choice needs options = [\"a\", \"b\"]"),
                );
                    return None;
                }
            }
        }
        "topology" => {
            let field = d
                .field
                .as_ref()
                .and_then(|f| TopologyField::parse(f.get_ref()));
            let Some(field) = field else {
                let span = d.field.as_ref().map_or(d.kind.span(), |f| f.span());
                sink.at(
                    span,
                    format!("plan {plan:?}: parameter {name}: a topology parameter needs field = one of name, product, app, kind, zone, cell, layer, role"),
                );
                return None;
            };
            let selector = d.selector.as_ref().map(|s| s.get_ref().clone());
            if let Some(s) = &d.selector
                && s.get_ref().is_empty()
            {
                sink.at(
                    s.span(),
                    format!("plan {plan:?}: parameter {name}: selector is empty; drop it to choose among every component"),
                );
            }
            ParamKind::Topology { field, selector }
        }
        other => {
            sink.at(
                d.kind.span(),
                format!("plan {plan:?}: parameter {name}: kind {other:?}: expected string, integer, boolean, choice or topology"),
            );
            return None;
        }
    };
    let default = d
        .default
        .as_ref()
        .map(|v| serde_json::to_value(v.get_ref()).unwrap_or(Value::Null));
    (sink.errors.len() == before).then(|| Param {
        name: name.clone(),
        kind,
        description: d.description.clone(),
        default,
        required: d.required.unwrap_or(true),
        different_from: d.different_from.as_ref().map(|x| x.get_ref().clone()),
    })
}

fn step_of(
    plan: &str,
    d: &StepDoc,
    sink: &mut Sink<'_>,
    check_probe: &dyn Fn(&Value) -> Result<(), String>,
) -> Option<Step> {
    let id = d.id.get_ref();
    let before = sink.errors.len();
    let at = |what: &str| format!("plan {plan:?}: step {id}: {what}");
    let op: Op = match toml::Value::Table(d.op.get_ref().clone()).try_into() {
        Ok(op) => op,
        Err(e) => {
            let e: toml::de::Error = e;
            sink.at(d.op.span(), at(&format!("op: {}", e.message().trim())));
            return None;
        }
    };
    if let Op::WaitUntil(w) = &op
        && let Err(m) = check_probe(&w.probe)
    {
        sink.at(d.op.span(), at(&format!("op: probe: {m}")));
    }
    let danger = match &d.danger {
        Some(g) => Danger::parse(g.get_ref()).unwrap_or_else(|| {
            sink.at(
                g.span(),
                at(&format!("danger {:?}: expected G1, G2 or G3", g.get_ref())),
            );
            Danger::G1
        }),
        None if op.needs_explicit_danger() => {
            sink.at(
                d.id.span(),
                at(&format!(
                    "a {} step must state its danger: danger = \"G1\", \"G2\" or \"G3\"",
                    op.kind()
                )),
            );
            Danger::G1
        }
        None => Danger::G1,
    };
    let mut duration = |field: &str, v: &Option<toml::Spanned<String>>, default: u64| match v {
        None => default,
        Some(t) => match duration_ms(t.get_ref()) {
            Ok(0) if field == "timeout" => {
                sink.at(t.span(), at("timeout must be above 0"));
                default
            }
            Ok(ms) => ms,
            Err(m) => {
                sink.at(t.span(), at(&format!("{field} = {m}")));
                default
            }
        },
    };
    let timeout_ms = duration("timeout", &d.timeout, op.default_timeout_ms());
    let retry_delay_ms = duration("retry_delay", &d.retry_delay, 5_000);
    // A wait ends after its duration and a gate at its deadline: a different timeout would
    // contradict them (the same value, as an export writes it, is accepted).
    if let (Some(t), Op::Wait(_) | Op::WaitUntil(_)) = (&d.timeout, &op)
        && timeout_ms != op.default_timeout_ms()
    {
        sink.at(
            t.span(),
            at(&format!(
                "a {} step ends at its own {} ({}); remove timeout",
                op.kind(),
                if matches!(op, Op::Wait(_)) {
                    "duration"
                } else {
                    "deadline"
                },
                duration_text(op.default_timeout_ms())
            )),
        );
    }
    (sink.errors.len() == before).then(|| Step {
        id: id.clone(),
        title: d.title.clone(),
        op,
        danger,
        timeout_ms,
        retries: d.retries,
        retry_delay_ms,
        when: d.when.as_ref().map(|w| w.get_ref().clone()),
        on_failure: d
            .on_failure
            .as_ref()
            .map(|o| *o.get_ref())
            .unwrap_or_default(),
        group: d.group.as_ref().map(|g| g.get_ref().clone()),
        target: d.target.as_ref().map(|t| t.get_ref().clone()),
    })
}

/// Validate one `[[scenario]]` against the plans it may recommend: `plans` (valid ones of these
/// files and stored ones) or `declared` (every plan name of these files, valid or not).
pub(super) fn scenario_of(
    d: &ScenarioDoc,
    plans: &[&Plan],
    declared: &[&str],
    sink: &mut Sink<'_>,
) -> Option<Scenario> {
    let name = d.name.get_ref();
    let before = sink.errors.len();
    if !crate::domain::plan::is_name(name) {
        sink.at(
            d.name.span(),
            format!("scenario name {name:?}: use letters, digits, -, _ and ."),
        );
    }
    let m = d.matcher.get_ref();
    if m.is_empty() {
        sink.at(
            d.matcher.span(),
            format!("scenario {name:?}: match is empty and would match every event; give labels, source, ds_type, level, component or title_contains"),
        );
    }
    for p in m.problems() {
        sink.at(d.matcher.span(), format!("scenario {name:?}: match: {p}"));
    }
    let mut recs = Vec::new();
    for (i, r) in d.plan.iter().enumerate() {
        let plan_name = r.plan.get_ref();
        if d.plan[..i].iter().any(|x| x.plan.get_ref() == plan_name) {
            sink.at(
                r.plan.span(),
                format!("scenario {name:?}: plan {plan_name:?} is recommended twice"),
            );
        }
        let plan = plans.iter().find(|p| p.name == *plan_name);
        if plan.is_none() && !declared.contains(&plan_name.as_str()) {
            sink.at(
                r.plan.span(),
                format!("scenario {name:?}: recommends plan {plan_name:?}, which is neither in these files nor stored"),
            );
        }
        let weight = r.weight.as_ref().map_or(50, |w| *w.get_ref());
        if let (Some(w), true) = (&r.weight, weight > 99) {
            sink.at(
                w.span(),
                format!("scenario {name:?}: weight {weight}: give 0 to 99"),
            );
        }
        let params = r
            .params
            .as_ref()
            .map(|p| p.get_ref().clone())
            .unwrap_or_default();
        let span = r.params.as_ref().map_or(r.plan.span(), |p| p.span());
        for (k, template) in &params {
            if let Some(plan) = plan
                && plan.param(k).is_none()
            {
                sink.at(
                    span.clone(),
                    format!("scenario {name:?}: plan {plan_name:?} has no parameter {k:?}"),
                );
            }
            match refs(template) {
                Err(e) => sink.at(span.clone(), format!("scenario {name:?}: params.{k}: {e}")),
                Ok(rs) => {
                    if rs
                        .iter()
                        .any(|r| !matches!(r, Ref::EventLabel(_) | Ref::EventField(_)))
                    {
                        sink.at(
                            span.clone(),
                            format!("scenario {name:?}: params.{k}: a recommendation reads only the event ({{{{event.labels.KEY}}}}, {{{{event.component}}}}, …)"),
                        );
                    }
                }
            }
        }
        recs.push(Recommendation {
            plan: plan_name.clone(),
            weight,
            params,
        });
    }
    (sink.errors.len() == before).then(|| Scenario {
        name: name.clone(),
        title: d.title.clone(),
        description: d.description.clone(),
        matcher: m.clone(),
        impact: d.impact.clone(),
        plans: recs,
        tree: d.tree.as_ref().map(|t| t.get_ref().clone()),
        self_heal: None,
    })
}

#[cfg(test)]
mod tests;
