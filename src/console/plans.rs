//! The Plans pane's state (tab 5): the plan catalogue and the newest runs, the launch form, and
//! one run's live view (steps, the selected step's output followed, scrolled or searched).
//!
//! Pure data and arithmetic; `app/plans*.rs` changes it in response to actions, and
//! `panes/plans*` draw it. No IO here. Polling is cheap: the lists are read again only when the
//! runs' change stamp moved; the open run while it is active or when its row changed.

use std::collections::BTreeMap;

use crate::console::events::InFlight;
use crate::console::line_input::LineInput;
use crate::domain::Danger;
use crate::store::{PlanRow, PlanRunRow, StepRow};

/// How many of the newest runs the runs list reads.
pub const RUNS_LIMIT: i64 = 200;

/// One plan of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanEntry {
    /// The stored plan.
    pub row: PlanRow,
    /// Its title.
    pub title: String,
    /// How many steps (every phase).
    pub steps: usize,
    /// Its danger (the highest of its steps).
    pub danger: Danger,
}

/// One run of the runs list, with its progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunEntry {
    /// The run.
    pub run: PlanRunRow,
    /// Steps finished (succeeded, failed, skipped).
    pub done: i64,
    /// Steps in all.
    pub total: i64,
}

/// What one poll brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlansSnapshot {
    /// The runs' change stamp as of the read.
    pub stamp: i64,
    /// The catalogue, by name.
    pub plans: Vec<PlanEntry>,
    /// The newest runs, newest first.
    pub runs: Vec<RunEntry>,
}

/// What `prepare` found for a filled-in form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedView {
    /// Where it acts, for the confirmation's header (`web-18 (ssh_host)`, `THIS MACHINE …`).
    pub host: Option<String>,
    /// The plan's danger.
    pub danger: Danger,
    /// The name a G3 confirmation types.
    pub confirm_target: Option<String>,
    /// Every resolved operation, one line each, in execution order.
    pub ops: Vec<String>,
    /// Steps whose templates cannot be rendered (the run would fail there).
    pub errors: Vec<String>,
}

/// Whether a run status means the engine may still change it.
pub fn is_active(status: &str) -> bool {
    matches!(
        status,
        "queued" | "awaiting_approval" | "running" | "paused"
    )
}

/// Whether a step counts as finished for the progress gauge.
pub fn step_done(status: &str) -> bool {
    matches!(status, "succeeded" | "failed" | "skipped")
}

/// Which list of the tab has the selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Section {
    /// The plan catalogue.
    #[default]
    Catalogue,
    /// The runs.
    Runs,
}

/// One parameter of the launch form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FormField {
    /// The parameter's name.
    pub name: String,
    /// Its kind (`string`, `integer`, `choice`, `topology`, …).
    pub kind: String,
    /// What it means.
    pub description: String,
    /// Must a value be given?
    pub required: bool,
    /// The values a choice or topology parameter accepts (←/→ cycle them).
    pub choices: Vec<String>,
    /// The text typed.
    pub input: LineInput,
    /// Why `prepare` refused it.
    pub error: Option<String>,
    /// An empty value means the machine nightwatch runs on (said on the form when empty).
    pub local_when_empty: bool,
}

impl FormField {
    /// Cycle to the next (`+1`) or previous choice.
    pub fn cycle(&mut self, by: isize) {
        if self.choices.is_empty() {
            return;
        }
        let n = self.choices.len();
        let next = match self.choices.iter().position(|c| c == self.input.text()) {
            Some(i) => (i + n).saturating_add_signed(by) % n,
            None if by >= 0 => 0,
            None => n - 1,
        };
        self.input.set(&self.choices[next]);
        self.error = None;
    }
}

/// The launch form of one plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchForm {
    /// The plan.
    pub plan: String,
    /// Its title.
    pub title: String,
    /// Its danger.
    pub danger: Danger,
    /// One field per parameter.
    pub fields: Vec<FormField>,
    /// The focused field; `fields.len()` is the dry-run switch.
    pub focus: usize,
    /// Launch as a dry run (only G1 checks execute).
    pub dry_run: bool,
    /// The risk event it is launched from (0: none).
    pub event_id: i64,
    /// Parameters a recommendation could not fill from the event.
    pub unfilled: Vec<String>,
    /// A problem not tied to one field.
    pub error: Option<String>,
    /// `prepare` is under way.
    pub preparing: bool,
}

impl Default for LaunchForm {
    fn default() -> LaunchForm {
        LaunchForm {
            plan: String::new(),
            title: String::new(),
            danger: Danger::G1,
            fields: Vec::new(),
            focus: 0,
            dry_run: false,
            event_id: 0,
            unfilled: Vec::new(),
            error: None,
            preparing: false,
        }
    }
}

impl LaunchForm {
    /// The parameters as typed (empty ones left out, so defaults apply).
    pub fn params(&self) -> BTreeMap<String, String> {
        self.fields
            .iter()
            .filter(|f| !f.input.text().trim().is_empty())
            .map(|f| (f.name.clone(), f.input.text().trim().to_owned()))
            .collect()
    }

    /// The focused text field (none on the dry-run switch).
    pub fn field_mut(&mut self) -> Option<&mut FormField> {
        self.fields.get_mut(self.focus)
    }

    /// Move the focus by `by`, wrapping over the fields and the dry-run switch.
    pub fn move_focus(&mut self, by: isize) {
        let n = self.fields.len() + 1;
        self.focus = (self.focus + n).saturating_add_signed(by) % n;
    }

    /// Put `prepare`'s problems on their fields (`--param NAME: message`); the rest on the form.
    pub fn set_errors(&mut self, errors: &[String]) {
        for f in &mut self.fields {
            f.error = None;
        }
        let mut rest = Vec::new();
        let mut first = None;
        for e in errors {
            let named = e
                .strip_prefix("--param ")
                .and_then(|r| r.split_once(": "))
                .and_then(|(name, msg)| {
                    let i = self.fields.iter().position(|f| f.name == name)?;
                    Some((i, msg))
                });
            match named {
                Some((i, msg)) => {
                    self.fields[i].error = Some(msg.to_owned());
                    first.get_or_insert(i);
                }
                None => rest.push(e.clone()),
            }
        }
        self.error = (!rest.is_empty()).then(|| rest.join("; "));
        if let Some(i) = first {
            self.focus = i;
        }
    }
}

/// One run opened live.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunLive {
    /// Which run.
    pub id: i64,
    /// The run as last read.
    pub run: Option<PlanRunRow>,
    /// Its steps.
    pub steps: Vec<StepRow>,
    /// The selected step (index into `steps`).
    pub selected: usize,
    /// The operator moved the selection: stop jumping to the running step.
    pub pinned: bool,
    /// Show the tail of the output as it grows.
    pub follow: bool,
    /// First output line shown when not following.
    pub scroll: usize,
    /// The last search.
    pub search: Option<String>,
    /// The last read error.
    pub error: Option<String>,
    /// A read is under way.
    pub in_flight: InFlight,
}

impl RunLive {
    /// A live view of run `id`, following.
    pub fn new(id: i64) -> RunLive {
        RunLive {
            id,
            follow: true,
            ..RunLive::default()
        }
    }

    /// The selected step.
    pub fn step(&self) -> Option<&StepRow> {
        self.steps.get(self.selected)
    }

    /// Whether the engine may still change the run.
    pub fn active(&self) -> bool {
        self.run.as_ref().is_none_or(|r| is_active(&r.status))
    }

    /// (finished, all) steps.
    pub fn progress(&self) -> (usize, usize) {
        let done = self.steps.iter().filter(|s| step_done(&s.status)).count();
        (done, self.steps.len())
    }

    /// Take a read in; unless the operator chose a step, select the one the engine is at.
    pub fn absorb(&mut self, run: PlanRunRow, steps: Vec<StepRow>) {
        self.run = Some(run);
        self.steps = steps;
        self.error = None;
        if !self.pinned
            && let Some(i) = self
                .steps
                .iter()
                .position(|s| matches!(s.status.as_str(), "running" | "waiting"))
                .or_else(|| self.steps.iter().rposition(|s| s.status != "pending"))
        {
            self.selected = i;
        }
        self.selected = self.selected.min(self.steps.len().saturating_sub(1));
    }

    /// The selected step's output lines.
    pub fn lines(&self) -> Vec<&str> {
        self.step()
            .map(|s| s.output.lines().collect())
            .unwrap_or_default()
    }

    /// Find `text` in the output from the line after the current scroll (wrapping); stops
    /// following and scrolls there. `false` when nowhere.
    pub fn find(&mut self, text: &str) -> bool {
        let needle = text.to_lowercase();
        let lines: Vec<String> = self.lines().iter().map(|l| l.to_lowercase()).collect();
        let n = lines.len();
        if n == 0 || needle.is_empty() {
            return false;
        }
        let start = if self.follow { 0 } else { self.scroll + 1 };
        let hit = (0..n)
            .map(|k| (start + k) % n)
            .find(|&i| lines[i].contains(&needle));
        self.search = Some(text.to_owned());
        match hit {
            Some(i) => {
                self.follow = false;
                self.scroll = i;
                true
            }
            None => false,
        }
    }
}

/// The Plans pane's state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlansState {
    /// The stamp of the last read (sent with the next poll: unchanged means no read).
    pub stamp: Option<i64>,
    /// The catalogue.
    pub plans: Vec<PlanEntry>,
    /// The newest runs.
    pub runs: Vec<RunEntry>,
    /// Which list has the selection.
    pub section: Section,
    /// Selected plan.
    pub plan_sel: usize,
    /// Selected run.
    pub run_sel: usize,
    /// A read arrived at least once.
    pub loaded: bool,
    /// The last read error.
    pub error: Option<String>,
    /// The read under way.
    pub in_flight: InFlight,
    /// The launch form, when open.
    pub form: Option<LaunchForm>,
    /// The run's live view, when open.
    pub live: Option<RunLive>,
    /// The catalogue as read (`plans` is what passes the `/` filter).
    pub all_plans: Vec<PlanEntry>,
    /// The runs as read (`runs` is what passes the `/` filter).
    pub all_runs: Vec<RunEntry>,
}

impl PlansState {
    /// Show what passes `filter` of the lists as read, keeping the selected run selected.
    pub fn refilter(&mut self, filter: &crate::console::filter::Filter) {
        let keep_run = self.selected_run().map(|r| r.run.id);
        let plans: Vec<PlanEntry> = self
            .all_plans
            .iter()
            .filter(|p| filter.matches(*p))
            .cloned()
            .collect();
        let runs: Vec<RunEntry> = self
            .all_runs
            .iter()
            .filter(|r| filter.matches(*r))
            .cloned()
            .collect();
        self.plans = plans;
        self.runs = runs;
        self.plan_sel = self.plan_sel.min(self.plans.len().saturating_sub(1));
        self.run_sel = keep_run
            .and_then(|id| self.runs.iter().position(|r| r.run.id == id))
            .unwrap_or(self.run_sel)
            .min(self.runs.len().saturating_sub(1));
    }

    /// The selected plan.
    pub fn selected_plan(&self) -> Option<&PlanEntry> {
        self.plans.get(self.plan_sel)
    }

    /// The selected run.
    pub fn selected_run(&self) -> Option<&RunEntry> {
        self.runs.get(self.run_sel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_cycle_both_ways() {
        let mut f = FormField {
            choices: vec!["dc1".into(), "dc2".into()],
            ..FormField::default()
        };
        f.cycle(1);
        assert_eq!(f.input.text(), "dc1");
        f.cycle(1);
        assert_eq!(f.input.text(), "dc2");
        f.cycle(1);
        assert_eq!(f.input.text(), "dc1");
        f.cycle(-1);
        assert_eq!(f.input.text(), "dc2");
    }

    #[test]
    fn param_errors_land_on_their_fields() {
        let mut form = LaunchForm {
            fields: vec![
                FormField {
                    name: "node".into(),
                    ..FormField::default()
                },
                FormField {
                    name: "zone".into(),
                    ..FormField::default()
                },
            ],
            ..LaunchForm::default()
        };
        form.set_errors(&[
            "--param zone: \"x\" is not a zone; choose one of dc1".into(),
            "step/a: bad template".into(),
        ]);
        assert_eq!(form.focus, 1);
        assert!(
            form.fields[1]
                .error
                .as_deref()
                .unwrap_or("")
                .contains("dc1")
        );
        assert_eq!(form.error.as_deref(), Some("step/a: bad template"));
    }

    #[test]
    fn search_wraps_and_stops_following() {
        let mut v = RunLive::new(1);
        v.steps = vec![StepRow {
            run_id: 1,
            seq: 1,
            phase: "step".into(),
            step_id: "a".into(),
            title: String::new(),
            kind: "command".into(),
            danger: "G1".into(),
            group: String::new(),
            status: "running".into(),
            attempts: 1,
            started_at: 0,
            finished_at: 0,
            updated_at: 0,
            rendered: String::new(),
            message: String::new(),
            values_json: String::new(),
            output: "alpha\nbeta\ngamma\nbeta again".into(),
        }];
        assert!(v.find("BETA"));
        assert_eq!((v.follow, v.scroll), (false, 1));
        assert!(v.find("beta"));
        assert_eq!(v.scroll, 3);
        assert!(v.find("beta"));
        assert_eq!(v.scroll, 1, "wraps");
        assert!(!v.find("delta"));
    }
}
