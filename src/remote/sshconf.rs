//! The `ssh_config` file nightwatch writes for one endpoint, and the known-hosts file it points
//! at (the database's store, rewritten before each new connection).
//!
//! Layout: one `Host nw-jump-N` block per jump hop (its own port, user, identity, strict host-key
//! checking against the store), then `Host *` with the policy for everything (strict checking,
//! the store as the only known-hosts file, batch mode, keep-alives), then the user's own
//! `~/.ssh/config` for whatever nightwatch does not set (first value wins in `ssh_config`, so
//! nightwatch's policy cannot be loosened by it). Every text written here was validated by
//! [`crate::domain::ssh::SshEndpoint::validate`] (no spaces, no `%`, no newlines).

use std::path::{Path, PathBuf};

use crate::domain::ssh::{KnownHost, SshEndpoint};

/// The alias of jump hop `n` in the config file.
pub fn jump_alias(n: usize) -> String {
    format!("nw-jump-{n}")
}

/// The jump chain of `ep`, nearest to the engine first.
pub fn jumps(ep: &SshEndpoint) -> Vec<&SshEndpoint> {
    let mut chain = Vec::new();
    let mut cur = ep.jump.as_deref();
    while let Some(j) = cur {
        chain.push(j);
        cur = j.jump.as_deref();
    }
    chain.reverse();
    chain
}

/// The config text. `identities[i]` is the key file of jump hop `i` (same order as [`jumps`]).
pub fn config_text(ep: &SshEndpoint, known_hosts: &Path, identities: &[Option<PathBuf>]) -> String {
    let mut s = String::from("# written by nightwatch for one connection; do not edit\n");
    for (i, j) in jumps(ep).iter().enumerate() {
        s.push_str(&format!(
            "Host {}\n  HostName {}\n  Port {}\n",
            jump_alias(i),
            j.host,
            j.port
        ));
        if let Some(u) = &j.user {
            s.push_str(&format!("  User {u}\n"));
        }
        if let Some(Some(k)) = identities.get(i) {
            s.push_str(&format!(
                "  IdentityFile {}\n  IdentitiesOnly yes\n",
                k.display()
            ));
        }
        if i > 0 {
            s.push_str(&format!("  ProxyJump {}\n", jump_alias(i - 1)));
        }
    }
    s.push_str(&format!(
        "Host *\n  UserKnownHostsFile {}\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  \
         HashKnownHosts no\n  CheckHostIP no\n  UpdateHostKeys no\n  BatchMode yes\n  \
         ServerAliveInterval 15\n  ServerAliveCountMax 3\n  Include ~/.ssh/config\n",
        known_hosts.display()
    ));
    s
}

/// The known_hosts text of the store.
pub fn known_hosts_text(keys: &[KnownHost]) -> String {
    keys.iter().map(|k| k.line() + "\n").collect()
}

/// Write `text` to `path` with mode 0600 through a temporary file and a rename, so a reader never
/// sees half a file.
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::PermissionsExt as _;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    tmp.write_all(text.as_bytes())?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jump_chain_and_policy_come_before_the_users_config() {
        let ep: SshEndpoint = serde_json::from_value(serde_json::json!({"host": "10.0.0.5",
            "jump": {"host": "b2", "jump": {"host": "b1", "port": 2222, "user": "ops"}}}))
        .unwrap();
        let text = config_text(&ep, Path::new("/d/kh"), &[Some("/d/k0".into()), None]);
        let b1 = text.find("HostName b1").unwrap();
        let b2 = text.find("HostName b2").unwrap();
        assert!(b1 < b2, "{text}");
        assert!(
            text.contains("Port 2222\n  User ops\n  IdentityFile /d/k0"),
            "{text}"
        );
        assert!(text.contains("ProxyJump nw-jump-0"), "{text}");
        let strict = text.find("StrictHostKeyChecking yes").unwrap();
        assert!(strict < text.find("Include").unwrap(), "{text}");
    }
}
