//! The launch form: one field per parameter (choices cycle with ←/→), the dry-run switch, and
//! Enter to prepare (resolve and describe, no write); a prepared plan asks the confirmation its
//! danger demands (G3: every resolved operation, the typed target name and a reason), and only a
//! confirmed launch is queued. Errors land on the field they name, with the fix.

use super::App;
use crate::console::action::{Action, Operation, PlanLaunch, PlansAction};
use crate::console::effect::Effect;
use crate::console::plans::{LaunchForm, PreparedView};
use crate::console::tab::Tab;
use crate::domain::Danger;

impl App {
    /// A bound action while the launch form is open.
    pub(super) fn on_plan_form(&mut self, action: Action) -> Vec<Effect> {
        let Some(f) = &mut self.plans.form else {
            return Vec::new();
        };
        let on_switch = f.focus >= f.fields.len();
        match action {
            Action::Back => {
                let from = f.event_id;
                self.plans.form = None;
                // Opened on an event: back to that event, where the operator came from.
                if from > 0 && self.events.detail.as_ref().is_some_and(|d| d.id == from) {
                    self.tab = Tab::Events;
                }
                self.info("launch cancelled: nothing was started");
            }
            Action::NextField | Action::Down => f.move_focus(1),
            Action::OnPlans(PlansAction::PrevField) | Action::Up => f.move_focus(-1),
            Action::OnPlans(PlansAction::ToggleDryRun) => f.dry_run = !f.dry_run,
            Action::CursorLeft | Action::CursorRight if on_switch => f.dry_run = !f.dry_run,
            Action::CursorLeft | Action::CursorRight => {
                let by = if action == Action::CursorRight { 1 } else { -1 };
                if let Some(field) = f.field_mut() {
                    if field.choices.is_empty() {
                        field.input.move_cursor(by);
                    } else {
                        field.cycle(by);
                    }
                }
            }
            Action::DeleteBack | Action::DeleteWord | Action::ClearLine => {
                if let Some(field) = f.field_mut() {
                    match action {
                        Action::DeleteBack => field.input.delete_back(),
                        Action::DeleteWord => field.input.delete_word(),
                        _ => field.input.set(""),
                    }
                    field.error = None;
                }
            }
            Action::Submit if f.preparing => {}
            Action::Submit => {
                f.preparing = true;
                f.error = None;
                return vec![Effect::PreparePlan {
                    plan: f.plan.clone(),
                    params: f.params(),
                    event_id: f.event_id,
                }];
            }
            Action::Quit | Action::Exit => return self.ask_quit(),
            _ => {}
        }
        Vec::new()
    }

    /// Text typed into the form: into the focused field; on the dry-run switch, space or d flips it.
    pub(super) fn plan_form_text(&mut self, text: &str) {
        let Some(f) = &mut self.plans.form else {
            return;
        };
        match f.field_mut() {
            Some(field) => {
                field.input.insert(text);
                field.error = None;
            }
            None if matches!(text, " " | "d") => f.dry_run = !f.dry_run,
            None => {}
        }
        self.dirty = true;
    }

    /// The form was built.
    pub(super) fn on_launch_form(&mut self, result: Result<Box<LaunchForm>, String>) {
        match result {
            Ok(form) => {
                self.tab = Tab::Plans;
                self.plans.live = None;
                let no_topology = self
                    .events
                    .detail
                    .as_ref()
                    .is_some_and(|d| d.id == form.event_id && !d.topology);
                let note = if form.unfilled.is_empty() {
                    format!(
                        "launch {}: fill in the parameters, Enter to prepare",
                        form.plan
                    )
                } else if no_topology {
                    format!(
                        "launch {}: no topology applied, so {} stay empty (nightwatch apply)",
                        form.plan,
                        form.unfilled.join(", ")
                    )
                } else {
                    format!(
                        "launch {}: the event did not fill {}",
                        form.plan,
                        form.unfilled.join(", ")
                    )
                };
                self.plans.form = Some(*form);
                self.info(&note);
            }
            Err(e) => self.error(&e),
        }
    }

    /// `prepare` answered: ask the confirmation, or show the problems on their fields.
    pub(super) fn on_plan_prepared(
        &mut self,
        plan: &str,
        result: Result<Box<PreparedView>, Vec<String>>,
    ) -> Vec<Effect> {
        let Some(f) = self.plans.form.as_mut().filter(|f| f.plan == plan) else {
            return Vec::new();
        };
        f.preparing = false;
        self.dirty = true;
        let view = match result {
            Ok(v) => v,
            Err(errors) => {
                f.set_errors(&errors);
                self.error("the plan cannot be launched with these values: see the form");
                return Vec::new();
            }
        };
        if !view.errors.is_empty() && !f.dry_run {
            f.set_errors(&view.errors);
            self.error("some steps cannot be rendered with these values: see the form");
            return Vec::new();
        }
        f.set_errors(&[]);
        let op = Operation::LaunchPlan(Box::new(PlanLaunch {
            plan: f.plan.clone(),
            params: f.params(),
            dry_run: f.dry_run,
            event_id: f.event_id,
            danger: if f.dry_run { Danger::G1 } else { view.danger },
            target: view
                .confirm_target
                .clone()
                .unwrap_or_else(|| f.plan.clone()),
            ops: view.ops.clone(),
            typed: String::new(),
            host: view.host.clone(),
        }));
        self.update(Action::Request(op))
    }

    /// A confirmed launch came back: open the run live, or say why nothing started.
    pub(super) fn on_plan_launched(&mut self, result: Result<i64, String>) -> Vec<Effect> {
        match result {
            Ok(id) => {
                let plan = self.plans.form.take().map(|f| f.plan).unwrap_or_default();
                self.info(&format!(
                    "queued run #{id} of {plan}: an engine picks it up"
                ));
                if let Some(m) = &mut self.message {
                    m.expires = super::Expiry::RunActive(id);
                }
                self.tab = Tab::Plans;
                let mut effects = self.open_live(id);
                effects.extend(self.load_plans(true));
                effects
            }
            Err(e) => {
                if let Some(f) = &mut self.plans.form {
                    f.error = Some(e.clone());
                }
                self.error(&format!("not launched: {e}"));
                Vec::new()
            }
        }
    }
}
