//! The process probe: how many processes on the local machine match a name or a command line
//! (the `ps -ef | grep …` check, without counting the grep).
//!
//! Values: `COUNT`. The output lists the matching PIDs and command lines (bounded).
//! Must not: signal or otherwise touch the processes it counts.

use serde::{Deserialize, Serialize};
use sysinfo::{ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};

use super::{ProbeError, ProbeOutput, bounded};

/// Options of the process probe; give `name`, `cmdline` or both (both must match).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessSpec {
    /// The program name, matched exactly against the process name, the executable's file name or
    /// the first argument's file name (so names longer than Linux's 15-character `comm` work).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A substring of the full command line (arguments joined by spaces).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmdline: Option<String>,
    /// `"target"`: run on the target component's host over its `ssh` endpoint (default: here).
    #[serde(default, skip_serializing_if = "super::On::is_local")]
    pub on: super::On,
}

pub(super) async fn run(spec: &ProcessSpec) -> Result<ProbeOutput, ProbeError> {
    if spec.name.is_none() && spec.cmdline.is_none() {
        return Err(ProbeError::Config(
            "process probe needs `name` or `cmdline`".to_owned(),
        ));
    }
    let spec = spec.clone();
    // Scanning /proc is blocking file IO over every process: keep it off the async workers.
    tokio::task::spawn_blocking(move || count(&spec))
        .await
        .map_err(|e| ProbeError::Failed(format!("process: {e}")))?
}

fn count(spec: &ProcessSpec) -> Result<ProbeOutput, ProbeError> {
    let mut sys = System::new().map_err(|e| ProbeError::Failed(format!("process: {e}")))?;
    let kind = ProcessRefreshKind::nothing()
        .with_cmd(UpdateKind::Always)
        .with_exe(UpdateKind::Always);
    sys.refresh_processes_specifics(ProcessesToUpdate::All, true, kind);
    let me = sysinfo::get_current_pid().ok();
    let mut found: Vec<(u32, String)> = sys
        .processes()
        .values()
        .filter(|p| p.thread_kind().is_none() && Some(p.pid()) != me)
        .filter_map(|p| {
            let cmd: Vec<String> = p
                .cmd()
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            let line = cmd.join(" ");
            let file = |s: &str| s.rsplit('/').next().unwrap_or(s).to_owned();
            let names = [
                Some(p.name().to_string_lossy().into_owned()),
                p.exe()
                    .and_then(|e| e.file_name())
                    .map(|f| f.to_string_lossy().into_owned()),
                cmd.first().map(|a| file(a)),
            ];
            let name_ok = spec
                .name
                .as_ref()
                .is_none_or(|n| names.iter().flatten().any(|x| x == n));
            let line_ok = spec
                .cmdline
                .as_ref()
                .is_none_or(|c| line.contains(c.as_str()));
            (name_ok && line_ok).then(|| (p.pid().as_u32(), line))
        })
        .collect();
    found.sort();
    let what = match (&spec.name, &spec.cmdline) {
        (Some(n), Some(c)) => format!("{n} with {c:?}"),
        (Some(n), None) => n.clone(),
        (None, Some(c)) => format!("{c:?}"),
        (None, None) => String::new(),
    };
    let listing: Vec<String> = found
        .iter()
        .map(|(pid, line)| format!("{pid} {line}"))
        .collect();
    let mut out = ProbeOutput::new(format!("{} process(es) matching {what}", found.len()))
        .with("COUNT", found.len());
    out.output = bounded(&listing.join("\n"));
    Ok(out)
}
