//! Secrets at rest: XChaCha20-Poly1305 (RustCrypto) over each secret leaf of a value.
//!
//! A sealed leaf is the string `enc:v1:<base64(nonce ‖ ciphertext)>`; the password of a URL-valued
//! leaf is sealed in place (`mysql://u:enc:v1:<base64url>@h/db`, the rest stays readable). The key
//! name is the associated data, so a ciphertext cannot be moved to another key. The 32-byte key
//! comes from `NIGHTWATCH_SECRET_KEY` (base64 or 64 hex digits) or from `<data dir>/secret.key`,
//! created with mode 0600 on first use.
//!
//! Fails closed: a secret that cannot be encrypted is an error, never stored in clear. Key
//! material is wiped from memory when dropped (`zeroize`).

use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore as _;
use serde_json::Value;
use zeroize::Zeroizing;

use crate::domain::sysconfig::{
    KeySpec, replace_url_password, secret_pointers, url_password, url_secret_pointers,
};

const PREFIX: &str = "enc:v1:";

/// Largest secret sealed (a value is at most 1 MiB anyway); a larger one is refused.
const MAX_SECRET_BYTES: usize = 1 << 20;

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
    #[error("cannot encrypt {key} at {pointer}: nothing saved (a secret is never stored in clear)")]
    Encrypt { key: String, pointer: String },
}

/// The cipher with its key. `Debug` never shows the key.
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
    /// The key as text in the forms it may be written (base64, hex, as given), for the output
    /// scrubber. Wiped when dropped.
    forms: Vec<Zeroizing<String>>,
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
            let mut b = SecretBox::from_key(&key, "NIGHTWATCH_SECRET_KEY");
            b.forms.push(Zeroizing::new(text.trim().to_owned()));
            return Ok(b);
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
            let mut key = Zeroizing::new([0u8; 32]);
            rand::rng().fill_bytes(&mut *key);
            // create_new: two processes racing to create it cannot both write a key.
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(mut f) => {
                    f.write_all(Zeroizing::new(B64.encode(*key)).as_bytes())
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
        let text = Zeroizing::new(std::fs::read_to_string(&path).map_err(|e| err(e.to_string()))?);
        let key = decode_key(text.trim())
            .ok_or_else(|| err("does not hold a 32-byte base64 key".into()))?;
        let mut b = SecretBox::from_key(&key, &path.display().to_string());
        b.forms.push(Zeroizing::new(text.trim().to_owned()));
        Ok(b)
    }

    fn from_key(key: &[u8; 32], source: &str) -> SecretBox {
        SecretBox {
            cipher: XChaCha20Poly1305::new(key.into()),
            forms: vec![
                Zeroizing::new(B64.encode(key)),
                Zeroizing::new(hex::encode(key)),
            ],
            source: source.to_owned(),
        }
    }

    /// The key as text, in every form it may have been written, for the output scrubber.
    pub fn key_forms(&self) -> Vec<String> {
        self.forms.iter().map(|f| f.as_str().to_owned()).collect()
    }

    /// `nonce ‖ ciphertext` of `plain`, or `None` when the cipher refuses.
    fn encrypt(&self, key: &str, plain: &[u8]) -> Option<Vec<u8>> {
        if plain.len() > MAX_SECRET_BYTES {
            return None;
        }
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plain,
            aad: key.as_bytes(),
        };
        let ct = self.cipher.encrypt(&XNonce::from(nonce), payload).ok()?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ct);
        Some(blob)
    }

    /// Encrypt every non-empty secret leaf of `value`, and the password of every URL in it
    /// (already-sealed ones are kept as they are). Any failure is an error: nothing is returned
    /// half-sealed.
    pub fn seal(
        &self,
        key: &str,
        spec: Option<&KeySpec>,
        value: &Value,
    ) -> Result<Value, SecretError> {
        let mut out = value.clone();
        let fail = |p: &str| SecretError::Encrypt {
            key: key.to_owned(),
            pointer: display_pointer(p),
        };
        for p in secret_pointers(spec, value) {
            let Some(leaf) = out.pointer_mut(&p) else {
                continue;
            };
            let empty = leaf.is_null() || leaf.as_str().is_some_and(str::is_empty);
            if empty || is_sealed(leaf) {
                continue;
            }
            let plain = Zeroizing::new(leaf.to_string());
            let blob = self
                .encrypt(key, plain.as_bytes())
                .ok_or_else(|| fail(&p))?;
            *leaf = Value::String(format!("{PREFIX}{}", B64.encode(blob)));
        }
        for p in url_secret_pointers(spec, value) {
            let Some(leaf) = out.pointer_mut(&p) else {
                continue;
            };
            let Some(url) = leaf.as_str() else { continue };
            let Some(password) = url_password(url).map(Zeroizing::new) else {
                continue;
            };
            if password.starts_with(PREFIX) {
                continue;
            }
            let plain = Zeroizing::new(Value::String(password.to_string()).to_string());
            let blob = self
                .encrypt(key, plain.as_bytes())
                .ok_or_else(|| fail(&p))?;
            let sealed = replace_url_password(url, &format!("{PREFIX}{}", B64URL.encode(blob)));
            *leaf = Value::String(sealed);
        }
        Ok(out)
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
            let text = leaf.as_str().unwrap_or_default().to_owned();
            // A URL whose password is sealed in place, or a leaf sealed whole.
            let in_url = url_password(&text).filter(|pw| pw.starts_with(PREFIX));
            let blob = match &in_url {
                Some(pw) => pw.strip_prefix(PREFIX).and_then(|b| B64URL.decode(b).ok()),
                None => text.strip_prefix(PREFIX).and_then(|b| B64.decode(b).ok()),
            }
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
                .map(Zeroizing::new)
                .map_err(|_| fail())?;
            let clear: Value = serde_json::from_slice(&plain).map_err(|_| fail())?;
            *leaf = match (&in_url, clear) {
                (Some(_), Value::String(pw)) => {
                    Value::String(replace_url_password(&text, &Zeroizing::new(pw)))
                }
                (Some(_), _) => return Err(fail()),
                (None, clear) => clear,
            };
        }
        Ok(out)
    }
}

/// Whether a leaf is a sealed secret, or a URL whose password is sealed.
pub fn is_sealed(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.starts_with(PREFIX) || url_password(s).is_some_and(|p| p.starts_with(PREFIX))
    })
}

/// Pointers of every sealed leaf (or URL with a sealed password), at any depth (`""` when the
/// whole value is sealed).
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

fn decode_key(text: &str) -> Option<Zeroizing<[u8; 32]>> {
    let bytes = Zeroizing::new(
        if text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok())
                .collect::<Option<Vec<u8>>>()?
        } else {
            B64.decode(text).ok()?
        },
    );
    let mut key = Zeroizing::new([0u8; 32]);
    (bytes.len() == 32).then(|| key.copy_from_slice(&bytes))?;
    Some(key)
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
        let sealed = b
            .seal("ASO_API_CONFIG", lookup("ASO_API_CONFIG"), &v)
            .unwrap();
        assert_eq!(
            sealed["endPoint"], "https://aso",
            "non-secret fields stay readable"
        );
        assert!(is_sealed(&sealed["accessKeyInfo"]));
        assert!(!sealed.to_string().contains("very-secret"));
        assert_eq!(b.open("ASO_API_CONFIG", &sealed).unwrap(), v);
        let again = b
            .seal("ASO_API_CONFIG", lookup("ASO_API_CONFIG"), &v)
            .unwrap();
        assert_ne!(again, sealed, "a fresh nonce every time");
    }

    #[test]
    fn ciphertext_is_bound_to_its_key_and_to_the_secret_key() {
        let dir = tempfile::tempdir().unwrap();
        let b = sbox(dir.path());
        let sealed = b
            .seal(
                "IAM_CONFIG",
                lookup("IAM_CONFIG"),
                &json!({"iamUser": "a", "iamUserPassword": "p"}),
            )
            .unwrap();
        let moved = b.open("OTHER_KEY", &sealed).unwrap_err().to_string();
        assert!(moved.contains("/iamUserPassword"), "{moved}");
        let other = tempfile::tempdir().unwrap();
        assert!(sbox(other.path()).open("IAM_CONFIG", &sealed).is_err());
    }

    #[test]
    fn a_url_password_is_sealed_in_place_and_opens_again() {
        let dir = tempfile::tempdir().unwrap();
        let b = sbox(dir.path());
        let v = json!({"dsn": "mysql://app:s3cr%2Ft@db:3306/shop", "host": "db"});
        let sealed = b.seal("MY_DB", None, &v).unwrap();
        let text = sealed["dsn"].as_str().unwrap();
        assert!(
            text.starts_with("mysql://app:enc:v1:") && text.ends_with("@db:3306/shop"),
            "{text}"
        );
        assert!(!sealed.to_string().contains("s3cr"));
        assert_eq!(sealed_pointers(&sealed), vec!["/dsn".to_owned()]);
        assert_eq!(
            b.seal("MY_DB", None, &sealed).unwrap(),
            sealed,
            "sealed once"
        );
        assert_eq!(b.open("MY_DB", &sealed).unwrap(), v);
    }

    #[test]
    fn a_secret_that_cannot_be_encrypted_is_an_error_never_plaintext() {
        let dir = tempfile::tempdir().unwrap();
        let b = sbox(dir.path());
        let huge = "x".repeat(MAX_SECRET_BYTES + 1);
        let v = json!({"endPoint": "e", "accessKeyInfo": huge});
        let err = b
            .seal("ASO_API_CONFIG", lookup("ASO_API_CONFIG"), &v)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cannot encrypt ASO_API_CONFIG at /accessKeyInfo")
                && err.contains("never stored in clear"),
            "{err}"
        );
    }

    #[test]
    fn the_key_is_offered_to_the_scrubber_in_every_written_form() {
        let dir = tempfile::tempdir().unwrap();
        let hex = "ab".repeat(32);
        let b = SecretBox::load(Some(&hex), dir.path(), false).unwrap();
        let forms = b.key_forms();
        assert!(
            forms.contains(&hex) && forms.contains(&B64.encode([0xab_u8; 32])),
            "{}",
            forms.len()
        );
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
        let sealed = a
            .seal("KUBE_CONFIG", lookup("KUBE_CONFIG"), &json!("kubeconfig"))
            .unwrap();
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
