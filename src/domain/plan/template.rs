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

impl Ref {
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
enum Piece<'a> {
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

fn parse(template: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
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

/// `op` with every text field rendered. An error names the field.
pub fn render_op(op: &Op, ctx: &RenderCtx) -> Result<Op, TemplateError> {
    op.try_map_strings(&mut |field, text| {
        render(text, ctx).map_err(|e| TemplateError {
            message: format!("{field}: {}", e.message),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> RenderCtx {
        let mut c = RenderCtx {
            params: [
                ("dir".to_owned(), json!("/home/admin/logs")),
                ("days".to_owned(), json!(7)),
            ]
            .into(),
            run_id: Some(42),
            ..RenderCtx::default()
        };
        let mut check = StepResult::new(StepStatus::Succeeded, "3 files");
        check.values.insert("EXIT_CODE".into(), json!(0));
        c.steps.insert("check".into(), check);
        c
    }

    #[test]
    fn renders_references_and_leaves_other_braces_alone() {
        let c = ctx();
        assert_eq!(
            render("find {{params.dir}} -mtime +{{ params.days }}", &c).unwrap(),
            "find /home/admin/logs -mtime +7"
        );
        assert_eq!(
            render(
                "{{steps.check.output}}/{{steps.check.status}}/{{steps.check.values.exit_code}}",
                &c
            )
            .unwrap(),
            "3 files/succeeded/0"
        );
        assert_eq!(
            render("run {{run.id}} dry={{run.dry_run}}", &c).unwrap(),
            "run 42 dry=false"
        );
        for literal in [
            "echo ${HOME} {x}",
            r#"{"a": {"b": 1}}"#,
            r#"up{job="node"}"#,
            "curl http://{host}:{port}/",
            "docker ps --format '{{.Names}}'",
            "{{ range .Items }}",
            "{{x}}",
        ] {
            assert_eq!(render(literal, &c).unwrap(), literal);
        }
    }

    #[test]
    fn bad_references_are_errors() {
        let c = ctx();
        let e = render("{{parms.dir}}", &c).unwrap_err();
        assert!(e.message.contains("unknown name \"parms\""), "{e}");
        let e = render("{{steps.check}}", &c).unwrap_err();
        assert!(e.message.contains("steps.ID.output"), "{e}");
        let e = render("rm {{params.dir", &c).unwrap_err();
        assert!(e.message.contains("unclosed"), "{e}");
        let e = render("{{steps.later.output}}", &c).unwrap_err();
        assert!(e.message.contains("not known yet"), "{e}");
        let e = render("{{steps.check.values.NOPE}}", &c).unwrap_err();
        assert!(e.message.contains("no value NOPE"), "{e}");
        let e = render("{{event.labels.instance}}", &c).unwrap_err();
        assert!(e.message.contains("no event"), "{e}");
    }

    #[test]
    fn preview_shows_what_is_not_known_yet() {
        let mut c = ctx();
        c.preview = true;
        c.run_id = None;
        assert_eq!(
            render(
                "{{steps.later.output}} {{run.id}} {{steps.x.values.ROLE}}",
                &c
            )
            .unwrap(),
            "<output of step later> <run id> <ROLE of step x>"
        );
        assert_eq!(render("[{{params.unset}}]", &c).unwrap(), "[]");
    }

    #[test]
    fn event_fields() {
        let mut c = ctx();
        c.event = Some(EventRef {
            id: 7,
            level: "P1".into(),
            component: "redis-a".into(),
            labels: [("instance".to_owned(), "10.0.0.5:6379".to_owned())].into(),
            ..EventRef::default()
        });
        assert_eq!(
            render(
                "{{event.labels.instance}} {{event.component}} #{{event.id}} {{event.level}}",
                &c
            )
            .unwrap(),
            "10.0.0.5:6379 redis-a #7 P1"
        );
        assert_eq!(
            refs("{{event.labels.a.b}}").unwrap(),
            vec![Ref::EventLabel("a.b".into())]
        );
    }
}
