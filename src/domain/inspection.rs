//! Daily inspection (DOMAIN.md §1, §3): the condition language that judges a probe's values, and
//! the window/threshold rules that turn single observations into verdicts ("CPU > 80 % for 5
//! minutes", "3 times in a row"). Pure: probes measure, the engine schedules, the store keeps.

mod condition;
mod duration;
mod observation;
mod track;

pub use condition::{Condition, ConditionError};
pub use duration::parse_duration;
pub use observation::{Observation, Unobserved};
pub use track::{Thresholds, Track, Verdict};
