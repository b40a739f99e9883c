//! Templates in step fields: `{{params.NAME}}`, `{{steps.ID.output}}`, `{{steps.ID.status}}`,
//! `{{steps.ID.values.KEY}}`, `{{event.labels.KEY}}` (also `event.id`, `event.component`,
//! `event.level`, `event.title`, and what the event and the topology determine: `event.host`,
//! `event.port`, `event.instance`, `event.zone`, `event.peer`, `event.peer_host`,
//! `event.peer_port` (see `facts.rs`); only when launched from an event), `{{run.id}}`,
//! `{{run.dry_run}}`. Spaces inside the braces are allowed.
//!
//! Double braces so that shell `${X}`, JSON, PromQL `{job="x"}` and the probes' own `{host}`
//! placeholders pass through untouched. A `{{…}}` whose content is not a dotted name (Go
//! templates such as `docker ps --format '{{.Names}}'`) passes through too; a dotted name must be
//! a valid reference, so a typo is an error rather than literal text.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Op, Param, StepStatus};
use crate::domain::event::Event;

/// What a template may read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ref {
    Param(String),
    StepOutput(String),
    StepStatus(String),
    StepValue(String, String),
    EventLabel(String),
    /// `id`, `component`, `level` or `title`.
    EventField(String),
    RunId,
    RunDryRun,
}

impl std::fmt::Display for Ref {
    /// The reference as written in a template: `{{params.dir}}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ref::Param(n) => write!(f, "{{{{params.{n}}}}}"),
            Ref::StepOutput(s) => write!(f, "{{{{steps.{s}.output}}}}"),
            Ref::StepStatus(s) => write!(f, "{{{{steps.{s}.status}}}}"),
            Ref::StepValue(s, k) => write!(f, "{{{{steps.{s}.values.{k}}}}}"),
            Ref::EventLabel(k) => write!(f, "{{{{event.labels.{k}}}}}"),
            Ref::EventField(x) => write!(f, "{{{{event.{x}}}}}"),
            Ref::RunId => f.write_str("{{run.id}}"),
            Ref::RunDryRun => f.write_str("{{run.dry_run}}"),
        }
    }
}

impl Ref {
    /// A variable name for the value it reads (`{{params.dir}}` → `DIR`,
    /// `{{steps.check.values.role}}` → `CHECK_ROLE`), for the safe form of a script.
    pub fn env_name(&self) -> String {
        let raw = match self {
            Ref::Param(n) | Ref::EventLabel(n) => n.clone(),
            Ref::StepOutput(s) => format!("{s}_output"),
            Ref::StepStatus(s) => format!("{s}_status"),
            Ref::StepValue(s, k) => format!("{s}_{k}"),
            Ref::EventField(x) => format!("event_{x}"),
            Ref::RunId => "run_id".into(),
            Ref::RunDryRun => "dry_run".into(),
        };
        let mut name: String = raw
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        if name.starts_with(|c: char| c.is_ascii_digit()) {
            name.insert(0, '_');
        }
        name
    }

    /// The step it reads, if any.
    pub fn step(&self) -> Option<&str> {
        match self {
            Ref::StepOutput(s) | Ref::StepStatus(s) | Ref::StepValue(s, _) => Some(s),
            _ => None,
        }
    }

    fn parse(expr: &str) -> Result<Ref, String> {
        let parts: Vec<&str> = expr.split('.').collect();
        let bad = |hint: &str| Err(format!("{{{{{expr}}}}}: {hint}"));
        match parts.as_slice() {
            ["params", name] => Ok(Ref::Param((*name).to_owned())),
            ["params", ..] => bad("write {{params.NAME}}"),
            ["steps", id, "output"] => Ok(Ref::StepOutput((*id).to_owned())),
            ["steps", id, "status"] => Ok(Ref::StepStatus((*id).to_owned())),
            ["steps", id, "values", key @ ..] if !key.is_empty() => {
                Ok(Ref::StepValue((*id).to_owned(), key.join(".")))
            }
            ["steps", ..] => {
                bad("write {{steps.ID.output}}, {{steps.ID.status}} or {{steps.ID.values.KEY}}")
            }
            ["event", "labels", key @ ..] if !key.is_empty() => Ok(Ref::EventLabel(key.join("."))),
            ["event", field @ ("id" | "component" | "level" | "title")] => {
                Ok(Ref::EventField((*field).to_owned()))
            }
            ["event", fact] if super::facts::FACTS.contains(fact) => {
                Ok(Ref::EventField((*fact).to_owned()))
            }
            ["event", ..] => bad(
                "write {{event.labels.KEY}}, {{event.component}}, {{event.id}}, {{event.level}}, \
                 {{event.title}}, or a fact: {{event.host}}, {{event.port}}, {{event.instance}}, \
                 {{event.zone}}, {{event.peer}}, {{event.peer_host}}, {{event.peer_port}}",
            ),
            ["run", "id"] => Ok(Ref::RunId),
            ["run", "dry_run"] => Ok(Ref::RunDryRun),
            ["run", ..] => bad("write {{run.id}} or {{run.dry_run}}"),
            [root, ..] => bad(&format!(
                "unknown name {root:?}: templates read params, steps, event or run"
            )),
            [] => bad("empty"),
        }
    }
}

/// A template that cannot be parsed or rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    pub message: String,
}

/// What a finished (or running) step left for the steps after it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StepResult {
    #[serde(default)]
    pub status: StepStatus,
    /// Captured output (stdout + stderr, rows, reply), bounded by the executor.
    #[serde(default)]
    pub output: String,
    /// Named values (`EXIT_CODE`, `ROWS`, the probe's values, …).
    #[serde(default)]
    pub values: BTreeMap<String, Value>,
}

impl StepResult {
    pub fn new(status: StepStatus, output: impl Into<String>) -> StepResult {
        StepResult {
            status,
            output: output.into(),
            values: BTreeMap::new(),
        }
    }

    /// A value by its key as written, else upper-cased.
    pub fn value(&self, key: &str) -> Option<&Value> {
        self.values
            .get(key)
            .or_else(|| self.values.get(&key.to_uppercase()))
    }
}

/// The event a run was launched from, as templates see it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRef {
    pub id: i64,
    pub level: String,
    pub title: String,
    pub component: String,
    pub labels: BTreeMap<String, String>,
    /// What the event and the topology determine (`host`, `port`, …; see `facts.rs`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub facts: BTreeMap<String, String>,
}

impl From<&Event> for EventRef {
    fn from(e: &Event) -> EventRef {
        EventRef {
            id: e.id,
            level: e.level.as_str().to_owned(),
            title: e.title.clone(),
            component: e.component.clone(),
            labels: e.labels.clone(),
            facts: super::facts::event_facts(e, &[]),
        }
    }
}

impl EventRef {
    /// The event with what its component and the topology determine.
    pub fn with_topology(e: &Event, components: &[crate::domain::Component]) -> EventRef {
        EventRef {
            facts: super::facts::event_facts(e, components),
            ..EventRef::from(e)
        }
    }
}

/// Everything a template of a run may read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RenderCtx {
    /// Resolved parameters ([`super::resolve_params`]).
    pub params: BTreeMap<String, Value>,
    /// Results of the steps done so far, by id.
    pub steps: BTreeMap<String, StepResult>,
    pub event: Option<EventRef>,
    pub run_id: Option<i64>,
    pub dry_run: bool,
    /// Preview (dry run, confirmation screen): what is not known yet renders as a visible
    /// placeholder (`<output of step check>`) instead of failing.
    pub preview: bool,
}

impl RenderCtx {
    /// A preview context (dry run, G3 confirmation): parameters known, nothing run yet. Set
    /// `dry_run` if the preview is of a dry run.
    pub fn preview(params: BTreeMap<String, Value>, event: Option<EventRef>) -> RenderCtx {
        RenderCtx {
            params,
            event,
            preview: true,
            ..RenderCtx::default()
        }
    }

    fn lookup(&self, r: &Ref) -> Result<String, TemplateError> {
        let fail = |message: String| Err(TemplateError { message });
        let pending = |what: &str| -> Result<String, TemplateError> {
            if self.preview {
                Ok(format!("<{what}>"))
            } else {
                fail(format!("{what} is not known yet"))
            }
        };
        match r {
            // A declared optional parameter left unset reads as empty text.
            Ref::Param(name) => Ok(self
                .params
                .get(name)
                .map(Param::text_of)
                .unwrap_or_default()),
            Ref::StepOutput(id) | Ref::StepStatus(id) | Ref::StepValue(id, _) => {
                let Some(s) = self.steps.get(id) else {
                    return match r {
                        Ref::StepOutput(_) => pending(&format!("output of step {id}")),
                        Ref::StepStatus(_) => pending(&format!("status of step {id}")),
                        Ref::StepValue(_, key) => pending(&format!("{key} of step {id}")),
                        _ => pending(id),
                    };
                };
                match r {
                    Ref::StepOutput(_) => Ok(s.output.clone()),
                    Ref::StepStatus(_) => Ok(s.status.as_str().to_owned()),
                    Ref::StepValue(_, key) => match s.value(key) {
                        Some(v) => Ok(Param::text_of(v)),
                        None => fail(format!("step {id} gave no value {key}")),
                    },
                    _ => pending(id),
                }
            }
            Ref::EventLabel(key) => match &self.event {
                Some(e) => match e.labels.get(key) {
                    Some(v) => Ok(v.clone()),
                    None if self.preview => Ok(format!("<label {key} of the event>")),
                    None => fail(format!("the event has no label {key}")),
                },
                None => pending(&format!("event label {key}: the run has no event")),
            },
            Ref::EventField(field) => match &self.event {
                Some(e) => Ok(match field.as_str() {
                    "id" => e.id.to_string(),
                    "component" => e.component.clone(),
                    "level" => e.level.clone(),
                    "title" => e.title.clone(),
                    fact => match e.facts.get(fact) {
                        Some(v) => v.clone(),
                        None if self.preview => format!("<{fact} of the event>"),
                        None => {
                            return fail(format!(
                                "neither the event nor the topology determines its {fact}"
                            ));
                        }
                    },
                }),
                None => pending(&format!("event {field}: the run has no event")),
            },
            Ref::RunId => match self.run_id {
                Some(id) => Ok(id.to_string()),
                None => pending("run id"),
            },
            Ref::RunDryRun => Ok(self.dry_run.to_string()),
        }
    }
}

/// A piece of a parsed template.
pub(super) enum Piece<'a> {
    Text(&'a str),
    Ref(Ref),
}

fn is_dotted_name(s: &str) -> bool {
    s.split('.').all(|part| {
        let mut chars = part.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
    })
}

pub(super) fn parse(template: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            let head = after.trim_start();
            if ["params.", "steps.", "event.", "run."]
                .iter()
                .any(|r| head.starts_with(r))
            {
                return Err(TemplateError {
                    message: format!("unclosed {{{{ in {:?}", snippet(&rest[open..])),
                });
            }
            break;
        };
        let inner = after[..close].trim();
        if inner.contains('.') && is_dotted_name(inner) {
            pieces.push(Piece::Text(&rest[..open]));
            pieces.push(Piece::Ref(
                Ref::parse(inner).map_err(|message| TemplateError { message })?,
            ));
        } else {
            // Not ours (Go template, literal braces): keep it as written.
            pieces.push(Piece::Text(&rest[..open + 2 + close + 2]));
        }
        rest = &after[close + 2..];
    }
    pieces.push(Piece::Text(rest));
    Ok(pieces)
}

fn snippet(s: &str) -> String {
    s.chars().take(40).collect()
}

/// The references of a template (for validation), or why it does not parse.
pub fn refs(template: &str) -> Result<Vec<Ref>, TemplateError> {
    Ok(parse(template)?
        .into_iter()
        .filter_map(|p| match p {
            Piece::Ref(r) => Some(r),
            Piece::Text(_) => None,
        })
        .collect())
}

/// Render a template against a run's context.
pub fn render(template: &str, ctx: &RenderCtx) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len());
    for piece in parse(template)? {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Ref(r) => out.push_str(&ctx.lookup(&r)?),
        }
    }
    Ok(out)
}

/// Whether `v` holds a `{name}` placeholder of the kind a probe expands from its target
/// (`{host}`, `{labels.zone}`, `{password}`).
fn holds_target_placeholder(v: &str) -> bool {
    let mut rest = v;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        if let Some(close) = after.find('}') {
            let key = &after[..close];
            let mut chars = key.chars();
            if chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            {
                return true;
            }
        }
        rest = after;
    }
    false
}

/// [`render`] for a field that is expanded again from the step's target afterwards (a gate's
/// probe, a Redis `addr`): a value holding a `{placeholder}` is refused, or it would be expanded
/// in turn (`{password}` would become the target's password).
fn render_once(template: &str, ctx: &RenderCtx) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len());
    for piece in parse(template)? {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Ref(r) => {
                let v = ctx.lookup(&r)?;
                if holds_target_placeholder(&v) {
                    return Err(TemplateError {
                        message: format!(
                            "the value of {r} holds a {{placeholder}}, which this field would expand from the target; refused"
                        ),
                    });
                }
                out.push_str(&v);
            }
        }
    }
    Ok(out)
}

/// `op` with every text field rendered. An error names the field.
///
/// Values stay data whatever they hold: a URL field takes references only in its query, each
/// value percent-encoded ([`render_url`]); SQL `args` (of a `sql` op and of a gate's sql probe)
/// keep the referenced value's type ([`render_arg`]) and are bound, never pasted into SQL. The
/// fields that are code (a script, a statement, a query) are refused at `apply` when they hold a
/// template (`super::code_problems`); should one reach this point anyway, it renders as text
/// like any other field, and that check is what stands in the way.
pub fn render_op(op: &Op, ctx: &RenderCtx) -> Result<Op, TemplateError> {
    let named = |field: &str, e: TemplateError| TemplateError {
        message: format!("{field}: {}", e.message),
    };
    let mut out = op.try_map_strings(&mut |field, text| {
        let r = if is_url_field(field) {
            render_url(text, ctx)
        } else if matches!(op, Op::Http(_)) && field == "body" {
            render_body(text, ctx)
        } else if matches!(op, Op::Http(_)) && field.starts_with("headers.") {
            render_header(text, ctx)
        } else if field.starts_with("probe.") || field == "addr" {
            render_once(text, ctx)
        } else {
            render(text, ctx)
        };
        r.map_err(|e| named(field, e))
    })?;
    match (op, &mut out) {
        (Op::Sql(src), Op::Sql(dst)) => {
            for (i, (s, d)) in src.statements.iter().zip(&mut dst.statements).enumerate() {
                d.args = s
                    .args
                    .iter()
                    .map(|a| render_arg(a, ctx))
                    .collect::<Result<_, _>>()
                    .map_err(|e| named(&format!("statements[{i}].args"), e))?;
            }
        }
        (Op::WaitUntil(src), Op::WaitUntil(dst)) => {
            if let (Some(Value::Array(args)), Some(probe)) =
                (src.probe.get("args"), dst.probe.as_object_mut())
            {
                let typed = args
                    .iter()
                    .map(|a| render_arg(a, ctx))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| named("probe.args", e))?;
                probe.insert("args".into(), Value::Array(typed));
            }
        }
        _ => {}
    }
    Ok(out)
}

/// Whether a field (as [`Op::try_map_strings`] names it) holds a URL: `url`, `probe.url`,
/// `probe.login.url`.
pub(crate) fn is_url_field(field: &str) -> bool {
    field.rsplit('.').next() == Some("url")
}

/// A URL template rendered with every value percent-encoded as a query component. References
/// may stand only in the query (after the first `?`): a value that chose the host or the path
/// would choose where the request goes. `apply` refuses such a template; here it is an error too.
pub fn render_url(template: &str, ctx: &RenderCtx) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len());
    let mut in_query = false;
    for piece in parse(template)? {
        match piece {
            Piece::Text(t) => {
                in_query |= t.contains('?');
                out.push_str(t);
            }
            Piece::Ref(r) if in_query => {
                let v = ctx.lookup(&r)?;
                out.extend(url::form_urlencoded::byte_serialize(v.as_bytes()));
            }
            Piece::Ref(_) => {
                return Err(TemplateError {
                    message: "a value may stand in a URL only as a query value (after ?), where it is percent-encoded; never in its host or path".into(),
                });
            }
        }
    }
    Ok(out)
}

/// A value bound to a SQL placeholder. A string that is exactly one reference
/// (`"{{params.pod_id}}"`) becomes the referenced value with its type (an integer parameter is an
/// integer, a step's value keeps its JSON type); any other string renders as text; numbers,
/// booleans and null are taken as written.
pub fn render_arg(arg: &Value, ctx: &RenderCtx) -> Result<Value, TemplateError> {
    let Value::String(template) = arg else {
        return Ok(arg.clone());
    };
    let pieces = parse(template)?;
    if let [Piece::Text(""), Piece::Ref(r), Piece::Text("")] = pieces.as_slice() {
        let typed = match r {
            Ref::Param(name) => ctx.params.get(name).cloned(),
            Ref::StepValue(id, key) => ctx.steps.get(id).and_then(|s| s.value(key)).cloned(),
            _ => None,
        };
        if let Some(v) = typed.filter(|v| !v.is_array() && !v.is_object()) {
            return Ok(v);
        }
    }
    render(template, ctx).map(Value::String)
}

mod http;
pub use http::{render_body, render_header};

#[cfg(test)]
mod tests;
