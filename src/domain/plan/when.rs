//! `when` conditions: the inspection condition DSL (`Condition`) over a run's values, read with
//! dotted placeholders: `[params.NAME]`, `[STEP.status]`, `[STEP.output]` (the step's own),
//! `[STEP.KEY]` or `[STEP.values.KEY]` (a value the step's op gave: `[check.EXIT_CODE]`; the
//! second form also reaches op values named STATUS or OUTPUT, e.g. an http op's
//! `[probe.values.STATUS]`), `[event.labels.KEY]`,
//! `[event.component]`, `[run.dry_run]`. Names are case-insensitive. A step the context does not
//! hold (it never ran, e.g. seen from a rollback) reads as `[STEP.status] == pending` with an
//! empty output; an unset optional parameter reads as empty text.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Param, RenderCtx, Step};
use crate::domain::inspection::Condition;

/// Whether `step` runs: its `when` holds (or it has none). `Err` when the condition does not
/// parse or reads a value the run does not have; the executor fails the step with that message.
pub fn when_holds(step: &Step, ctx: &RenderCtx) -> Result<bool, String> {
    when_state(step, ctx).map(|s| s.unwrap_or(false))
}

/// Like [`when_holds`], but `Ok(None)` in a preview when the answer depends on a step that has
/// not run.
pub(crate) fn when_state(step: &Step, ctx: &RenderCtx) -> Result<Option<bool>, String> {
    let Some(text) = &step.when else {
        return Ok(Some(true));
    };
    let cond = Condition::parse(text).map_err(|e| format!("when {text:?}: {e}"))?;
    let mut values = values_of(ctx);
    for name in cond.placeholders() {
        if values.contains_key(name) {
            continue;
        }
        let (root, rest) = name.split_once('.').unwrap_or((name, ""));
        let unrun_step = !matches!(root, "PARAMS" | "EVENT" | "RUN") && !has_step(ctx, root);
        if ctx.preview && unrun_step {
            return Ok(None);
        }
        match rest {
            "STATUS" if unrun_step => {
                values.insert(name.to_owned(), Value::String("pending".into()));
            }
            "OUTPUT" if unrun_step => {
                values.insert(name.to_owned(), Value::String(String::new()));
            }
            _ => return Err(format!("when {text:?}: [{name}] is not known to this run")),
        }
    }
    cond.eval(&values)
        .map(Some)
        .map_err(|e| format!("when {text:?}: {e}"))
}

fn has_step(ctx: &RenderCtx, upper_id: &str) -> bool {
    ctx.steps.keys().any(|id| id.to_uppercase() == upper_id)
}

/// The values a `when` reads, keyed as the condition parser names them (upper-case).
fn values_of(ctx: &RenderCtx) -> BTreeMap<String, Value> {
    let mut v = BTreeMap::new();
    for (name, value) in &ctx.params {
        let value = match value {
            Value::Null => Value::String(String::new()),
            other => other.clone(),
        };
        v.insert(format!("PARAMS.{}", name.to_uppercase()), value);
    }
    for (id, s) in &ctx.steps {
        let id = id.to_uppercase();
        for (k, x) in &s.values {
            let k = k.to_uppercase();
            v.insert(format!("{id}.VALUES.{k}"), x.clone());
            v.insert(format!("{id}.{k}"), x.clone());
        }
        v.insert(
            format!("{id}.STATUS"),
            Value::String(s.status.as_str().to_owned()),
        );
        v.insert(format!("{id}.OUTPUT"), Value::String(s.output.clone()));
    }
    if let Some(e) = &ctx.event {
        for (k, x) in &e.labels {
            v.insert(
                format!("EVENT.LABELS.{}", k.to_uppercase()),
                Value::String(x.clone()),
            );
        }
        v.insert("EVENT.ID".into(), Value::from(e.id));
        v.insert("EVENT.COMPONENT".into(), Value::String(e.component.clone()));
        v.insert("EVENT.LEVEL".into(), Value::String(e.level.clone()));
        v.insert("EVENT.TITLE".into(), Value::String(e.title.clone()));
    }
    if let Some(id) = ctx.run_id {
        v.insert("RUN.ID".into(), Value::from(id));
    }
    v.insert("RUN.DRY_RUN".into(), Value::Bool(ctx.dry_run));
    v
}

/// Static check of a `when` (validation): it parses, and every placeholder names a declared
/// parameter, an event or run field, or a value of a step in `earlier`. Errors say where.
pub(crate) fn check_when(
    text: &str,
    params: &[Param],
    earlier: &[&str],
    later: &[&str],
) -> Result<(), String> {
    if text.contains("{{") {
        return Err(
            "when reads [params.NAME] and [STEP.status] placeholders, not {{…}} templates".into(),
        );
    }
    let cond = Condition::parse(text).map_err(|e| e.to_string())?;
    for name in cond.placeholders() {
        let Some((root, rest)) = name.split_once('.') else {
            return Err(format!(
                "[{name}]: say what to read: [params.NAME], [STEP.status], [STEP.output], [STEP.VALUE] or [event.labels.KEY]"
            ));
        };
        let is = |id: &&str| id.to_uppercase() == root;
        match root {
            "PARAMS" => {
                if !params.iter().any(|p| p.name.to_uppercase() == rest) {
                    return Err(format!("[{name}]: no parameter {}", rest.to_lowercase()));
                }
            }
            "EVENT" => {
                let ok = rest.starts_with("LABELS.")
                    || matches!(rest, "ID" | "COMPONENT" | "LEVEL" | "TITLE");
                if !ok {
                    return Err(format!(
                        "[{name}]: read [event.labels.KEY], [event.component], [event.id], [event.level] or [event.title]"
                    ));
                }
            }
            "RUN" => {
                if !matches!(rest, "ID" | "DRY_RUN") {
                    return Err(format!("[{name}]: read [run.id] or [run.dry_run]"));
                }
            }
            _ if earlier.iter().any(is) => {}
            _ if later.iter().any(is) => {
                return Err(format!(
                    "[{name}]: step {} has not run yet at this point (a step reads only steps before it, not those running alongside it)",
                    root.to_lowercase()
                ));
            }
            _ => return Err(format!("[{name}]: no step {}", root.to_lowercase())),
        }
    }
    Ok(())
}
