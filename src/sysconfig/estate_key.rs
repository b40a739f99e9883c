//! One key for an estate. Every process that shares a database must seal and open secrets with
//! the same key, so the database holds a verifier (a random text sealed with the key). A process
//! whose key cannot open it refuses to start or to write, saying how to bring the key; a process
//! with no key never makes a new one against a database that already holds a verifier or sealed
//! secrets (it would seal them with a second key, which every other engine then fails to open).
//!
//! The key comes from `NIGHTWATCH_SECRET_KEY`, else the settings' `secrets.key_file`, else
//! `<data dir>/secret.key` (created only on a database that has no key yet).

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::{ConfigError, SecretBox};
use crate::store::Store;

/// The associated data the verifier is sealed under.
const VERIFIER_AAD: &str = "NW_KEY_VERIFIER";

/// What to tell a process that does not hold the estate's key.
pub const HOW_TO_BRING: &str = "bring the estate's key to this host: on a host that runs \
    nightwatch with this database, `nightwatch key export > key.txt`; here, `nightwatch key import \
    key.txt` (writes the data directory's secret.key), or set NIGHTWATCH_SECRET_KEY, or point \
    `secrets.key_file` in the config file at a copy of it (mode 0600)";

/// Where this process's key lives.
#[derive(Debug, Clone)]
pub struct KeyPlace {
    /// `NIGHTWATCH_SECRET_KEY` (base64 or hex), when set.
    pub env_key: Option<String>,
    /// `secrets.key_file`, when set.
    pub key_file: Option<PathBuf>,
    pub data_dir: PathBuf,
}

impl KeyPlace {
    /// The file the key is read from (and written to by `key import`) when no variable is set.
    pub fn file(&self) -> PathBuf {
        self.key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("secret.key"))
    }

    /// Whether a key is at hand without creating one.
    pub fn exists(&self) -> bool {
        self.env_key.is_some() || self.file().exists()
    }

    /// The key's text (base64 or hex), for `key export`.
    pub fn text(&self) -> Result<String, ConfigError> {
        if let Some(k) = &self.env_key {
            return Ok(k.trim().to_owned());
        }
        let path = self.file();
        read_key_file(&path)
    }

    /// Open the key; `create` makes `<data dir>/secret.key` when there is none.
    pub fn load(&self, create: bool) -> Result<SecretBox, ConfigError> {
        if self.env_key.is_none()
            && let Some(path) = &self.key_file
        {
            let text = read_key_file(path)?;
            let mut sbox = SecretBox::load(Some(&text), &self.data_dir, false).map_err(|_| {
                ConfigError::Key(format!(
                    "secrets.key_file {} does not hold a 32-byte key (44 base64 characters or \
                     64 hex digits)",
                    path.display()
                ))
            })?;
            sbox.source = path.display().to_string();
            return Ok(sbox);
        }
        Ok(SecretBox::load(
            self.env_key.as_deref(),
            &self.data_dir,
            create,
        )?)
    }

    fn describe(&self) -> String {
        if self.env_key.is_some() {
            "NIGHTWATCH_SECRET_KEY".to_owned()
        } else {
            self.file().display().to_string()
        }
    }
}

fn read_key_file(path: &Path) -> Result<String, ConfigError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| ConfigError::Key(format!("secret key file {}: {e}", path.display())))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(ConfigError::Key(format!(
            "secret key file {} is readable by others (mode {mode:o}); run `chmod 600 {}`",
            path.display(),
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::Key(format!("secret key file {}: {e}", path.display())))?;
    Ok(text.trim().to_owned())
}

/// A fresh verifier for `sbox`'s key.
pub fn verifier(sbox: &SecretBox) -> Result<String, super::secretbox::SecretError> {
    use rand::RngCore as _;
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    let nonce = hex::encode(bytes);
    Ok(sbox
        .seal(VERIFIER_AAD, None, &json!({ "secret": nonce }))?
        .to_string())
}

/// Whether `sbox` holds the key `verifier` was made with.
pub fn verifies(sbox: &SecretBox, verifier: &str) -> bool {
    serde_json::from_str::<Value>(verifier).is_ok_and(|v| sbox.open(VERIFIER_AAD, &v).is_ok())
}

/// The estate's key, proven against the database: the verifier when there is one; otherwise a
/// sealed value (an estate from before verifiers), and then the verifier is recorded; otherwise
/// (a database with no secrets yet) this key becomes the estate's key.
pub async fn estate_box(
    store: &Store,
    place: &KeyPlace,
    read_only: bool,
) -> Result<SecretBox, ConfigError> {
    let mismatch = |what: &str| {
        ConfigError::Key(format!(
            "the secret key at {} is not this database's key ({what}); nothing was written. \
             To fix: {HOW_TO_BRING}",
            place.describe()
        ))
    };
    let missing = |what: &str| {
        ConfigError::Key(format!(
            "this database already {what}, and this host has no key ({} does not exist); a new \
             key is never made for it. To fix: {HOW_TO_BRING}",
            place.describe()
        ))
    };
    if let Some(v) = store.key_verifier().await? {
        if !place.exists() {
            return Err(missing("has an estate key"));
        }
        let sbox = place.load(false)?;
        return if verifies(&sbox, &v) {
            Ok(sbox)
        } else {
            Err(mismatch("it cannot open the database's key verifier"))
        };
    }
    if let Some((key, text)) = store.any_sealed_config().await? {
        if !place.exists() {
            return Err(missing("holds sealed secrets"));
        }
        let sbox = place.load(false)?;
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if sbox.open(&key, &value).is_err() {
            return Err(mismatch(&format!("it cannot open the sealed {key}")));
        }
        record(store, &sbox, read_only).await?;
        return Ok(sbox);
    }
    let sbox = place.load(!read_only)?;
    record(store, &sbox, read_only).await?;
    Ok(sbox)
}

/// Record `sbox`'s verifier unless one exists, then check against whatever is there (another
/// process may have recorded its own key a moment before).
async fn record(store: &Store, sbox: &SecretBox, read_only: bool) -> Result<(), ConfigError> {
    if read_only {
        return Ok(());
    }
    store
        .init_key_verifier(
            &verifier(sbox).map_err(|e| ConfigError::Key(e.to_string()))?,
            &crate::settings::operator(),
        )
        .await?;
    match store.key_verifier().await? {
        Some(v) if verifies(sbox, &v) => Ok(()),
        _ => Err(ConfigError::Key(format!(
            "another process recorded a different estate key a moment ago; nothing was \
             written. To fix: {HOW_TO_BRING}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verifier_opens_only_with_its_key() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let ka = SecretBox::load(None, a.path(), true).unwrap();
        let kb = SecretBox::load(None, b.path(), true).unwrap();
        let v = verifier(&ka).unwrap();
        assert!(verifies(&ka, &v));
        assert!(!verifies(&kb, &v));
        assert!(!verifies(&ka, "not json"));
        assert!(!v.contains("secret\":\"") || v.contains("enc:v1:"), "{v}");
    }
}
