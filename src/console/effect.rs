//! `Effect`: the IO that [`super::App::update`] asks for. The runtime runs each on a tokio task and
//! turns the result back into an [`super::Action`]. Nothing here performs IO itself.

use std::collections::BTreeMap;

use super::action::Operation;
use crate::domain::event::EventQuery;

/// A request for IO, produced by `update` and executed by `runtime.rs`.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Read the Overview; the answer carries `generation` so stale answers are dropped. `known`:
    /// the change stamp and audit count of the Overview on screen; when the stamp still reads
    /// the same nothing else is read, and the audit log is counted again only after it grew.
    LoadOverview {
        generation: u64,
        known: Option<Box<(crate::domain::OverviewStamp, i64)>>,
    },
    /// Perform a confirmed mutating operation, recorded with the actor and reason.
    Mutate {
        op: Operation,
        actor: String,
        reason: String,
    },
    /// Load a theme by name (user directory first, then built-in).
    LoadTheme(String),
    /// Read every configuration key (masked); the answer carries `generation`. `known`: the
    /// change stamp of the list on screen; when it still reads the same nothing else is read.
    LoadConfig { generation: u64, known: Option<u64> },
    /// Read the history of one key (masked, with diffs).
    LoadHistory { key: String },
    /// Read one page of events and the count of all that match. The page is `query.limit` rows
    /// after the keyset `query.after` when set (with `from_end`: the anchor lies after the page,
    /// so the query is in the opposite order and the rows are turned around), else at
    /// `query.offset` (with `from_end`: read from the end in the opposite order, a small OFFSET
    /// instead of a deep one). `known`: a poll; when the change stamp still reads `known`,
    /// nothing else is read.
    LoadEvents {
        request: u64,
        filter_gen: u64,
        query: EventQuery,
        from_end: bool,
        known: Option<i64>,
    },
    /// Count exactly what `query` matches (after a capped count), for filter generation `filter_gen`.
    CountEvents { filter_gen: u64, query: EventQuery },
    /// Read one event and its timeline, unless its change stamp (its `updated_at` and its newest
    /// timeline entry, two index lookups) still reads `known`.
    LoadEventDetail { id: i64, known: Option<(i64, i64)> },
    /// Read the Overview's event statistics as of `now`, unless the change stamp and the hour
    /// still read `known` (then nothing else is read).
    LoadEventStats { now: i64, known: Option<(i64, i64)> },
    /// Read the highest event id and the open P0/P1 events above `after` (none: only the id).
    CheckUrgent { after: Option<i64> },
    /// Ring the terminal bell (done by the event loop itself, not on a task).
    Bell,
    /// Read the inspection change stamp and, when it differs from `known`, the task list with each
    /// task's latest runs.
    LoadInspectionTasks {
        known: Option<crate::store::InspectionStamp>,
    },
    /// Read the newest `limit` runs of a task and how many it has.
    LoadInspectionRuns { task: String, limit: i64 },
    /// Read a run and its results above result id `after` (all of them once it has finished).
    LoadInspectionRun { id: i64, after: i64 },
    /// Read the runs' change stamp and, when it differs from `known`, the plan catalogue and the
    /// newest runs with their progress.
    LoadPlans { known: Option<i64> },
    /// Read one run and its steps (with the live output tails).
    LoadPlanRun { id: i64 },
    /// Build the launch form of `plan` (parameters, choices from the topology), filled from
    /// `prefill`; `event_id` (0: none) is the event it is launched from.
    OpenLaunchForm {
        plan: String,
        prefill: BTreeMap<String, String>,
        unfilled: Vec<String>,
        event_id: i64,
    },
    /// Resolve the form's parameters and describe every operation (no write).
    PreparePlan {
        plan: String,
        params: BTreeMap<String, String>,
        event_id: i64,
    },
    /// Write a step's output to `name` in the current directory (else `$TMPDIR`).
    SaveOutput { name: String, text: String },
    /// Rank the plans the scenarios recommend for event `id`.
    LoadRecommendations { id: i64 },
    /// Read event `id`'s latest diagnosis run with its tree.
    LoadDiagnosis { id: i64 },
    /// Read event `id`, or (`None`) the newest open P0/P1 event, to open its detail.
    OpenEvent { id: Option<i64> },
    /// Read the DR board (model, latest samples, histories, verdicts) as of `now`.
    LoadDr { now: i64 },
    /// Read one link's samples of the retention period.
    LoadDrLink { link: String },
}

impl Effect {
    /// Whether this effect changes the estate (never produced in read-only mode).
    pub fn is_mutating(&self) -> bool {
        matches!(self, Effect::Mutate { .. })
    }
}
