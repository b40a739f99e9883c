//! Secrets at rest: XChaCha20-Poly1305 (RustCrypto) over each secret leaf of a value.
//!
//! A sealed leaf is the string `enc:v1:<base64(nonce ‖ ciphertext)>`; the key name is the
//! associated data, so a ciphertext cannot be moved to another key. The 32-byte key comes from
//! `NIGHTWATCH_SECRET_KEY` (base64 or 64 hex digits) or from `<data dir>/secret.key`, created with
//! mode 0600 on first use.

use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore as _;
use serde_json::Value;

use crate::domain::sysconfig::{KeySpec, secret_pointers};

const PREFIX: &str = "enc:v1:";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "NIGHTWATCH_SECRET_KEY is not a 32-byte key (give 44 base64 characters or 64 hex digits)"
    )]
    BadEnvKey,
    #[error("secret key file {path}: {message}")]
    KeyFile { path: PathBuf, message: String },
    #[error(
        "cannot decrypt {key} at {pointer}: wrong secret key (NIGHTWATCH_SECRET_KEY or the key file)?"
    )]
    Decrypt { key: String, pointer: String },
}

/// The cipher with its key. `Debug` never shows the key.
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
    /// Where the key came from, for messages.
    pub source: String,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretBox")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl SecretBox {
    /// From `NIGHTWATCH_SECRET_KEY` when set, else the key file in `data_dir` (created when absent,
    /// unless `create` is false).
    pub fn load(
        env_key: Option<&str>,
        data_dir: &Path,
        create: bool,
    ) -> Result<SecretBox, SecretError> {
        if let Some(text) = env_key {
            let key = decode_key(text).ok_or(SecretError::BadEnvKey)?;
            return Ok(SecretBox::from_key(&key, "NIGHTWATCH_SECRET_KEY"));
        }
        let path = data_dir.join("secret.key");
        let err = |message: String| SecretError::KeyFile {
            path: path.clone(),
            message,
        };
        if !path.exists() {
            if !create {
                return Err(err(
                    "does not exist (read-only processes do not create it)".into()
                ));
            }
            std::fs::create_dir_all(data_dir)
                .map_err(|e| err(format!("cannot create its directory: {e}")))?;
            let mut key = [0u8; 32];
            rand::rng().fill_bytes(&mut key);
            // create_new: two processes racing to create it cannot both write a key.
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(mut f) => {
                    f.write_all(B64.encode(key).as_bytes())
                        .and_then(|()| f.sync_all())
                        .map_err(|e| err(format!("cannot write it: {e}")))?;
                    tracing::info!(path = %path.display(), "created the secret key file");
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(err(format!("cannot create it: {e}"))),
            }
        }
        let meta = std::fs::metadata(&path).map_err(|e| err(e.to_string()))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(err(format!(
                "is readable by others (mode {mode:o}); run `chmod 600 {}`",
                path.display()
            )));
        }
        let text = std::fs::read_to_string(&path).map_err(|e| err(e.to_string()))?;
        let key = decode_key(text.trim())
            .ok_or_else(|| err("does not hold a 32-byte base64 key".into()))?;
        Ok(SecretBox::from_key(&key, &path.display().to_string()))
    }

    fn from_key(key: &[u8; 32], source: &str) -> SecretBox {
        SecretBox {
            cipher: XChaCha20Poly1305::new(key.into()),
            source: source.to_owned(),
        }
    }

    /// Encrypt every non-empty secret leaf of `value` (already-sealed leaves are kept as they are).
    pub fn seal(&self, key: &str, spec: Option<&KeySpec>, value: &Value) -> Value {
        let mut out = value.clone();
        for p in secret_pointers(spec, value) {
            let Some(leaf) = out.pointer_mut(&p) else {
                continue;
            };
            let empty = leaf.is_null() || leaf.as_str().is_some_and(str::is_empty);
            if empty || is_sealed(leaf) {
                continue;
            }
            let plain = leaf.to_string();
            let mut nonce = [0u8; 24];
            rand::rng().fill_bytes(&mut nonce);
            let payload = Payload {
                msg: plain.as_bytes(),
                aad: key.as_bytes(),
            };
            if let Ok(ct) = self.cipher.encrypt(&XNonce::from(nonce), payload) {
                let mut blob = nonce.to_vec();
                blob.extend_from_slice(&ct);
                *leaf = Value::String(format!("{PREFIX}{}", B64.encode(blob)));
            }
        }
        out
    }

    /// Decrypt every sealed leaf of `value`.
    pub fn open(&self, key: &str, value: &Value) -> Result<Value, SecretError> {
        let mut out = value.clone();
        for p in sealed_pointers(value) {
            let fail = || SecretError::Decrypt {
                key: key.to_owned(),
                pointer: display_pointer(&p),
            };
            let Some(leaf) = out.pointer_mut(&p) else {
                continue;
            };
            let blob = leaf
                .as_str()
                .and_then(|s| s.strip_prefix(PREFIX))
                .and_then(|b| B64.decode(b).ok())
                .filter(|b| b.len() > 24)
                .ok_or_else(fail)?;
            let (nonce, ct) = blob.split_at(24);
            let nonce = XNonce::try_from(nonce).map_err(|_| fail())?;
            let plain = self
                .cipher
                .decrypt(
                    &nonce,
                    Payload {
                        msg: ct,
                        aad: key.as_bytes(),
                    },
                )
                .map_err(|_| fail())?;
            *leaf = serde_json::from_slice(&plain).map_err(|_| fail())?;
        }
        Ok(out)
    }
}

/// Whether a leaf is a sealed secret.
pub fn is_sealed(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.starts_with(PREFIX))
}

/// Pointers of every sealed leaf, at any depth (`""` when the whole value is sealed).
pub fn sealed_pointers(value: &Value) -> Vec<String> {
    fn walk(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    walk(
                        x,
                        format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                        out,
                    );
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(x, format!("{at}/{i}"), out);
                }
            }
            _ if is_sealed(v) => out.push(at),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, String::new(), &mut out);
    out
}

fn display_pointer(p: &str) -> String {
    if p.is_empty() {
        "/".to_owned()
    } else {
        p.to_owned()
    }
}

fn decode_key(text: &str) -> Option<[u8; 32]> {
    let bytes = if text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit()) {
        (0..32)
            .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()?
    } else {
        B64.decode(text).ok()?
    };
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sysconfig::lookup;
    use serde_json::json;

    fn sbox(dir: &Path) -> SecretBox {
        SecretBox::load(None, dir, true).unwrap()
    }

    #[test]
    fn seal_then_open_round_trips_and_hides_the_text() {
        let dir = tempfile::tempdir().unwrap();
        let b = sbox(dir.path());
        let v = json!({"endPoint": "https://aso", "accessKeyInfo": "AK-very-secret"});
        let sealed = b.seal("ASO_API_CONFIG", lookup("ASO_API_CONFIG"), &v);
        assert_eq!(
            sealed["endPoint"], "https://aso",
            "non-secret fields stay readable"
        );
        assert!(is_sealed(&sealed["accessKeyInfo"]));
        assert!(!sealed.to_string().contains("very-secret"));
        assert_eq!(b.open("ASO_API_CONFIG", &sealed).unwrap(), v);
        let again = b.seal("ASO_API_CONFIG", lookup("ASO_API_CONFIG"), &v);
        assert_ne!(again, sealed, "a fresh nonce every time");
    }

    #[test]
    fn ciphertext_is_bound_to_its_key_and_to_the_secret_key() {
        let dir = tempfile::tempdir().unwrap();
        let b = sbox(dir.path());
        let sealed = b.seal(
            "IAM_CONFIG",
            lookup("IAM_CONFIG"),
            &json!({"iamUser": "a", "iamUserPassword": "p"}),
        );
        let moved = b.open("OTHER_KEY", &sealed).unwrap_err().to_string();
        assert!(moved.contains("/iamUserPassword"), "{moved}");
        let other = tempfile::tempdir().unwrap();
        assert!(sbox(other.path()).open("IAM_CONFIG", &sealed).is_err());
    }

    #[test]
    fn key_file_is_created_0600_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = sbox(dir.path());
        let path = dir.path().join("secret.key");
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let sealed = a.seal("KUBE_CONFIG", lookup("KUBE_CONFIG"), &json!("kubeconfig"));
        assert_eq!(
            sbox(dir.path()).open("KUBE_CONFIG", &sealed).unwrap(),
            json!("kubeconfig")
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = SecretBox::load(None, dir.path(), true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("chmod 600"), "{err}");
    }

    #[test]
    fn env_key_forms() {
        let dir = tempfile::tempdir().unwrap();
        let hex = "00".repeat(32);
        assert!(SecretBox::load(Some(&hex), dir.path(), false).is_ok());
        assert!(SecretBox::load(Some(&B64.encode([7u8; 32])), dir.path(), false).is_ok());
        assert!(matches!(
            SecretBox::load(Some("short"), dir.path(), false),
            Err(SecretError::BadEnvKey)
        ));
        assert!(
            !dir.path().join("secret.key").exists(),
            "env key never creates a file"
        );
    }
}
