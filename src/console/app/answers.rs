//! The answers of reads and the incident shortcuts, routed to the pane that asked: each pane's
//! file applies its own (`config.rs`, `events.rs`, `inspections.rs`, `plans.rs`, `incident.rs`).
//! Split from [`super::App::update`] so the one entry point stays readable.

use super::{App, Expiry, INFO_TTL_MS, Message};
use crate::console::action::Action;
use crate::console::effect::Effect;
use crate::console::events::InFlight;

impl App {
    /// Apply the answer of a read (or an incident shortcut); anything else is ignored.
    pub(super) fn on_answer(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::OperationDone { message, failed } => {
                self.message = Some(Message {
                    text: message,
                    error: failed,
                    expires: if failed {
                        Expiry::Replaced
                    } else {
                        Expiry::At(self.now + INFO_TTL_MS)
                    },
                });
                self.dirty = true;
                let mut effects = self.load();
                effects.extend(self.after_event_action(failed));
                effects.extend(self.after_plan_action());
                effects
            }
            Action::ConfigLoaded {
                generation,
                stamp,
                result,
            } => {
                self.on_config_loaded(generation, stamp, result);
                Vec::new()
            }
            Action::ConfigUnchanged { generation } => {
                self.on_config_unchanged(generation);
                Vec::new()
            }
            Action::HistoryLoaded { key, result } => {
                self.on_history_loaded(&key, result);
                Vec::new()
            }
            Action::ConfigSaved { key, result } => self.on_config_saved(&key, result),
            Action::OpenConfigKey(key) => self.open_config_key(key),
            Action::EventsLoaded {
                request,
                filter_gen,
                result,
            } => self.on_events_loaded(request, filter_gen, result),
            Action::EventsUnchanged {
                request,
                filter_gen,
            } => {
                self.on_events_unchanged(request, filter_gen);
                Vec::new()
            }
            Action::EventsCounted {
                filter_gen,
                stamp,
                result,
            } => {
                self.on_events_counted(filter_gen, stamp, result);
                Vec::new()
            }
            Action::EventDetailLoaded { id, stamp, result } => {
                self.on_event_detail_loaded(id, stamp, result)
            }
            Action::EventDetailUnchanged { id } => {
                if let Some(d) = self.events.detail.as_mut().filter(|d| d.id == id) {
                    d.in_flight = InFlight(None);
                }
                Vec::new()
            }
            Action::EventStatsLoaded(result) => {
                self.on_event_stats(result);
                Vec::new()
            }
            Action::EventStatsUnchanged => {
                self.events.stats_in_flight = InFlight(None);
                Vec::new()
            }
            Action::UrgentChecked(result) => self.on_urgent(result),
            Action::InspectionTasksLoaded(result) => self.on_inspection_tasks(result),
            Action::InspectionRunsLoaded { task, result } => self.on_inspection_runs(&task, result),
            Action::InspectionRunLoaded { id, result } => self.on_inspection_run(id, result),
            Action::RunQueued { task, result } => self.on_run_queued(&task, result),
            Action::PlansLoaded(result) => self.on_plans_loaded(result),
            Action::PlanRunLoaded { id, result } => self.on_plan_run(id, result),
            Action::LaunchFormLoaded(result) => {
                self.on_launch_form(result);
                Vec::new()
            }
            Action::PlanPrepared { plan, result } => self.on_plan_prepared(&plan, result),
            Action::PlanLaunched(result) => self.on_plan_launched(result),
            Action::OutputSaved(result) => {
                self.on_output_saved(result);
                Vec::new()
            }
            Action::LaunchRecommended(rank) => self.launch_recommended(rank),
            Action::RecommendationsLoaded {
                id,
                result,
                topology,
            } => self.on_recommendations(id, result, topology),
            Action::OpenEvent(id) => self.open_event(id),
            Action::EventOpened(result) => self.on_event_opened(result),
            Action::DiagnosisLoaded { id, result } => {
                if let Some(d) = self.events.detail.as_mut().filter(|d| d.id == id) {
                    match result {
                        Ok(v) => {
                            d.diagnosis = v.map(|v| *v);
                            d.diagnosis_error = None;
                        }
                        Err(e) => d.diagnosis_error = Some(e),
                    }
                    self.dirty = true;
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }
}
