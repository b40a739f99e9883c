//! `command`: a local script (`sh`, `bash` or `python3`; ssh is a command) with the plan's values
//! as environment variables, on a leash with a clean environment ([`crate::child`]: the allow-list
//! plus the step's own `env`, never the engine's `NIGHTWATCH_*`; the group dies with the engine). stdout and stderr stream into the live output line by line as they
//! come. Values: `EXIT_CODE`, `OUTPUT` (stdout, trimmed, bounded), plus the fields of a JSON-object
//! stdout (upper-cased), like the command probe. ok: exit code 0.

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt as _;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, AsyncRead, BufReader};

use super::{Live, MAX_OUTPUT_VALUE, Outcome, cut};
use crate::probes::GroupKill;

/// Most stdout bytes kept for `OUTPUT` and the JSON contract.
const MAX_STDOUT: usize = 64 * 1024;

/// The program of an interpreter name.
pub(super) fn program_of(interpreter: &str) -> Result<&'static str, String> {
    match interpreter {
        "" | "sh" => Ok("sh"),
        "bash" => Ok("bash"),
        "python3" | "python" => Ok("python3"),
        other => Err(format!(
            "unknown interpreter {other:?}; use sh, bash or python3"
        )),
    }
}

/// Run `script` with `interpreter` and `env` within `timeout`.
pub async fn run(
    interpreter: &str,
    script: &str,
    env: &BTreeMap<String, String>,
    timeout: Duration,
    live: &Live,
) -> Result<Outcome, String> {
    let program = program_of(interpreter)?;
    let env = env.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let mut cmd = crate::child::leashed(program, &["-c", script], env)
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    // Armed at once: dropping either (deadline, abort, engine gone) kills the whole group. The
    // leash must outlive the wait below.
    let _leash = child.stdin.take();
    let _group = child.id().map(GroupKill);
    if let Some(pid) = child.id() {
        live.started(pid);
    }
    let out = pump(child.stdout.take(), live, "", true);
    let err = pump(child.stderr.take(), live, "stderr: ", false);
    let finished = async { tokio::join!(out, err, child.wait()) };
    let Ok((stdout, _, status)) = tokio::time::timeout(timeout, finished).await else {
        live.line(&format!(
            "-- timed out after {timeout:?}: process group killed --"
        ));
        return Ok(Outcome::new(
            false,
            format!("timed out after {timeout:?} (process group killed)"),
        ));
    };
    let status = status.map_err(|e| format!("{program}: {e}"))?;
    let code = status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(-1);
    Ok(outcome(code, &stdout))
}

/// The outcome of an exit code and the kept stdout (the JSON stdout contract).
pub(super) fn outcome(code: i32, stdout: &str) -> Outcome {
    let mut o = Outcome::new(code == 0, format!("exit code {code}"))
        .with("EXIT_CODE", code)
        .with("OUTPUT", cut(stdout.trim(), MAX_OUTPUT_VALUE));
    if let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(stdout.trim()) {
        for (k, v) in fields {
            o.values.insert(k.to_uppercase(), v);
        }
    }
    o
}

/// Copy a pipe into `live` line by line (prefixed); keep the first [`MAX_STDOUT`] bytes when
/// `keep`. Drains to the end so the process never blocks on a full pipe.
pub(super) async fn pump<R: AsyncRead + Unpin>(
    pipe: Option<R>,
    live: &Live,
    prefix: &str,
    keep: bool,
) -> String {
    let Some(pipe) = pipe else {
        return String::new();
    };
    let mut kept = String::new();
    let mut reader = BufReader::new(pipe);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let line = String::from_utf8_lossy(&buf);
                live.push(&format!("{prefix}{}", line));
                if !line.ends_with('\n') {
                    live.push("\n");
                }
                if keep && kept.len() < MAX_STDOUT {
                    kept.push_str(cut(&line, MAX_STDOUT - kept.len()));
                }
            }
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn streams_output_reports_exit_code_and_json_values() {
        let live = Live::new();
        let env = BTreeMap::from([("NODE".to_owned(), "git-2".to_owned())]);
        let o = run(
            "sh",
            "echo working on $NODE; echo oops >&2; echo '{\"moved\": 3}'",
            &env,
            Duration::from_secs(10),
            &live,
        )
        .await
        .unwrap();
        assert!(o.ok, "{o:?}");
        assert_eq!(o.values["EXIT_CODE"], 0);
        let s = live.snapshot();
        assert!(
            s.contains("working on git-2\n") && s.contains("stderr: oops\n"),
            "{s}"
        );
        let o = run(
            "sh",
            "echo '{\"moved\": 3}'",
            &env,
            Duration::from_secs(10),
            &live,
        )
        .await
        .unwrap();
        assert_eq!(o.values["MOVED"], 3);
        let o = run("sh", "exit 3", &env, Duration::from_secs(10), &live)
            .await
            .unwrap();
        assert!(!o.ok);
        assert_eq!(o.message, "exit code 3");
    }

    #[tokio::test]
    async fn a_command_past_its_deadline_is_killed_with_its_children() {
        let live = Live::new();
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("late");
        let script = format!("(sleep 1; touch {}) & sleep 30", marker.display());
        let t = std::time::Instant::now();
        let o = run(
            "sh",
            &script,
            &BTreeMap::new(),
            Duration::from_millis(300),
            &live,
        )
        .await
        .unwrap();
        assert!(!o.ok && o.message.starts_with("timed out"), "{o:?}");
        assert!(t.elapsed() < Duration::from_secs(1));
        // Proving an absence: wait past the moment the child would have written.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert!(
            !marker.exists(),
            "the background child was killed with the group"
        );
        assert!(
            run(
                "fish",
                "true",
                &BTreeMap::new(),
                Duration::from_secs(1),
                &live
            )
            .await
            .unwrap_err()
            .contains("unknown interpreter")
        );
    }
}
