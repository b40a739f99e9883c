//! What `/proc` says about the process groups nightwatch started: the boot they belong to, when
//! their leader started, whether any member is still alive, and killing them.
//!
//! A recorded group is identified by (boot id, pgid, leader start time): a pid is reused after a
//! reboot or once its group is gone, so a group is only "ours" when the boot matches and either
//! its leader is the very process we started (same start time) or the leader is gone but members
//! still hold the pgid (Linux never hands out a pid that is still in use as a process group id).

/// The kernel's boot id (`/proc/sys/kernel/random/boot_id`), empty when unreadable.
pub fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// (state, pgid, start time in clock ticks since boot) of a process, from `/proc/PID/stat`.
fn stat(pid: u32) -> Option<(char, u32, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest[0] is field 3 (state); pgid is field 5, starttime field 22.
    let state = fields.first()?.chars().next()?;
    let pgid = fields.get(2)?.parse().ok()?;
    let start = fields.get(19)?.parse().ok()?;
    Some((state, pgid, start))
}

/// When process `pid` started (clock ticks since boot), if it exists.
pub fn start_ticks(pid: u32) -> Option<u64> {
    stat(pid).map(|(_, _, s)| s)
}

/// Live (not zombie) members of process group `pgid`.
pub fn group_members(pgid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| matches!(stat(pid), Some((state, g, _)) if g == pgid && state != 'Z' && state != 'X'))
        .collect()
}

/// Whether any live process is in group `pgid`.
pub fn group_alive(pgid: u32) -> bool {
    !group_members(pgid).is_empty()
}

/// Whether the group recorded as (`boot`, `pgid`, leader started at `start`) may still be running
/// here: same boot, and its leader is the process we started or gone with members left.
pub fn recorded_group_alive(boot: &str, pgid: u32, start: u64) -> bool {
    if pgid == 0 || boot.is_empty() || boot != boot_id() {
        return false;
    }
    match stat(pgid) {
        Some((state, g, s)) if state != 'Z' && g == pgid => s == start,
        // The leader is gone (or a zombie): members holding the pgid are the same group.
        _ => group_alive(pgid),
    }
}

/// SIGKILL every member of group `pgid` (a group that is already gone is fine).
pub fn kill_group(pgid: u32) {
    let pid = i32::try_from(pgid)
        .ok()
        .and_then(rustix::process::Pid::from_raw);
    if let Some(pid) = pid {
        // rustix's safe wrapper of kill(2) on the group (unsafe is forbidden here).
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_recognised_and_a_wrong_boot_or_start_is_not() {
        let me = std::process::id();
        let start = start_ticks(me).unwrap();
        assert_eq!(boot_id().len(), 36, "{}", boot_id());
        // This test process is not a group leader; its own group is alive.
        let (_, pgid, _) = stat(me).unwrap();
        assert!(group_alive(pgid));
        assert!(!recorded_group_alive("not-this-boot", pgid, start));
        assert!(!recorded_group_alive(&boot_id(), 0, start));
        let leader_start = start_ticks(pgid).unwrap();
        assert!(recorded_group_alive(&boot_id(), pgid, leader_start));
        assert!(!recorded_group_alive(
            &boot_id(),
            pgid,
            leader_start.wrapping_add(1)
        ));
    }
}
