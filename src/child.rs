//! Starting child processes: every process nightwatch starts on an operator's behalf (plan
//! `command` steps, command probes; later drills) is built here, so two rules hold everywhere:
//!
//! - **A clean environment.** The child gets an allow-list of the engine's environment
//!   ([`ALLOWED_ENV`] and `LC_*`) plus its own variables, nothing else: never `NIGHTWATCH_*`
//!   (`NIGHTWATCH_SECRET_KEY`, `NIGHTWATCH_DATABASE_URL` hold the master key and the database
//!   password), never a cloud credential that happens to be set in the engine's shell.
//! - **A leash.** The child runs in a process group of its own behind a tiny `sh` watcher that
//!   holds the read end of a pipe whose write end only the engine has. When the engine goes away
//!   — normal end of the operation, timeout, abort, crash or `kill -9` — the kernel closes the
//!   write end, the watcher reads end-of-file and kills the whole group with SIGKILL. No `unsafe`
//!   (`pre_exec`) and no thread-bound `PR_SET_PDEATHSIG` is needed: a pipe closes when its process
//!   dies, whichever thread spawned the child. A process that leaves the group on purpose
//!   (`setsid`) escapes the leash; the start-up sweep ([`crate::child::proc`]) and the recorded
//!   group are the second line.
//!
//! A child's own variables may not be named `NIGHTWATCH_*` either: the engine's
//! documented variables for a child are `NW_*` (`NW_RUN_ID`, `NW_TARGET`, …), and a step's `env`
//! naming `NIGHTWATCH_*` is refused at `apply` and again here, before anything starts
//! ([`crate::domain::plan::reserved_env`]).
//!
//! Must not: pass anything through a shell other than as a separate argv element.

pub mod proc;

use std::process::Stdio;

/// Environment variables a child inherits from the engine (plus every `LC_*`).
pub const ALLOWED_ENV: &[&str] = &["PATH", "HOME", "LANG", "TZ", "TERM"];

/// The `sh` watcher: keep the pipe on fd 3, kill the group at its end of file, and become the
/// program (same pid, so the caller waits on the program itself and sees its own exit status).
/// The watcher's stdout/stderr are closed so the program's pipes end when the program does.
const LEASH: &str = "exec 3<&0\n\
    { while read -r _ <&3; do :; done; kill -KILL 0; } </dev/null >/dev/null 2>&1 &\n\
    exec \"$@\" 3<&- </dev/null";

/// Whether an engine environment variable may reach a child.
pub fn inherits(name: &str) -> bool {
    !name.starts_with("NIGHTWATCH_") && (ALLOWED_ENV.contains(&name) || name.starts_with("LC_"))
}

/// The engine's environment as a child sees it: only the allow-listed variables.
pub fn allowed_env() -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, _)| inherits(k))
        .collect()
}

/// A command that runs `program args…` on a leash, in its own process group, with a clean
/// environment plus `env`. stdin is the leash (the program itself reads `/dev/null`); stdout and
/// stderr are piped. Keep the returned child's `stdin` alive until the program has been waited
/// for: dropping it kills the group. A `NIGHTWATCH_*` name in `env` is refused (nothing starts).
pub fn leashed<'a>(
    program: &str,
    args: &[&str],
    env: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> std::io::Result<tokio::process::Command> {
    let env: Vec<(&str, &str)> = env.into_iter().collect();
    if let Some((name, _)) = env
        .iter()
        .find(|(k, _)| crate::domain::plan::reserved_env(k))
    {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "environment variable {name}: NIGHTWATCH_* names are reserved for the engine and never reach a child; rename it (e.g. without the prefix)"
            ),
        ));
    }
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c")
        .arg(LEASH)
        .arg("nightwatch-leash")
        .arg(program)
        .args(args)
        .env_clear()
        .envs(allowed_env())
        .envs(env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    Ok(cmd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allow_list_never_lets_nightwatch_variables_through() {
        assert!(inherits("PATH") && inherits("LC_ALL") && inherits("TZ"));
        for name in [
            "NIGHTWATCH_SECRET_KEY",
            "NIGHTWATCH_DATABASE_URL",
            "AWS_SECRET_ACCESS_KEY",
            "USER",
            "SSH_AUTH_SOCK",
            "LD_PRELOAD",
        ] {
            assert!(!inherits(name), "{name}");
        }
    }

    #[test]
    fn a_nightwatch_name_in_a_childs_own_env_is_refused() {
        for name in [
            "NIGHTWATCH_SECRET_KEY",
            "nightwatch_database_url",
            "NightWatch_X",
        ] {
            let err = leashed("true", &[], [("OK", "1"), (name, "x")]).unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
            assert!(err.to_string().contains(name), "{err}");
        }
        assert!(leashed("true", &[], [("NW_RUN_ID", "1"), ("NIGHTWATCH", "1")]).is_ok());
    }

    #[tokio::test]
    async fn a_leashed_child_sees_only_the_allow_list_and_its_own_variables() {
        let mut child = leashed("sh", &["-c", "env; echo \"arg=$0\""], [("OWN", "1")])
            .unwrap()
            .spawn()
            .unwrap();
        // Held until the program is done (`output()` would give the leash /dev/null: killed).
        let _leash = child.stdin.take();
        let out = child.wait_with_output().await.unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        for line in text
            .lines()
            .filter(|l| l.contains('=') && !l.starts_with("arg="))
        {
            let name = line.split('=').next().unwrap();
            // `sh` itself sets PWD, SHLVL and `_`.
            assert!(
                inherits(name) || ["OWN", "PWD", "SHLVL", "_"].contains(&name),
                "{line}"
            );
        }
        assert!(text.contains("OWN=1\n"), "{text}");
    }

    #[tokio::test]
    async fn dropping_the_leash_kills_the_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("late");
        let script = format!("(sleep 1; touch '{}') & sleep 30", marker.display());
        let mut child = leashed("sh", &["-c", &script], [])
            .unwrap()
            .spawn()
            .unwrap();
        let pgid = child.id().unwrap();
        assert!(proc::group_alive(pgid));
        drop(child.stdin.take());
        let status = child.wait().await.unwrap();
        assert!(!status.success());
        // Every member got SIGKILL with the program; wait (bounded) for the last one to exit.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while proc::group_alive(pgid) {
            assert!(
                std::time::Instant::now() < deadline,
                "group {pgid} survived"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        // Past the moment the background member would have written: it never did.
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        assert!(!marker.exists());
    }
}
