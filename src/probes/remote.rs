//! Probes on the target's own host (`on = "target"`): the command, host and process probes run
//! through the SSH executor ([`crate::remote`]) instead of on the engine's machine.
//!
//! The host probe reads the remote `/proc/stat` (two samples), `/proc/meminfo`,
//! `/proc/loadavg`, `/proc/cpuinfo` and `df -PT`, and gives the same values as locally (`CPU`,
//! `MEMORY` counting `MemAvailable` as free, `DISK[/mount]`, `DISK`, `LOAD1/5/15`, `CPU_COUNT`).
//! The process probe runs `ps` remotely with the name and command line as variables (data).
//! Must not: put a spec value into a script text; every value travels as a variable.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{ProbeContext, ProbeError, ProbeOutput, Target, bounded};
use crate::domain::ssh::SshEndpoint;
use crate::remote::{RemoteCommand, RemoteError, RemoteOutput};

/// Where a command, host or process probe runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum On {
    /// The machine nightwatch runs on (the default).
    #[default]
    Local,
    /// The target component's host, over its `ssh` endpoint.
    Target,
}

impl On {
    /// For `skip_serializing_if`.
    pub fn is_local(&self) -> bool {
        *self == On::Local
    }
}

/// The target's `ssh` endpoint, or a configuration error naming the fix.
pub(super) fn endpoint(target: &Target) -> Result<SshEndpoint, ProbeError> {
    SshEndpoint::from_endpoints(&target.endpoints)
        .map_err(|e| ProbeError::Config(format!("target {}: endpoints.{e}", target.name)))?
        .ok_or_else(|| {
            ProbeError::Config(format!(
                "on = \"target\" but target {} has no ssh endpoint: add [endpoints.ssh] (host, user, identity) or drop `on`",
                target.name
            ))
        })
}

/// Run `program -c script` with `env` on the target's host.
pub(super) async fn run(
    ctx: &ProbeContext,
    target: &Target,
    program: &str,
    script: &str,
    env: &[(String, String)],
    workdir: Option<&str>,
    timeout: Duration,
) -> Result<RemoteOutput, ProbeError> {
    let ep = endpoint(target)?;
    let exec = ctx.remote().ok_or_else(|| {
        ProbeError::Config("on = \"target\": this process has no SSH executor".to_owned())
    })?;
    let cmd = RemoteCommand {
        program,
        script,
        env,
        workdir,
    };
    match exec.run(&ep, cmd, timeout, super::MAX_OUTPUT).await {
        Ok(Some(out)) => Ok(out),
        Ok(None) => Err(ProbeError::Timeout(timeout)),
        // A refused host key stops the probe before the host as surely as a refused connection.
        Err(RemoteError::Unreachable(m) | RemoteError::HostKey(m)) => {
            Err(ProbeError::Unreachable(m))
        }
        Err(e) => Err(ProbeError::Failed(e.to_string())),
    }
}

/// What a probe that ran out of `timeout` reports: "cannot reach host" when it runs on the
/// target's host and no connection to that host is open (the time went on connecting), else a
/// timeout.
pub(super) fn timed_out(
    ctx: &ProbeContext,
    spec: &super::ProbeSpec,
    target: &Target,
    timeout: Duration,
) -> ProbeError {
    use super::ProbeSpec as S;
    let on = match spec {
        S::Host(s) => s.on,
        S::Process(s) => s.on,
        S::Command(s) => s.on,
        _ => On::Local,
    };
    if on == On::Target
        && let (Ok(ep), Some(exec)) = (endpoint(target), ctx.remote())
        && !exec.is_connected(&ep)
    {
        return ProbeError::Unreachable(format!(
            "{}: no connection within {timeout:?}",
            ep.describe()
        ));
    }
    ProbeError::Timeout(timeout)
}

const HOST_SCRIPT: &str = "read -r l </proc/stat; echo \"$l\"; sleep \"$NW_SAMPLE\"; \
    read -r l </proc/stat; echo \"$l\"; grep -E '^(MemTotal|MemAvailable):' /proc/meminfo; \
    cat /proc/loadavg; grep -c '^processor' /proc/cpuinfo; df -PT -k 2>/dev/null";

/// The host probe on the target's host.
pub(super) async fn host(
    ctx: &ProbeContext,
    spec: &super::HostSpec,
    target: &Target,
    timeout: Duration,
) -> Result<ProbeOutput, ProbeError> {
    let sample = spec.sample_ms.unwrap_or(300).clamp(200, 5000);
    let env = [(
        "NW_SAMPLE".to_owned(),
        format!("{:.3}", sample as f64 / 1000.0),
    )];
    let out = run(ctx, target, "sh", HOST_SCRIPT, &env, None, timeout).await?;
    if out.code != 0 {
        return Err(ProbeError::Failed(format!(
            "host on {}: exit code {}: {}",
            target.name,
            out.code,
            out.stderr.trim()
        )));
    }
    parse_host(&out.stdout, &spec.mounts)
        .map_err(|e| ProbeError::Failed(format!("host on {}: {e}", target.name)))
}

fn cpu_ticks(line: &str) -> Option<(u64, u64)> {
    let v: Vec<u64> = line
        .strip_prefix("cpu ")?
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest is counted in user already).
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3)? + v.get(4).copied().unwrap_or(0);
    Some((total, idle))
}

fn parse_host(text: &str, only: &[String]) -> Result<ProbeOutput, String> {
    let lines: Vec<&str> = text.lines().collect();
    let bad = || format!("unexpected output: {}", bounded(text));
    let (t1, i1) = cpu_ticks(lines.first().ok_or_else(bad)?).ok_or_else(bad)?;
    let (t2, i2) = cpu_ticks(lines.get(1).ok_or_else(bad)?).ok_or_else(bad)?;
    let dt = t2.saturating_sub(t1);
    let cpu = if dt == 0 {
        0.0
    } else {
        round1(100.0 * dt.saturating_sub(i2.saturating_sub(i1)) as f64 / dt as f64)
    };
    let kb = |name: &str| -> Option<u64> {
        lines
            .iter()
            .find_map(|l| l.strip_prefix(name))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    let total = kb("MemTotal:").ok_or_else(bad)?;
    let avail = kb("MemAvailable:").ok_or_else(bad)?;
    let memory = if total == 0 {
        0.0
    } else {
        round1(100.0 * total.saturating_sub(avail) as f64 / total as f64)
    };
    let load: Vec<f64> = lines
        .get(4)
        .ok_or_else(bad)?
        .split_whitespace()
        .take(3)
        .filter_map(|x| x.parse().ok())
        .collect();
    let [l1, l5, l15] = load[..] else {
        return Err(bad());
    };
    let cpus: u64 = lines
        .get(5)
        .and_then(|l| l.trim().parse().ok())
        .ok_or_else(bad)?;
    let mut out = ProbeOutput::default()
        .with("CPU", cpu)
        .with("MEMORY", memory)
        .with("LOAD1", l1)
        .with("LOAD5", l5)
        .with("LOAD15", l15)
        .with("CPU_COUNT", cpus);
    let mut fullest: Option<f64> = None;
    for l in lines.iter().skip(7) {
        let f: Vec<&str> = l.split_whitespace().collect();
        let (Some(kind), Some(size), Some(avail), Some(mount)) =
            (f.get(1), f.get(2), f.get(4), f.get(6))
        else {
            continue;
        };
        let (Ok(size), Ok(avail)) = (size.parse::<u64>(), avail.parse::<u64>()) else {
            continue;
        };
        let pseudo = ["tmpfs", "devtmpfs", "squashfs", "proc", "sysfs"].contains(kind);
        if size == 0 || pseudo || (!only.is_empty() && !only.iter().any(|m| m == mount)) {
            continue;
        }
        let key = format!("DISK[{mount}]");
        if out.values.contains_key(&key) {
            continue;
        }
        let used = round1(100.0 * size.saturating_sub(avail) as f64 / size as f64);
        out.set(&key, used);
        fullest = Some(fullest.map_or(used, |x: f64| x.max(used)));
    }
    if let Some(missing) = only
        .iter()
        .find(|m| !out.values.contains_key(&format!("DISK[{m}]")))
    {
        return Err(format!("no mounted disk at {missing}"));
    }
    if let Some(f) = fullest {
        out.set("DISK", f);
    }
    out.message = format!(
        "cpu {cpu}%, memory {memory}%, load1 {l1:.2}, fullest disk {}",
        fullest.map_or("n/a".to_owned(), |f| format!("{f}%"))
    );
    out.output = bounded(&format!("{}\n{text}", json!(&out.values)));
    Ok(out)
}

/// Count processes matching `NW_NAME` (exact name or file name of argv[0]) and `NW_CMDLINE`
/// (substring of the command line) on the remote host, not counting this script's own processes.
const PROCESS_SCRIPT: &str = "me=$$; ps -e -o pid= -o ppid= -o comm= -o args= | \
    while read -r pid ppid comm args; do \
      [ \"$pid\" = \"$me\" ] || [ \"$ppid\" = \"$me\" ] && continue; \
      a0=${args%% *}; a0=${a0##*/}; \
      if [ -n \"$NW_NAME\" ] && [ \"$comm\" != \"$NW_NAME\" ] && [ \"$a0\" != \"$NW_NAME\" ]; then continue; fi; \
      case $args in *\"$NW_CMDLINE\"*) echo \"$pid $args\";; esac; \
    done";

/// The process probe on the target's host.
pub(super) async fn process(
    ctx: &ProbeContext,
    spec: &super::ProcessSpec,
    target: &Target,
    timeout: Duration,
) -> Result<ProbeOutput, ProbeError> {
    if spec.name.is_none() && spec.cmdline.is_none() {
        return Err(ProbeError::Config(
            "process probe needs `name` or `cmdline`".to_owned(),
        ));
    }
    let env = [
        ("NW_NAME".to_owned(), spec.name.clone().unwrap_or_default()),
        (
            "NW_CMDLINE".to_owned(),
            spec.cmdline.clone().unwrap_or_default(),
        ),
    ];
    let out = run(ctx, target, "sh", PROCESS_SCRIPT, &env, None, timeout).await?;
    if out.code != 0 {
        return Err(ProbeError::Failed(format!(
            "process on {}: exit code {}: {}",
            target.name,
            out.code,
            out.stderr.trim()
        )));
    }
    let found: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let mut o = ProbeOutput::new(format!("{} process(es) on {}", found.len(), target.name))
        .with("COUNT", found.len());
    o.output = bounded(&found.join("\n"));
    Ok(o)
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_output_parses_like_the_local_probe() {
        let text = "cpu  100 0 100 800 0 0 0 0 0 0\ncpu  150 0 150 900 0 0 0 0 0 0\n\
            MemTotal:       1000 kB\nMemAvailable:    250 kB\n0.50 0.40 0.30 1/100 42\n4\n\
            Filesystem Type 1024-blocks Used Available Capacity Mounted on\n\
            /dev/sda1 ext4 1000 600 400 60% /\ntmpfs tmpfs 100 0 100 0% /run\n";
        let out = parse_host(text, &[]).unwrap();
        assert_eq!(out.values["CPU"], 50.0);
        assert_eq!(out.values["MEMORY"], 75.0);
        assert_eq!(out.values["LOAD5"], 0.4);
        assert_eq!(out.values["CPU_COUNT"], 4);
        assert_eq!(out.values["DISK[/]"], 60.0);
        assert!(!out.values.contains_key("DISK[/run]"));
        assert!(
            parse_host(text, &["/data".into()])
                .unwrap_err()
                .contains("/data")
        );
        assert!(parse_host("garbage", &[]).is_err());
    }
}
