//! `command` on another host (`on = "target"` or a component's name): the same operation as
//! [`super::command`] through the SSH executor ([`crate::remote`]): the step's variables travel
//! as data, output streams into the live text line by line, and on the deadline or an abort the
//! remote process group is killed (dropping the future drops the local `ssh`; the remote wrapper
//! kills the group when its channel closes). Values and verdict as locally.

use std::collections::BTreeMap;
use std::time::Duration;

use super::command::{outcome, program_of, pump};
use super::{Live, Outcome};
use crate::domain::ssh::SshEndpoint;
use crate::remote::{Executor, RemoteCommand};

/// Run `script` with `interpreter` and `env` on `ep`'s host within `timeout`.
pub async fn run(
    exec: &Executor,
    ep: &SshEndpoint,
    interpreter: &str,
    script: &str,
    env: &BTreeMap<String, String>,
    timeout: Duration,
    live: &Live,
) -> Result<Outcome, String> {
    let program = program_of(interpreter)?;
    let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let cmd = RemoteCommand {
        program,
        script,
        env: &env,
        workdir: None,
    };
    let work = async {
        let mut p = exec.spawn(ep, cmd).await.map_err(|e| e.to_string())?;
        live.line(&format!("-- on {} --", ep.describe()));
        let out = pump(p.stdout.take(), live, "", true);
        let err = pump(p.stderr.take(), live, "stderr: ", false);
        let (stdout, _, code) = tokio::join!(out, err, p.wait());
        Ok::<_, String>((stdout, code))
    };
    let Ok(done) = tokio::time::timeout(timeout, work).await else {
        live.line(&format!(
            "-- timed out after {timeout:?}: remote process group killed --"
        ));
        return Ok(Outcome::new(
            false,
            format!("timed out after {timeout:?} (remote process group killed)"),
        ));
    };
    let (stdout, code) = done?;
    Ok(outcome(code, &stdout))
}
