//! The Plans pane's keys: the catalogue and the runs (←/→ switch, `/` filters both), Enter on a plan opens its
//! launch form (through `launch_plan`, a mutating action the read-only gate refuses), Enter on a
//! run opens its live view; there `p` pause/resume, `a` abort, `r` re-run from the selected step,
//! `s` skip it, `c` confirm a manual step, `A` approve, `X` abort, each asking the confirmation its danger
//! demands; `f` follow, `/` `n` search, `w` save the output.

use super::{App, Prompt, PromptKind};
use crate::console::action::{Action, Operation, PlansAction};
use crate::console::effect::Effect;
use crate::console::line_input::LineInput;
use crate::console::plans::{RunLive, Section};

impl App {
    /// A bound action on the Plans tab (lists or live view); the rest works as while browsing.
    pub(super) fn on_plans(&mut self, action: Action) -> Vec<Effect> {
        self.dirty = true;
        if action == Action::Refresh {
            return self.reload_plans();
        }
        if self.plans.live.is_some() {
            return self.on_run_live(action);
        }
        let s = &mut self.plans;
        let (sel, len) = match s.section {
            Section::Catalogue => (s.plan_sel, s.plans.len()),
            Section::Runs => (s.run_sel, s.runs.len()),
        };
        let last = len.saturating_sub(1);
        let step = |by: isize| sel.saturating_add_signed(by).min(last);
        let next = match action {
            Action::Down => step(1),
            Action::Up => step(-1),
            Action::PageDown => step(10),
            Action::PageUp => step(-10),
            Action::Top => 0,
            Action::Bottom => last,
            Action::NextField | Action::OnPlans(PlansAction::PrevField) => {
                s.section = match s.section {
                    Section::Catalogue => Section::Runs,
                    Section::Runs => Section::Catalogue,
                };
                return Vec::new();
            }
            Action::Select if s.section == Section::Catalogue => {
                return self.update(Action::OnPlans(PlansAction::LaunchPlan));
            }
            Action::Select => return self.open_live_selected(),
            Action::OnPlans(PlansAction::LaunchPlan) => return self.open_launch_selected(),
            other => return self.on_normal(other),
        };
        match s.section {
            Section::Catalogue => s.plan_sel = next,
            Section::Runs => s.run_sel = next,
        }
        Vec::new()
    }

    /// `x`/Enter on the catalogue: build the selected plan's launch form.
    fn open_launch_selected(&mut self) -> Vec<Effect> {
        let Some(p) = self.plans.selected_plan() else {
            self.info("no plan selected: the catalogue fills when plans are applied");
            return Vec::new();
        };
        let plan = p.row.name.clone();
        self.plans.section = Section::Catalogue;
        vec![Effect::OpenLaunchForm {
            plan,
            prefill: Default::default(),
            unfilled: Vec::new(),
            event_id: 0,
        }]
    }

    fn open_live_selected(&mut self) -> Vec<Effect> {
        let Some(id) = self.plans.selected_run().map(|r| r.run.id) else {
            return Vec::new();
        };
        self.open_live(id)
    }

    /// Open run `id` live and read it now.
    pub(super) fn open_live(&mut self, id: i64) -> Vec<Effect> {
        let mut live = RunLive::new(id);
        if let Some(r) = self.plans.runs.iter().find(|r| r.run.id == id) {
            live.run = Some(r.run.clone());
        }
        self.plans.live = Some(live);
        self.load_live()
    }

    fn on_run_live(&mut self, action: Action) -> Vec<Effect> {
        let Some(v) = &mut self.plans.live else {
            return Vec::new();
        };
        let lines = v.lines().len();
        let last_step = v.steps.len().saturating_sub(1);
        match action {
            Action::Back => {
                // Back on the runs list with this run selected, whatever moved meanwhile.
                let id = v.id;
                self.plans.live = None;
                if let Some(i) = self.plans.runs.iter().position(|r| r.run.id == id) {
                    self.plans.run_sel = i;
                    self.plans.section = crate::console::plans::Section::Runs;
                }
            }
            Action::Down | Action::Up if v.follow => {
                let by = if action == Action::Down { 1 } else { -1 };
                v.selected = v.selected.saturating_add_signed(by).min(last_step);
                v.pinned = true;
            }
            Action::Down => v.scroll = (v.scroll + 1).min(lines.saturating_sub(1)),
            Action::Up => v.scroll = v.scroll.saturating_sub(1),
            Action::PageDown | Action::PageUp => {
                let by: isize = if action == Action::PageDown { 10 } else { -10 };
                if v.follow {
                    v.follow = false;
                    v.scroll = lines.saturating_sub(10);
                }
                v.scroll = v
                    .scroll
                    .saturating_add_signed(by)
                    .min(lines.saturating_sub(1));
            }
            Action::Top => {
                v.follow = false;
                v.scroll = 0;
            }
            Action::Bottom => v.follow = true,
            Action::OnPlans(PlansAction::FollowOutput) => {
                v.follow = !v.follow;
                if !v.follow {
                    v.scroll = lines.saturating_sub(10);
                }
                let what = if v.follow {
                    "following the output (j/k pick the step)"
                } else {
                    "not following: j/k/PgUp/PgDn scroll the output, / searches"
                };
                self.info(what);
            }
            Action::Find | Action::Filter => {
                self.prompt = Some(Prompt {
                    kind: PromptKind::Find,
                    input: LineInput::default(),
                    candidates: Vec::new(),
                    before: String::new(),
                });
            }
            Action::FindNext => {
                let last = v.search.clone();
                return match last {
                    Some(text) => self.find_in_output(&text),
                    None => {
                        self.info("no search yet: / searches the output");
                        Vec::new()
                    }
                };
            }
            Action::OnPlans(PlansAction::SaveOutput) => return self.save_output(),
            Action::OnPlans(PlansAction::PauseRun)
            | Action::OnPlans(PlansAction::AbortRun)
            | Action::OnPlans(PlansAction::RetryStep)
            | Action::OnPlans(PlansAction::SkipStep)
            | Action::OnPlans(PlansAction::ConfirmStep)
            | Action::OnPlans(PlansAction::ApproveRun) => return self.steer_run(&action),
            other => return self.on_normal(other),
        }
        Vec::new()
    }

    /// `/` in the live view: search the selected step's output.
    pub(super) fn find_in_output(&mut self, text: &str) -> Vec<Effect> {
        let Some(v) = &mut self.plans.live else {
            return Vec::new();
        };
        if v.find(text) {
            let at = v.scroll + 1;
            self.info(&format!("{text:?} at output line {at} (n next, f follow)"));
        } else {
            self.error(&format!("{text:?} is not in this step's output"));
        }
        Vec::new()
    }

    fn save_output(&mut self) -> Vec<Effect> {
        let Some(v) = &self.plans.live else {
            return Vec::new();
        };
        let Some(s) = v.step() else {
            self.info("no step selected");
            return Vec::new();
        };
        vec![Effect::SaveOutput {
            name: format!("nightwatch-run-{}-step-{}-{}.log", v.id, s.seq, s.step_id),
            text: s.output.clone(),
        }]
    }

    /// The steering keys: the operation for the run and step on screen, or why none applies.
    fn steer_run(&mut self, action: &Action) -> Vec<Effect> {
        let Some(v) = &self.plans.live else {
            return Vec::new();
        };
        let Some(r) = &v.run else {
            self.info("the run is still loading");
            return Vec::new();
        };
        let (run, plan, status) = (r.id, r.plan.clone(), r.status.as_str());
        let step = v.step();
        let op = match action {
            Action::OnPlans(PlansAction::PauseRun) => match status {
                "paused" => Operation::PauseRun {
                    run,
                    plan,
                    resume: true,
                },
                "running" if r.control == "pause" => Operation::PauseRun {
                    run,
                    plan,
                    resume: true,
                },
                "running" => Operation::PauseRun {
                    run,
                    plan,
                    resume: false,
                },
                other => {
                    self.error(&format!("run #{run} is {other}: only a running run pauses"));
                    return Vec::new();
                }
            },
            Action::OnPlans(PlansAction::AbortRun) if !crate::console::plans::is_active(status) => {
                self.error(&format!("run #{run} is {status}: nothing to abort"));
                return Vec::new();
            }
            Action::OnPlans(PlansAction::AbortRun) => Operation::AbortRun { run, plan },
            Action::OnPlans(PlansAction::ApproveRun) if status == "awaiting_approval" => {
                Operation::ApproveRun { run, plan }
            }
            Action::OnPlans(PlansAction::ApproveRun) => {
                self.error(&format!("run #{run} is {status}: nothing to approve"));
                return Vec::new();
            }
            Action::OnPlans(PlansAction::ConfirmStep) => match step {
                Some(s) if s.status == "waiting" => Operation::ConfirmStep {
                    run,
                    plan,
                    seq: s.seq,
                },
                _ => {
                    self.error("the selected step is not waiting for a person to confirm it");
                    return Vec::new();
                }
            },
            Action::OnPlans(PlansAction::RetryStep) | Action::OnPlans(PlansAction::SkipStep) => {
                if !matches!(status, "failed" | "aborted" | "interrupted" | "rolled_back") {
                    self.error(&format!(
                        "run #{run} is {status}: only a failed, aborted or interrupted run \
                         goes on from a step"
                    ));
                    return Vec::new();
                }
                let Some(s) = step else {
                    self.info("no step selected");
                    return Vec::new();
                };
                Operation::ResumeRun {
                    run,
                    plan,
                    seq: s.seq,
                    skip: *action == Action::OnPlans(PlansAction::SkipStep),
                    interrupted: status == "interrupted",
                    typed: String::new(),
                }
            }
            _ => return Vec::new(),
        };
        self.update(Action::Request(op))
    }
}
