//! A component's `ssh` endpoint: how nightwatch reaches the component's own host (issue 15), and
//! the known-hosts entries every engine shares.
//!
//! Written in a component's endpoints as a table:
//!
//! ```toml
//! [components.endpoints.ssh]
//! host = "10.0.0.5"
//! port = 22                              # default 22
//! user = "ops"                           # default: the engine's user / ~/.ssh/config
//! identity_file = "/etc/nightwatch/id"   # or identity_secret = "ssh.key.app" (a sealed config key)
//! jump = { host = "bastion", user = "ops" }   # optional ProxyJump, itself an ssh endpoint
//! ```
//!
//! Every text field ends up in an `ssh_config` file nightwatch writes, so each is checked here
//! against a strict character set: a value can never add a line or a `%` token to that file.
//! Must not: do IO.

use serde::{Deserialize, Serialize};

/// How to reach a component's host over SSH.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SshEndpoint {
    /// Host name or address.
    pub host: String,
    /// TCP port (default 22).
    #[serde(default = "default_port")]
    pub port: u16,
    /// Remote user (default: whatever `~/.ssh/config` or the engine's user gives).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// A private key file on the engine's machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_file: Option<String>,
    /// A system configuration key whose (sealed) value is the private key text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_secret: Option<String>,
    /// A jump host (`ProxyJump`), itself an SSH endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jump: Option<Box<SshEndpoint>>,
    /// Host-key policy; only `strict` exists: an unknown or changed host key is refused until
    /// `nightwatch hosts trust` records it.
    #[serde(default)]
    pub host_key: HostKeyPolicy,
}

/// What to do with a host key that is not in the known-hosts store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostKeyPolicy {
    /// Refuse unknown and changed keys (the default and, for now, the only policy).
    #[default]
    Strict,
}

fn default_port() -> u16 {
    22
}

/// A validation error naming the field (`ssh.jump.host`) and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SshFieldError {
    pub field: String,
    pub message: String,
}

impl SshEndpoint {
    /// Parse the `ssh` endpoint of a component's endpoints object, if it has one.
    pub fn from_endpoints(
        endpoints: &serde_json::Value,
    ) -> Result<Option<SshEndpoint>, SshFieldError> {
        let Some(v) = endpoints.get("ssh").filter(|v| !v.is_null()) else {
            return Ok(None);
        };
        let ep: SshEndpoint = serde_json::from_value(v.clone()).map_err(|e| SshFieldError {
            field: "ssh".into(),
            message: format!(
                "{e} (fields: host, port, user, identity_file, identity_secret, jump, host_key)"
            ),
        })?;
        ep.validate("ssh")?;
        Ok(Some(ep))
    }

    /// Check every field; the error names the first bad one under `prefix`.
    pub fn validate(&self, prefix: &str) -> Result<(), SshFieldError> {
        let bad = |field: &str, message: String| SshFieldError {
            field: format!("{prefix}.{field}"),
            message,
        };
        if self.host.is_empty()
            || !self
                .host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-_:".contains(c))
        {
            return Err(bad(
                "host",
                format!(
                    "{:?} is not a host name or address (letters, digits, `.`, `-`, `_`, `:`)",
                    self.host
                ),
            ));
        }
        if self.port == 0 {
            return Err(bad("port", "must be 1-65535".into()));
        }
        if let Some(u) = &self.user
            && (u.is_empty()
                || !u
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
                || u.starts_with('-'))
        {
            return Err(bad(
                "user",
                format!("{u:?} is not a user name (letters, digits, `.`, `_`, `-`)"),
            ));
        }
        if let Some(p) = &self.identity_file
            && (!p.starts_with('/')
                || !p
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c)))
        {
            return Err(bad(
                "identity_file",
                format!("{p:?} must be an absolute path of letters, digits, `/`, `.`, `_`, `-`"),
            ));
        }
        if self.identity_file.is_some() && self.identity_secret.is_some() {
            return Err(bad(
                "identity_secret",
                "give identity_file or identity_secret, not both".into(),
            ));
        }
        if let Some(k) = &self.identity_secret
            && (k.is_empty()
                || !k
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)))
        {
            return Err(bad(
                "identity_secret",
                format!("{k:?} is not a configuration key"),
            ));
        }
        if let Some(j) = &self.jump {
            j.validate(&format!("{prefix}.jump"))?;
        }
        Ok(())
    }

    /// The host field of a known-hosts line as `ssh` writes it: `host` on port 22,
    /// `[host]:port` otherwise.
    pub fn known_hosts_name(&self) -> String {
        known_hosts_name(&self.host, self.port)
    }

    /// How the console shows it: `ops@10.0.0.5:22 via bastion:22`.
    pub fn describe(&self) -> String {
        let user = self
            .user
            .as_deref()
            .map(|u| format!("{u}@"))
            .unwrap_or_default();
        let mut s = format!("{user}{}:{}", self.host, self.port);
        if let Some(j) = &self.jump {
            s.push_str(&format!(" via {}", j.describe()));
        }
        s
    }
}

/// `host` on port 22, `[host]:port` otherwise (the known-hosts host field).
pub fn known_hosts_name(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_owned()
    } else {
        format!("[{host}]:{port}")
    }
}

/// A component's last connection error: a check that runs on its host could not reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReachError {
    /// The component (the check's target).
    pub component: String,
    /// Why (scrubbed of secrets before it was stored).
    pub error: String,
    /// When (epoch ms).
    pub at: i64,
}

/// How a component is reached, as its detail shows it: `ssh ops@10.0.0.5:22 via bastion:22`, or
/// `local` without an `ssh` endpoint (its probes run where nightwatch runs).
pub fn reached(endpoints: &serde_json::Value) -> String {
    match SshEndpoint::from_endpoints(endpoints) {
        Ok(Some(ep)) => format!("ssh {}", ep.describe()),
        Ok(None) => "local".to_owned(),
        Err(e) => format!("invalid ssh endpoint ({e})"),
    }
}

/// One trusted host key of the shared known-hosts store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownHost {
    /// The known-hosts host field (`[127.0.0.2]:2222`).
    pub host: String,
    /// `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, …
    pub key_type: String,
    /// The base64 public key.
    pub key: String,
    /// `SHA256:…`.
    pub fingerprint: String,
    /// The component it was trusted for.
    pub component: String,
    pub added_by: String,
    pub added_at: i64,
}

impl KnownHost {
    /// The line of a known_hosts file.
    pub fn line(&self) -> String {
        format!("{} {} {}", self.host, self.key_type, self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_names_the_bad_field() {
        let ep = SshEndpoint::from_endpoints(&json!({"ssh": {"host": "10.0.0.5", "user": "ops",
            "jump": {"host": "bastion", "port": 2222}}}))
        .unwrap()
        .unwrap();
        assert_eq!(ep.port, 22);
        assert_eq!(ep.describe(), "ops@10.0.0.5:22 via bastion:2222");
        assert_eq!(
            ep.jump.as_ref().unwrap().known_hosts_name(),
            "[bastion]:2222"
        );
        assert!(
            SshEndpoint::from_endpoints(&json!({"host": "x"}))
                .unwrap()
                .is_none()
        );
        for (ssh, field) in [
            (json!({"host": "a b"}), "ssh.host"),
            (
                json!({"host": "h", "user": "x\nProxyCommand evil"}),
                "ssh.user",
            ),
            (
                json!({"host": "h", "identity_file": "key%d"}),
                "ssh.identity_file",
            ),
            (
                json!({"host": "h", "jump": {"host": "$(reboot)"}}),
                "ssh.jump.host",
            ),
            (json!({"host": "h", "port": 0}), "ssh.port"),
            (
                json!({"host": "h", "identity_file": "/k", "identity_secret": "s"}),
                "ssh.identity_secret",
            ),
        ] {
            let e = SshEndpoint::from_endpoints(&json!({ "ssh": ssh })).unwrap_err();
            assert_eq!(e.field, field, "{e}");
        }
        let e = SshEndpoint::from_endpoints(&json!({"ssh": {"hots": "h"}})).unwrap_err();
        assert!(e.to_string().contains("hots"), "{e}");
    }

    #[test]
    fn reached_says_ssh_with_the_jump_or_local() {
        let eps = json!({"ssh": {"host": "10.0.0.5", "user": "ops", "identity_secret": "ssh.key.app",
            "jump": {"host": "bastion"}}});
        assert_eq!(reached(&eps), "ssh ops@10.0.0.5:22 via bastion:22");
        assert!(!reached(&eps).contains("ssh.key"), "no identity shown");
        assert_eq!(reached(&json!({"http": "http://x"})), "local");
        assert!(reached(&json!({"ssh": {"host": "a b"}})).starts_with("invalid ssh endpoint"));
    }
}
