//! `wait_until`: the verification gate. Run a probe every `interval` until its condition holds
//! or the deadline passes. Each attempt is one line of live output. ok: the condition held.
//! Values: the last observation's values, plus `ATTEMPTS`.

use std::time::{Duration, Instant};

use super::{Live, Outcome};
use crate::domain::inspection::Condition;
use crate::probes::{self, ProbeContext, ProbeSpec, Target};

/// Probe `target` with `spec` until `condition` holds, at most until `deadline` from now.
pub async fn run(
    ctx: &ProbeContext,
    spec: &ProbeSpec,
    target: &Target,
    condition: &Condition,
    deadline: Duration,
    interval: Duration,
    live: &Live,
) -> Outcome {
    let started = Instant::now();
    let mut attempts = 0u64;
    loop {
        attempts += 1;
        let left = deadline.saturating_sub(started.elapsed());
        // Each probe gets what is left of the deadline, at most 10 s.
        let budget = left.clamp(Duration::from_millis(100), Duration::from_secs(10));
        let (held, values, line) = match probes::run_in(ctx, spec, target, budget).await {
            Ok(out) => match condition.eval(&out.values) {
                Ok(h) => (h, out.values, out.message),
                Err(e) => (false, out.values, format!("condition: {e}")),
            },
            Err(e) => (false, Default::default(), e.to_string()),
        };
        let t = started.elapsed().as_secs_f64();
        live.line(&format!(
            "[{t:>6.1}s] attempt {attempts}: {condition} is {held} ({line})"
        ));
        if held {
            let mut o = Outcome::new(
                true,
                format!("{condition} held after {attempts} attempts ({t:.1} s)"),
            );
            o.values = values;
            return o.with("ATTEMPTS", attempts);
        }
        if started.elapsed() + interval >= deadline {
            let mut o = Outcome::new(
                false,
                format!(
                    "{condition} did not hold within {deadline:?} ({attempts} attempts; last: {line})"
                ),
            );
            o.values = values;
            return o.with("ATTEMPTS", attempts);
        }
        tokio::time::sleep(interval).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::TcpSpec;

    #[tokio::test]
    async fn the_gate_opens_when_the_condition_holds_and_times_out_otherwise() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let target = Target {
            name: "svc".into(),
            endpoints: serde_json::json!({"host": "127.0.0.1", "port": port}),
            labels: serde_json::json!({}),
        };
        let spec = ProbeSpec::Tcp(TcpSpec::default());
        let ctx = ProbeContext::new();
        let live = Live::new();
        let up = Condition::parse("[CONNECTED] == true").unwrap();
        let o = run(
            &ctx,
            &spec,
            &target,
            &up,
            Duration::from_secs(5),
            Duration::from_millis(50),
            &live,
        )
        .await;
        assert!(o.ok, "{o:?}");
        assert_eq!(o.values["ATTEMPTS"], 1);
        drop(listener);
        let t = Instant::now();
        let o = run(
            &ctx,
            &spec,
            &target,
            &up,
            Duration::from_millis(600),
            Duration::from_millis(100),
            &live,
        )
        .await;
        assert!(!o.ok && o.message.contains("did not hold within"), "{o:?}");
        assert!(o.values["ATTEMPTS"].as_u64().unwrap() >= 3, "{o:?}");
        assert!(t.elapsed() < Duration::from_secs(2));
        assert!(
            live.snapshot()
                .contains("attempt 2: [CONNECTED] == true is false")
        );
    }
}
