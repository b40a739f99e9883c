//! Typed plan parameters and their resolution from the `name=value` texts an operator gives (CLI
//! `-p k=v`, the console's launch form, a scenario's recommendation). Topology parameters take
//! their choices from the component list: the **faulty datacenter** and the **available
//! datacenter** of a DR plan are `kind = "topology", field = "zone"` parameters, the second with
//! `different_from` the first.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Plan;
use crate::domain::Component;
use crate::domain::content::Selector;

/// A parameter of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Param {
    /// Referenced as `{{params.NAME}}` and `[params.NAME]`.
    pub name: String,
    #[serde(flatten)]
    pub kind: ParamKind,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Used when no value is given (typed: a number for an integer, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// Must a value be given (or defaulted)? An optional parameter left unset resolves to `null`,
    /// which templates and `when` read as empty text.
    #[serde(default = "yes")]
    pub required: bool,
    /// The value must differ from this other parameter's (DR: available ≠ faulty datacenter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub different_from: Option<String>,
}

fn yes() -> bool {
    true
}

/// The type of a parameter, tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ParamKind {
    /// Free text, optionally constrained by a regular expression (matched whole).
    String {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pattern: Option<String>,
    },
    /// A whole number, optionally bounded (inclusive).
    Integer {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<i64>,
    },
    /// `true/false`, `yes/no`, `on/off`, `1/0`.
    Boolean,
    /// One of a fixed list.
    Choice { options: Vec<String> },
    /// One of the distinct values of a component field (`zone` = datacenter, `cell`, `product`,
    /// `app`, `name`, …) among the components the selector matches (all when absent).
    Topology {
        field: TopologyField,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        selector: Option<Selector>,
    },
}

impl ParamKind {
    pub fn name(&self) -> &'static str {
        match self {
            ParamKind::String { .. } => "string",
            ParamKind::Integer { .. } => "integer",
            ParamKind::Boolean => "boolean",
            ParamKind::Choice { .. } => "choice",
            ParamKind::Topology { .. } => "topology",
        }
    }
}

/// The component field a topology parameter chooses from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::EnumIter)]
#[serde(rename_all = "lowercase")]
pub enum TopologyField {
    Name,
    Product,
    App,
    Kind,
    /// The datacenter.
    Zone,
    /// The logical unit.
    Cell,
    Layer,
    Role,
}

impl TopologyField {
    pub fn as_str(self) -> &'static str {
        match self {
            TopologyField::Name => "name",
            TopologyField::Product => "product",
            TopologyField::App => "app",
            TopologyField::Kind => "kind",
            TopologyField::Zone => "zone",
            TopologyField::Cell => "cell",
            TopologyField::Layer => "layer",
            TopologyField::Role => "role",
        }
    }

    pub fn parse(s: &str) -> Option<TopologyField> {
        use strum::IntoEnumIterator;
        TopologyField::iter().find(|f| f.as_str() == s)
    }

    /// The field of `c`.
    pub fn of(self, c: &Component) -> String {
        match self {
            TopologyField::Name => c.name.clone(),
            TopologyField::Product => c.product.clone(),
            TopologyField::App => c.app.clone(),
            TopologyField::Kind => c.kind.clone(),
            TopologyField::Zone => c.zone.clone(),
            TopologyField::Cell => c.cell.clone(),
            TopologyField::Layer => c.layer.to_string(),
            TopologyField::Role => c.role.clone(),
        }
    }
}

/// A parameter that cannot take the value given: which one, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{param}: {message}")]
pub struct ParamError {
    pub param: String,
    pub message: String,
}

impl Param {
    /// The values a choice or topology parameter accepts (distinct, sorted for a topology; as
    /// written for a choice); empty for free kinds.
    pub fn choices(&self, components: &[Component]) -> Vec<String> {
        match &self.kind {
            ParamKind::Choice { options } => options.clone(),
            ParamKind::Topology { field, selector } => components
                .iter()
                .filter(|c| selector.as_ref().is_none_or(|s| s.matches(c)))
                .map(|c| field.of(c))
                .filter(|v| !v.is_empty())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Parse one given text into the parameter's typed value.
    pub fn parse_value(&self, text: &str, components: &[Component]) -> Result<Value, String> {
        let t = text.trim();
        match &self.kind {
            ParamKind::String { pattern } => {
                if let Some(p) = pattern {
                    let re = regex::Regex::new(&format!("^(?:{p})$")).map_err(|e| e.to_string())?;
                    if !re.is_match(t) {
                        return Err(format!("{t:?} does not match the pattern {p}"));
                    }
                }
                Ok(Value::String(t.to_owned()))
            }
            ParamKind::Integer { min, max } => {
                let n: i64 = t
                    .parse()
                    .map_err(|_| format!("{t:?} is not a whole number"))?;
                match (min, max) {
                    (Some(lo), _) if n < *lo => Err(bounds(n, *min, *max)),
                    (_, Some(hi)) if n > *hi => Err(bounds(n, *min, *max)),
                    _ => Ok(Value::from(n)),
                }
            }
            ParamKind::Boolean => match t.to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "1" | "y" => Ok(Value::Bool(true)),
                "false" | "no" | "off" | "0" | "n" => Ok(Value::Bool(false)),
                _ => Err(format!("{t:?} is not a boolean; give true or false")),
            },
            ParamKind::Choice { options } => {
                if options.iter().any(|o| o == t) {
                    Ok(Value::String(t.to_owned()))
                } else {
                    Err(format!("{t:?} is not one of {}", options.join(", ")))
                }
            }
            ParamKind::Topology { field, .. } => {
                let choices = self.choices(components);
                if choices.iter().any(|c| c == t) {
                    Ok(Value::String(t.to_owned()))
                } else if choices.is_empty() {
                    Err(format!(
                        "{t:?} is not a {}: no component offers one (apply the topology first)",
                        field.as_str()
                    ))
                } else {
                    Err(format!(
                        "{t:?} is not a {}; choose one of {}",
                        field.as_str(),
                        choices.join(", ")
                    ))
                }
            }
        }
    }

    /// The value's text as a template or a launch form shows it.
    pub fn text_of(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }
}

fn bounds(n: i64, min: Option<i64>, max: Option<i64>) -> String {
    match (min, max) {
        (Some(lo), Some(hi)) => format!("{n} is out of range; give {lo} to {hi}"),
        (Some(lo), None) => format!("{n} is too small; give at least {lo}"),
        (None, Some(hi)) => format!("{n} is too large; give at most {hi}"),
        (None, None) => String::new(),
    }
}

/// Resolve the values of every parameter of `plan` from `given` (`name → text`): typed parsing,
/// defaults, required parameters, `different_from`. Every declared parameter is in the result;
/// an optional one left unset is `null` (templates and `when` read it as empty text). Every
/// problem is reported, each naming the parameter and the fix.
pub fn resolve_params(
    plan: &Plan,
    given: &BTreeMap<String, String>,
    components: &[Component],
) -> Result<BTreeMap<String, Value>, Vec<ParamError>> {
    let mut errors = Vec::new();
    let mut out = BTreeMap::new();
    for name in given.keys() {
        if plan.param(name).is_none() {
            let names: Vec<&str> = plan.params.iter().map(|p| p.name.as_str()).collect();
            errors.push(ParamError {
                param: name.clone(),
                message: if names.is_empty() {
                    format!("plan {} takes no parameters", plan.name)
                } else {
                    format!(
                        "unknown parameter; plan {} takes {}",
                        plan.name,
                        names.join(", ")
                    )
                },
            });
        }
    }
    for p in &plan.params {
        let err = |message: String| ParamError {
            param: p.name.clone(),
            message,
        };
        match (given.get(&p.name), &p.default) {
            (Some(text), _) => match p.parse_value(text, components) {
                Ok(v) => {
                    out.insert(p.name.clone(), v);
                }
                Err(m) => errors.push(err(m)),
            },
            (None, Some(d)) => {
                out.insert(p.name.clone(), d.clone());
            }
            (None, None) if p.required => {
                let choices = p.choices(components);
                let hint = if choices.is_empty() {
                    format!("give {}=…", p.name)
                } else {
                    format!("choose one of {}", choices.join(", "))
                };
                let what = if p.description.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", p.description)
                };
                errors.push(err(format!("required{what}; {hint}")));
            }
            (None, None) => {
                out.insert(p.name.clone(), Value::Null);
            }
        }
    }
    for p in &plan.params {
        let Some(other) = &p.different_from else {
            continue;
        };
        if let (Some(a), Some(b)) = (out.get(&p.name), out.get(other))
            && a == b
        {
            let rest: Vec<String> = p
                .choices(components)
                .into_iter()
                .filter(|c| Value::String(c.clone()) != *b)
                .collect();
            let hint = if rest.is_empty() {
                String::new()
            } else {
                format!("; choose one of {}", rest.join(", "))
            };
            errors.push(ParamError {
                param: p.name.clone(),
                message: format!(
                    "must differ from {other} (both are {}){hint}",
                    Param::text_of(a)
                ),
            });
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}
