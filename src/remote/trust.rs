//! Learning a host's key without trusting it: what `nightwatch hosts trust` shows before it
//! records anything, and what a refused connection names.
//!
//! The system `ssh` connects with every authentication method switched off and
//! `StrictHostKeyChecking=accept-new` against a scratch known-hosts file seeded with the store
//! minus the host itself: it records the key the host presents, then fails to authenticate (no
//! command ever runs). Jump hops keep the strict store policy of the config file, so a host
//! behind a jump host is only scanned through a jump host that is already trusted.

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use sha2::Digest as _;

use super::sshconf::{known_hosts_text, write_private};
use crate::domain::ssh::{KnownHost, SshEndpoint};

/// `SHA256:…` of a base64 public key, as `ssh-keygen -l` prints it.
pub fn fingerprint(key_b64: &str) -> Option<String> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(key_b64.trim())
        .ok()?;
    let digest = sha2::Sha256::digest(&raw);
    Some(format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
    ))
}

/// Parse known_hosts lines for `host` into keys (metadata left empty).
pub fn keys_for(text: &str, host: &str) -> Vec<KnownHost> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (h, t, k) = (f.next()?, f.next()?, f.next()?);
            (h.split(',').any(|x| x == host)).then(|| KnownHost {
                host: host.to_owned(),
                key_type: t.to_owned(),
                key: k.to_owned(),
                fingerprint: fingerprint(k).unwrap_or_default(),
                component: String::new(),
                added_by: String::new(),
                added_at: 0,
            })
        })
        .collect()
}

/// The key(s) `ep` presents, learned through `config` (the endpoint's config file) from a scratch
/// directory `dir`. `store` is the shared store (its entries for other hosts, jump hops
/// included, stay strict).
pub async fn scan(
    ep: &SshEndpoint,
    config: &Path,
    dir: &Path,
    store: &[KnownHost],
    timeout: Duration,
) -> Result<Vec<KnownHost>, String> {
    let name = ep.known_hosts_name();
    let scratch = dir.join(format!("scan-{}", rand::random::<u64>()));
    let others: Vec<KnownHost> = store.iter().filter(|k| k.host != name).cloned().collect();
    write_private(&scratch, &known_hosts_text(&others)).map_err(|e| e.to_string())?;
    let mut cmd = tokio::process::Command::new("ssh");
    cmd.arg("-F").arg(config);
    for o in [
        "StrictHostKeyChecking=accept-new",
        "PubkeyAuthentication=no",
        "PasswordAuthentication=no",
        "KbdInteractiveAuthentication=no",
        "HostbasedAuthentication=no",
        "GSSAPIAuthentication=no",
        "BatchMode=yes",
        "ControlMaster=no",
        "ControlPath=none",
    ] {
        cmd.arg("-o").arg(o);
    }
    cmd.arg("-o")
        .arg(format!("UserKnownHostsFile={}", scratch.display()))
        .arg("-o")
        .arg(format!("ConnectTimeout={}", timeout.as_secs().max(1)))
        .arg("-p")
        .arg(ep.port.to_string());
    if let Some(u) = &ep.user {
        cmd.arg("-l").arg(u);
    }
    if ep.jump.is_some() {
        cmd.arg("-J").arg(super::sshconf::jump_alias(
            super::sshconf::jumps(ep).len() - 1,
        ));
    }
    cmd.arg("--").arg(&ep.host).arg("true");
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let out = tokio::time::timeout(timeout, cmd.output())
        .await
        .map_err(|_| format!("{name}: no answer within {timeout:?}"))?
        .map_err(|e| format!("cannot start ssh: {e}"))?;
    let text = std::fs::read_to_string(&scratch).unwrap_or_default();
    let _ = std::fs::remove_file(&scratch);
    let keys = keys_for(&text, &name);
    if keys.is_empty() {
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err
            .lines()
            .rfind(|l| !l.trim().is_empty())
            .unwrap_or("no key recorded");
        return Err(format!("{name}: cannot read its host key: {line}"));
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_match_ssh_keygen() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("k");
        let made = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&file)
            .status()
            .unwrap();
        assert!(made.success());
        let public = std::fs::read_to_string(file.with_extension("pub")).unwrap();
        let key = public.split_whitespace().nth(1).unwrap();
        let listed = std::process::Command::new("ssh-keygen")
            .arg("-lf")
            .arg(file.with_extension("pub"))
            .output()
            .unwrap();
        let listed = String::from_utf8_lossy(&listed.stdout);
        let fp = fingerprint(key).unwrap();
        assert_eq!(
            listed.split_whitespace().nth(1),
            Some(fp.as_str()),
            "{listed}"
        );
        let k = keys_for(
            &format!("[h]:2222 ssh-ed25519 {key}\nother ssh-rsa AAAA\n"),
            "[h]:2222",
        );
        assert_eq!(k.len(), 1);
        assert_eq!(k[0].fingerprint, fp);
    }
}
