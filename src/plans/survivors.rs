//! Processes that may outlive their run: a plan step's process group is recorded while it runs
//! (`plan_run_steps.pgid` with the boot id and the leader's start time). After an engine died,
//! the group should already be gone (the leash, [`crate::child`]); this is the second line: an
//! engine kills what survived of interrupted runs on its host, and resuming a run from a step is
//! refused while a step of it may still be running here.

use crate::child::proc::{boot_id, kill_group, recorded_group_alive};
use crate::store::{StepProcess, Store, StoreError};

fn alive(p: &StepProcess) -> bool {
    let (Ok(pgid), Ok(start)) = (u32::try_from(p.pgid), u64::try_from(p.proc_start)) else {
        return false;
    };
    recorded_group_alive(&p.boot_id, pgid, start)
}

/// Why run `run` must not be resumed now: a step's recorded process group is still alive on this
/// host. `None`: nothing of it runs here (or it ran on another host, whose engine's death took
/// its processes with it).
pub async fn still_running(store: &Store, run: i64) -> Result<Option<String>, StoreError> {
    Ok(store
        .plan_run_processes(run)
        .await?
        .into_iter()
        .find(alive)
        .map(|p| {
            format!(
                "step {} of run {run} may still be running (its process group {} is alive on this \
                 host): nothing changed; wait for it to end, or abort the run, before resuming",
                p.seq, p.pgid
            )
        }))
}

/// Kill every surviving process group of an interrupted run recorded on this boot, and forget
/// the record. Returns how many groups were still alive.
pub async fn kill_survivors(store: &Store) -> Result<usize, StoreError> {
    let mut killed = 0;
    for p in store.interrupted_processes(&boot_id()).await? {
        if alive(&p)
            && let Ok(pgid) = u32::try_from(p.pgid)
        {
            kill_group(pgid);
            killed += 1;
            tracing::warn!(
                run = p.run_id,
                seq = p.seq,
                pgid,
                "killed the surviving process group of an interrupted plan step"
            );
        }
        store.clear_plan_step_process(p.run_id, p.seq).await?;
    }
    Ok(killed)
}
