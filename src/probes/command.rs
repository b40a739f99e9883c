//! The command probe: run a `sh` or `python3` script with parameters as environment variables.
//!
//! Values: `EXIT_CODE` (128 + signal number when killed by a signal), plus the JSON stdout
//! contract: when stdout, trimmed, is one JSON object, each top-level field becomes a value under
//! its upper-cased key (`{"value": 3, "role": "master"}` gives `VALUE = 3`, `ROLE = "master"`); a
//! string field `message` also becomes the result's message. `EXIT_CODE` cannot be overridden.
//! Any other stdout is just output. Output holds stdout and stderr, bounded.
//!
//! The environment is clean ([`crate::child`]: PATH, HOME, LANG, LC_*, TZ, TERM of the engine,
//! never its `NIGHTWATCH_*` secrets) plus `params` (values may use placeholders),
//! `NW_TARGET` (the target's name) and `NW_ENDPOINTS` (its endpoints as JSON).
//!
//! The script runs on a leash in its own process group, and the whole group is killed with
//! SIGKILL when the probe ends: on timeout, when the probe is dropped, after a normal exit (so
//! background children are not left behind) and when the engine dies. Must not: leave a process
//! running.

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt as _;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt as _};

use super::output::{MAX_OUTPUT, bounded, bounded_bytes};
use super::{ProbeError, ProbeOutput, Target};

/// Which interpreter runs the script.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Interpreter {
    /// `sh -c SCRIPT`.
    #[default]
    Sh,
    /// `python3 -c SCRIPT`.
    Python3,
}

/// Options of the command probe.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CommandSpec {
    /// The script text.
    pub script: String,
    /// `sh` (default) or `python3`.
    #[serde(default)]
    pub interpreter: Interpreter,
    /// Environment variables for the script; values may use placeholders (`{host}`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    /// Working directory (default: nightwatch's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workdir: Option<String>,
    /// `"target"`: run on the target component's host over its `ssh` endpoint (default: here).
    #[serde(default, skip_serializing_if = "super::On::is_local")]
    pub on: super::On,
}

pub(super) async fn run(
    ctx: &super::ProbeContext,
    spec: &CommandSpec,
    target: &Target,
    timeout: Duration,
) -> Result<ProbeOutput, ProbeError> {
    let program = match spec.interpreter {
        Interpreter::Sh => "sh",
        Interpreter::Python3 => "python3",
    };
    let endpoints = target.endpoints.to_string();
    let mut env = vec![
        ("NW_TARGET".to_owned(), target.name.clone()),
        ("NW_ENDPOINTS".to_owned(), endpoints),
    ];
    for (k, v) in &spec.params {
        env.push((k.clone(), target.expand(v)?));
    }
    if spec.on == super::On::Target {
        let workdir = spec
            .workdir
            .as_deref()
            .map(|d| target.expand(d))
            .transpose()?;
        let out = super::remote::run(
            ctx,
            target,
            program,
            &spec.script,
            &env,
            workdir.as_deref(),
            timeout,
        )
        .await?;
        return Ok(outcome(out.code, &out.stdout, &out.stderr));
    }
    let env = env.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let mut cmd = crate::child::leashed(program, &["-c", &spec.script], env)
        .map_err(|e| ProbeError::Failed(format!("cannot start {program}: {e}")))?;
    if let Some(dir) = &spec.workdir {
        cmd.current_dir(target.expand(dir)?);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| ProbeError::Failed(format!("cannot start {program}: {e}")))?;
    // Armed before anything can fail or be cancelled: dropping either kills the whole group. The
    // leash must outlive the wait below.
    let _leash = child.stdin.take();
    let _group = child.id().map(GroupKill);
    let stdout = read_bounded(child.stdout.take());
    let stderr = read_bounded(child.stderr.take());
    let finished = async { tokio::join!(stdout, stderr, child.wait()) };
    let (stdout, stderr, status) = tokio::time::timeout(timeout, finished)
        .await
        .map_err(|_| ProbeError::Timeout(timeout))?;
    let status = status.map_err(|e| ProbeError::Failed(format!("{program}: {e}")))?;
    let code = status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(-1);
    Ok(outcome(code, &stdout, &stderr))
}

/// The probe's output from an exit code and the two streams (the JSON stdout contract).
fn outcome(code: i32, stdout: &str, stderr: &str) -> ProbeOutput {
    let mut out = ProbeOutput::new(format!("exit code {code}"));
    if let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(stdout.trim()) {
        for (k, v) in fields {
            if k.eq_ignore_ascii_case("message")
                && let Value::String(m) = &v
            {
                out.message = bounded(m);
            }
            out.values.insert(k.to_uppercase(), v);
        }
    } else if code != 0
        && let Some(line) = stderr.lines().find(|l| !l.trim().is_empty())
    {
        out.message = format!("exit code {code}: {}", line.trim());
    }
    out.set("EXIT_CODE", code);
    out.output = bounded(&format!("{stdout}\n--- stderr ---\n{stderr}"));
    out
}

/// Kills a process group with SIGKILL when dropped.
pub(crate) struct GroupKill(pub(crate) u32);

impl Drop for GroupKill {
    fn drop(&mut self) {
        crate::child::proc::kill_group(self.0);
    }
}

/// Read a pipe to its end, keeping the first [`MAX_OUTPUT`] bytes (the rest is drained so the
/// script never blocks on a full pipe).
async fn read_bounded<R: AsyncRead + Unpin>(pipe: Option<R>) -> String {
    let Some(mut pipe) = pipe else {
        return String::new();
    };
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    while let Ok(n) = pipe.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let room = (MAX_OUTPUT + 1).saturating_sub(kept.len());
        kept.extend_from_slice(&buf[..n.min(room)]);
    }
    bounded_bytes(&kept)
}
