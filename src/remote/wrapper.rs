//! The fixed remote wrapper and the request it reads on stdin: how a script and its values
//! reach another host as data.
//!
//! The remote command line is always the same constant ([`WRAPPER`], run by `sh -c`); nothing
//! from a plan, a probe or a component is ever spliced into it. The request follows on stdin,
//! one item per line, every free text base64-encoded (so a value may hold quotes, `$(…)`, `;`,
//! newlines): the magic `NW1`, the interpreter, the script, the working directory (`-` for
//! none), then `NAME VALUE` lines and a final `.`. After the request, stdin stays open: it is the
//! leash. The wrapper starts the script with `setsid` (its own session and process group) and a
//! watcher that reads stdin; when the channel closes (the engine killed the local `ssh` on a
//! timeout or an abort, or the engine died) the watcher reads end-of-file and kills the whole
//! remote group with SIGKILL. After a normal exit the group is killed too, so background
//! children do not outlive the step, exactly like the local leash of [`crate::child`].
//!
//! Needs on the remote host: a POSIX `sh`, `base64` (coreutils) and `setsid` (util-linux).

use base64::Engine as _;

/// The remote wrapper (run as `sh -c WRAPPER`). Its own variables are `__nw_*`, a prefix refused
/// for the script's variables, so a value can never redirect it.
pub const WRAPPER: &str = r#"__nw_b64=$(command -v base64) && __nw_setsid=$(command -v setsid) || { echo "nightwatch: base64 and setsid are needed on $(hostname)" >&2; exit 125; }
__nw_dec() { printf '%s' "$1" | "$__nw_b64" -d && echo x; }
IFS= read -r __nw_m && [ "$__nw_m" = NW1 ] || { echo "nightwatch: bad request" >&2; exit 125; }
IFS= read -r __nw_p; IFS= read -r __nw_s; IFS= read -r __nw_d
case $__nw_p in sh|bash|python3) ;; *) echo "nightwatch: bad interpreter" >&2; exit 125;; esac
__nw_s=$(__nw_dec "$__nw_s") || exit 125; __nw_s=${__nw_s%x}
while IFS=' ' read -r __nw_k __nw_v; do
  [ "$__nw_k" = . ] && break
  case $__nw_k in ''|[0-9]*|*[!A-Za-z0-9_]*|__nw_*) echo "nightwatch: bad variable name" >&2; exit 125;; esac
  __nw_v=$(__nw_dec "$__nw_v") || exit 125
  export "$__nw_k=${__nw_v%x}"
done
if [ "$__nw_d" != - ]; then __nw_d=$(__nw_dec "$__nw_d") || exit 125; cd "${__nw_d%x}" || exit 125; fi
command -v "$__nw_p" >/dev/null || { echo "nightwatch: $__nw_p not found on $(hostname)" >&2; exit 127; }
exec 3<&0
"$__nw_setsid" "$__nw_p" -c "$__nw_s" </dev/null 3<&- &
__nw_c=$!
{ while read -r _ <&3; do :; done; kill -KILL "-$__nw_c"; } </dev/null >/dev/null 2>&1 &
__nw_w=$!
exec 3<&-
wait "$__nw_c"; __nw_r=$?
kill -KILL "-$__nw_c" 2>/dev/null
kill -KILL "$__nw_w" 2>/dev/null
exit "$__nw_r""#;

/// Why a request cannot be sent (checked before anything starts; names the variable).
pub fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        return Err(format!(
            "environment variable {name:?}: a name is letters, digits and `_`, not starting with a digit"
        ));
    }
    if name.to_ascii_lowercase().starts_with("__nw_") {
        return Err(format!(
            "environment variable {name}: the `__nw_` prefix is reserved for nightwatch's remote wrapper"
        ));
    }
    if crate::domain::plan::reserved_env(name) {
        return Err(format!(
            "environment variable {name}: NIGHTWATCH_* names are reserved for the engine and never reach a child; rename it"
        ));
    }
    Ok(())
}

/// The request text for `program -c script` with `env` in `workdir`.
pub fn request(
    program: &str,
    script: &str,
    env: &[(String, String)],
    workdir: Option<&str>,
) -> Result<String, String> {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let mut out = format!("NW1\n{program}\n{}\n", b64(script));
    match workdir {
        Some(d) => out.push_str(&format!("{}\n", b64(d))),
        None => out.push_str("-\n"),
    }
    for (k, v) in env {
        check_name(k)?;
        if v.contains('\0') {
            return Err(format!(
                "environment variable {k}: a value cannot hold a NUL byte"
            ));
        }
        out.push_str(&format!("{k} {}\n", b64(v)));
    }
    out.push_str(".\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt as _;

    /// The wrapper, run locally by `sh`, sees hostile values as data.
    #[tokio::test]
    async fn the_wrapper_decodes_hostile_values_as_data() {
        let hostile = "$(touch /tmp/nw-pwned) `id` ' \" ; rm -rf / \n second line\n";
        let env = vec![
            ("A".to_owned(), hostile.to_owned()),
            ("s".to_owned(), "not the script".to_owned()),
            ("EMPTY".to_owned(), String::new()),
        ];
        let req = request(
            "sh",
            "printf '%s|%s|%s' \"$A\" \"$s\" \"$EMPTY\"",
            &env,
            Some("/"),
        )
        .unwrap();
        let mut child = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(WRAPPER)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(req.as_bytes()).await.unwrap();
        stdin.flush().await.unwrap();
        let out = tokio::spawn(async move { child.wait_with_output().await.unwrap() });
        // Hold the leash until the script is done, as the executor does.
        let out = out.await.unwrap();
        drop(stdin);
        assert!(out.status.success(), "{out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("{hostile}|not the script|")
        );
        assert!(!std::path::Path::new("/tmp/nw-pwned").exists());
    }

    /// After a normal exit the script's whole group is gone (a background child included), with
    /// the `sh` of this machine (dash on Debian: no `kill --`).
    #[tokio::test]
    async fn a_background_child_dies_with_the_script() {
        let req = request("sh", "sleep 30 & echo $!", &[], None).unwrap();
        let mut child = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(WRAPPER)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(req.as_bytes()).await.unwrap();
        let out = child.wait_with_output().await.unwrap();
        drop(stdin);
        let pid: u32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while crate::child::proc::start_ticks(pid).is_some()
            && std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|s| !s.contains(") Z "))
        {
            assert!(
                std::time::Instant::now() < deadline,
                "background child {pid} survived"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    #[test]
    fn bad_names_are_refused_before_anything_starts() {
        for bad in [
            "1A",
            "A B",
            "A=B",
            "__nw_s",
            "NIGHTWATCH_SECRET_KEY",
            "x;y",
            "",
        ] {
            assert!(
                request("sh", "true", &[(bad.into(), "v".into())], None).is_err(),
                "{bad}"
            );
        }
        let e = request("sh", "true", &[("A".into(), "a\0b".into())], None).unwrap_err();
        assert!(e.contains("NUL"), "{e}");
    }
}
