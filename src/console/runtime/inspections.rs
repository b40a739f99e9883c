//! Performing the Inspections pane's effects: the stamp check and the task list, a task's runs,
//! one run with its results after a cursor, and an operator's manual run.

use super::super::action::Action;
use super::super::effect::Effect;
use super::super::inspections::{RunRead, TREND, TasksSnapshot, is_active};
use crate::domain::time::now_ms;
use crate::store::{Store, StoreError};

/// Perform an inspections read (anything else answers `Noop`).
pub(super) async fn perform(store: &Store, effect: Effect) -> Action {
    match effect {
        Effect::LoadInspectionTasks { known } => {
            let result = async {
                let stamp = store.inspection_stamp().await?;
                if known.as_ref() == Some(&stamp) {
                    return Ok(None);
                }
                // Read after the stamp: a change in between shows as a new stamp next time.
                let tasks = store.task_summaries(TREND).await?;
                Ok::<_, StoreError>(Some(Box::new(TasksSnapshot { stamp, tasks })))
            }
            .await
            .map_err(|e| e.to_string());
            Action::InspectionTasksLoaded(result)
        }
        Effect::LoadInspectionRuns { task, limit } => {
            let result = async {
                let rows = store.list_runs(Some(&task), limit).await?;
                let total = store.count_runs(&task).await?;
                Ok::<_, StoreError>((rows, total))
            }
            .await
            .map_err(|e| e.to_string());
            Action::InspectionRunsLoaded { task, result }
        }
        Effect::LoadInspectionRun { id, after } => {
            let result = async {
                // The run first: once it reads finished, every result is in (the engine stores
                // them before it finishes the run), so that read takes them all, not just those
                // after the cursor (ids of concurrent inserts may commit out of order).
                let run = store.get_run(id).await?;
                let from = if is_active(&run.status) { after } else { 0 };
                let results = store.run_results_after(id, from).await?;
                Ok::<_, StoreError>(Box::new(RunRead { run, results, from }))
            }
            .await
            .map_err(|e| e.to_string());
            Action::InspectionRunLoaded { id, result }
        }
        _ => Action::Noop,
    }
}

/// Queue a manual run of `task` for `actor` (audited with the confirmation's reason).
pub(super) async fn request_run(store: &Store, task: String, actor: &str, reason: &str) -> Action {
    let result = store
        .request_run(&task, actor, reason, now_ms())
        .await
        .map_err(|e| e.to_string());
    Action::RunQueued { task, result }
}
