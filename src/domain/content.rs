//! Content as code (DESIGN.md §5): components, inspection rules, tasks, plans and scenarios written
//! as TOML files and applied with `nightwatch apply`. Parsing and validation are pure; a file that
//! does not validate is refused whole, with the file, the line and the reason.

mod docs;
mod selector;
mod validate;

pub use docs::{
    ComponentDoc, ContentFile, DatacenterDoc, DrPlanDoc, DrSystemDoc, LinkDoc, ParamDoc, PlanDoc,
    RecommendationDoc, RuleDoc, ScenarioDoc, Schedule, StepDoc, TaskDoc,
};
pub use selector::Selector;
pub use validate::{
    Bundle, ContentError, Known, Rule, Targets, Task, load_bundle, load_bundle_with,
};
