//! The host probe on this machine: values present and in range, and `stress-ng` driving the CPU
//! figure up.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use nightwatch::probes::{self, HostSpec, ProbeSpec, Target};

const STRESS: &str = "/usr/bin/stress-ng";
const T: Duration = Duration::from_secs(5);

async fn cpu() -> f64 {
    let spec = ProbeSpec::Host(HostSpec {
        sample_ms: Some(500),
        mounts: vec![],
    });
    probes::run(&spec, &Target::local(), T)
        .await
        .unwrap()
        .values["CPU"]
        .as_f64()
        .unwrap()
}

#[tokio::test]
async fn values_present_and_in_range() {
    let spec = ProbeSpec::Host(HostSpec::default());
    let out = probes::run(&spec, &Target::local(), T).await.unwrap();
    for key in ["CPU", "MEMORY", "DISK", "DISK[/]"] {
        let v = out.values[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key}: {:?}", out.values));
        assert!((0.0..=100.0).contains(&v), "{key} = {v}");
    }
    for key in ["LOAD1", "LOAD5", "LOAD15"] {
        assert!(out.values[key].as_f64().unwrap() >= 0.0, "{key}");
    }
    assert!(out.values["CPU_COUNT"].as_u64().unwrap() >= 1);
    assert!(
        out.duration_ms >= 200,
        "two CPU samples apart: {}",
        out.duration_ms
    );
    assert!(out.message.starts_with("cpu "), "{}", out.message);

    let only_root = HostSpec {
        sample_ms: None,
        mounts: vec!["/".into()],
    };
    let out = probes::run(&ProbeSpec::Host(only_root), &Target::local(), T)
        .await
        .unwrap();
    assert_eq!(out.values["DISK"], out.values["DISK[/]"]);
    assert_eq!(
        out.values.keys().filter(|k| k.starts_with("DISK[")).count(),
        1
    );
    let missing = HostSpec {
        sample_ms: None,
        mounts: vec!["/no/such/mount".into()],
    };
    let err = probes::run(&ProbeSpec::Host(missing), &Target::local(), T)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("/no/such/mount"), "{err}");
}

#[tokio::test]
async fn stress_ng_drives_cpu_over_the_threshold() {
    if !common::require_program(STRESS, "stress-ng") {
        return;
    }
    const THRESHOLD: f64 = 80.0;
    // The quietest sample before, waiting up to 20 s for a moment under the threshold: other
    // work on the machine (parallel builds) comes and goes.
    let quiet_deadline = Instant::now() + Duration::from_secs(20);
    let mut before = f64::MAX;
    while before >= THRESHOLD && Instant::now() < quiet_deadline {
        before = before.min(cpu().await);
    }
    let cpus = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .to_string();
    // Its own process group, so the cleanup stops stress-ng's workers as well as the parent.
    let stress = {
        use std::os::unix::process::CommandExt as _;
        std::process::Command::new(STRESS)
            .args(["--cpu", &cpus, "--timeout", "20s", "--quiet"])
            .process_group(0)
            .spawn()
            .unwrap()
    };
    let group = StopGroup(stress.id());
    let _reap = common::Proc(stress);
    // Dropped first (declared last): TERM to the group, then the parent is reaped.
    let _stop = group;
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut during = 0.0_f64;
    while during <= THRESHOLD && Instant::now() < deadline {
        during = during.max(cpu().await);
    }
    eprintln!("cpu before {before}%, under stress-ng {during}%");
    assert!(
        during > THRESHOLD,
        "stress-ng never pushed CPU over {THRESHOLD}%: {during}%"
    );
    if before < THRESHOLD {
        assert!(during > before, "before {before}%, during {during}%");
    } else if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "CPU never fell under {THRESHOLD}% in 20 s before stress-ng ({before}%): busy machine"
        );
    } else {
        // "Over" is shown; "below before" cannot be on a saturated machine.
        eprintln!("note: CPU stayed at {before}% before stress-ng (busy machine); not compared");
    }
}

/// Sends SIGTERM to a process group when dropped (stress-ng then stops its workers).
struct StopGroup(u32);

impl Drop for StopGroup {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.0)])
            .status();
    }
}
