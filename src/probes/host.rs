//! The host probe: CPU, memory, disk and load of the machine nightwatch runs on (`sysinfo`).
//!
//! Values: `CPU` (% busy over the sampling interval, all cores), `MEMORY` (% used, counting
//! reclaimable cache as free), `DISK[/mount]` (% used per mount), `DISK` (the fullest mount),
//! `LOAD1`, `LOAD5`, `LOAD15`, `CPU_COUNT`. Percentages are 0–100, rounded to 0.1.
//!
//! Must not: look at another machine (use the command or prometheus probe for that).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sysinfo::{Disks, System};

use super::{ProbeError, ProbeOutput};

/// Options of the host probe.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HostSpec {
    /// Milliseconds between the two CPU samples (200–5000, default 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_ms: Option<u64>,
    /// Only these mount points (default: every mounted disk).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<String>,
    /// `"target"`: run on the target component's host over its `ssh` endpoint (default: here).
    #[serde(default, skip_serializing_if = "super::On::is_local")]
    pub on: super::On,
}

pub(super) async fn run(spec: &HostSpec, timeout: Duration) -> Result<ProbeOutput, ProbeError> {
    let failed = |e: sysinfo::Error| ProbeError::Failed(format!("host: {e}"));
    // CPU usage is the difference between two readings; anything under sysinfo's minimum
    // interval gives noise. Leave room in the deadline for the rest.
    let sample = Duration::from_millis(spec.sample_ms.unwrap_or(300).clamp(200, 5000))
        .min(timeout.saturating_sub(Duration::from_millis(100)))
        .max(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL);
    let mut sys = System::new().map_err(failed)?;
    sys.refresh_cpu_usage();
    tokio::time::sleep(sample).await;
    let mounts = spec.mounts.clone();
    // Reading /proc and statvfs on every mount can block (a hung network filesystem): keep it off
    // the async workers.
    tokio::task::spawn_blocking(move || measure(sys, &mounts))
        .await
        .map_err(|e| ProbeError::Failed(format!("host: {e}")))?
}

fn measure(mut sys: System, only: &[String]) -> Result<ProbeOutput, ProbeError> {
    let failed = |e: sysinfo::Error| ProbeError::Failed(format!("host: {e}"));
    sys.refresh_cpu_usage();
    sys.refresh_memory();
    let cpu = round1(f64::from(sys.global_cpu_usage()));
    let total = sys.total_memory();
    let memory = if total == 0 {
        0.0
    } else {
        round1(100.0 * total.saturating_sub(sys.available_memory()) as f64 / total as f64)
    };
    let load = System::load_average().map_err(failed)?;
    let mut out = ProbeOutput::default()
        .with("CPU", cpu)
        .with("MEMORY", memory)
        .with("LOAD1", round2(load.one))
        .with("LOAD5", round2(load.five))
        .with("LOAD15", round2(load.fifteen))
        .with("CPU_COUNT", sys.cpus().len());
    let disks = Disks::new_with_refreshed_list().map_err(failed)?;
    let mut lines = Vec::new();
    let mut fullest: Option<f64> = None;
    for disk in disks.iter() {
        let mount = disk.mount_point().to_string_lossy().into_owned();
        let size = disk.total_space();
        if size == 0 || (!only.is_empty() && !only.contains(&mount)) {
            continue;
        }
        // Mounted twice (bind mounts): the first reading stands.
        let key = format!("DISK[{mount}]");
        if out.values.contains_key(&key) {
            continue;
        }
        let used = round1(100.0 * size.saturating_sub(disk.available_space()) as f64 / size as f64);
        out.set(&key, used);
        fullest = Some(fullest.map_or(used, |f: f64| f.max(used)));
        lines.push(format!("{mount}: {used}% of {} MiB", size / (1024 * 1024)));
    }
    if let Some(missing) = only
        .iter()
        .find(|m| !out.values.contains_key(&format!("DISK[{m}]")))
    {
        return Err(ProbeError::Failed(format!(
            "host: no mounted disk at {missing}"
        )));
    }
    if let Some(f) = fullest {
        out.set("DISK", f);
    }
    out.message = format!(
        "cpu {cpu}%, memory {memory}%, load1 {:.2}, fullest disk {}",
        load.one,
        fullest.map_or("n/a".to_owned(), |f| format!("{f}%"))
    );
    out.output = format!("{}\n{}", json!(&out.values), lines.join("\n"));
    Ok(out)
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
