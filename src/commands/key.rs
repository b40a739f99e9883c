//! `nightwatch key export|import|rotate`: bringing the estate's secret key to another host, and
//! replacing it (every sealed secret re-sealed in one transaction).

use std::io::{Read as _, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde_json::Value;

use crate::domain::sysconfig as reg;
use crate::settings::Settings;
use crate::sysconfig::estate_key::{self, KeyPlace};
use crate::sysconfig::{SecretBox, SysConfig, sealed_pointers};

use super::{Failure, actor};

/// `nightwatch key …`
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Print this host's secret key (base64) to stdout, to bring it to another host of the same
    /// estate: `nightwatch key export > key.txt`, copy it safely, `nightwatch key import key.txt`.
    Export,
    /// Install the estate's key on this host (into `secrets.key_file`, else the data directory's
    /// secret.key, mode 0600) after checking it against the database. FILE `-` or none: stdin.
    Import {
        file: Option<PathBuf>,
        /// Replace a different key already installed here (kept as `<file>.replaced-<time>`).
        #[arg(long)]
        force: bool,
    },
    /// Make a new key and re-seal every secret of the configuration and its history with it, in
    /// one transaction (G3, audited). Then bring the new key to every other host and restart
    /// their engines.
    Rotate {
        /// Why (goes into the audit log).
        #[arg(long)]
        reason: Option<String>,
    },
}

pub async fn run(settings: Settings, cmd: KeyCommand) -> Result<(), Failure> {
    let _log = crate::logging::init(
        &settings.paths.state_dir,
        &settings.log.level,
        crate::logging::Echo::FileOnly,
    );
    let store = super::open_store(&settings).await?;
    let cfg = SysConfig::from_settings(store.clone(), &settings);
    let place = cfg.key_place();
    let result = match cmd {
        KeyCommand::Export => export(&cfg, &place).await,
        KeyCommand::Import { file, force } => import(&store, &place, file.as_deref(), force).await,
        KeyCommand::Rotate { reason } => rotate(&store, &cfg, &place, reason).await,
    };
    store.close().await;
    result
}

async fn export(cfg: &SysConfig, place: &KeyPlace) -> Result<(), Failure> {
    // Only the estate's key is worth exporting: a stray key would seal secrets nobody can open.
    cfg.check_key().await?;
    let text = place.text()?;
    tracing::warn!(actor = %actor(), "secret key exported");
    eprintln!("nightwatch: this is the estate's secret key; keep it as secret as the secrets");
    println!("{text}");
    Ok(())
}

fn read_input(file: Option<&Path>) -> Result<String, Failure> {
    let mut text = String::new();
    match file {
        None => {
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| Failure::Other(format!("cannot read the key from stdin: {e}")))?;
        }
        Some(p) if p.as_os_str() == "-" => {
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| Failure::Other(format!("cannot read the key from stdin: {e}")))?;
        }
        Some(p) => {
            text = std::fs::read_to_string(p)
                .map_err(|e| Failure::Other(format!("cannot read {}: {e}", p.display())))?;
        }
    }
    Ok(text.trim().to_owned())
}

async fn import(
    store: &crate::store::Store,
    place: &KeyPlace,
    file: Option<&Path>,
    force: bool,
) -> Result<(), Failure> {
    let text = read_input(file)?;
    let sbox = SecretBox::load(Some(&text), &place.data_dir, false).map_err(|_| {
        Failure::Other(
            "that is not a secret key (expected 44 base64 characters or 64 hex digits, as \
             `nightwatch key export` prints)"
                .into(),
        )
    })?;
    match store.key_verifier().await? {
        Some(v) if !estate_key::verifies(&sbox, &v) => {
            return Err(Failure::Other(
                "that key is not this database's key (it cannot open the database's key \
                 verifier); nothing was written. Export the key from a host that runs with this \
                 database"
                    .into(),
            ));
        }
        Some(_) => {}
        None => {
            if let Some((key, value)) = store.any_sealed_config().await? {
                let value: Value = serde_json::from_str(&value).unwrap_or(Value::Null);
                if sbox.open(&key, &value).is_err() {
                    return Err(Failure::Other(format!(
                        "that key cannot open the sealed {key} of this database; nothing was written"
                    )));
                }
            }
        }
    }
    let path = place.file();
    if path.exists() {
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current.trim() == text {
            println!("the key is already installed at {}", path.display());
            return Ok(());
        }
        if !force {
            return Err(Failure::Other(format!(
                "{} holds another key; give --force to replace it (it is kept beside)",
                path.display()
            )));
        }
        let kept = path.with_extension(format!("replaced-{}", crate::domain::time::now_ms()));
        std::fs::rename(&path, &kept)
            .map_err(|e| Failure::Other(format!("cannot move {} aside: {e}", path.display())))?;
        eprintln!("nightwatch: the previous key is kept at {}", kept.display());
    }
    write_key_file(&path, &text)?;
    if place.env_key.is_some() {
        eprintln!("nightwatch: note: NIGHTWATCH_SECRET_KEY is set and wins over the file");
    }
    println!("the estate's key is installed at {}", path.display());
    Ok(())
}

fn write_key_file(path: &Path, text: &str) -> Result<(), Failure> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::Other(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Failure::Other(format!("cannot create {}: {e}", path.display())))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| Failure::Other(format!("cannot write {}: {e}", path.display())))
}

async fn rotate(
    store: &crate::store::Store,
    cfg: &SysConfig,
    place: &KeyPlace,
    reason: Option<String>,
) -> Result<(), Failure> {
    let reason = reason.filter(|r| !r.trim().is_empty()).ok_or_else(|| {
        Failure::Other("key rotation is a G3 operation: give --reason \"…\"".into())
    })?;
    if place.env_key.is_some() {
        return Err(Failure::Other(
            "the key comes from NIGHTWATCH_SECRET_KEY, which rotation cannot rewrite: install it \
             in a file first (`nightwatch key export | nightwatch key import`, then unset the \
             variable) and rotate there"
                .into(),
        ));
    }
    cfg.check_key().await?;
    let old = place.load(false)?;
    // The new key is written beside the old one before the database changes, so a crash between
    // the two never leaves secrets sealed with a key that exists nowhere.
    let path = place.file();
    let staged = path.with_extension("new");
    let _ = std::fs::remove_file(&staged);
    let fresh_dir = tempfile_dir(&path)?;
    let new = SecretBox::load(None, &fresh_dir, true)
        .map_err(|e| Failure::Other(format!("cannot make a new key: {e}")))?;
    let new_text = std::fs::read_to_string(fresh_dir.join("secret.key"))
        .map_err(|e| Failure::Other(format!("cannot read the new key: {e}")))?;
    let _ = std::fs::remove_dir_all(&fresh_dir);
    write_key_file(&staged, new_text.trim())?;
    let reseal = |key: &str, text: &str| -> Result<String, String> {
        let stored: Value = serde_json::from_str(text).map_err(|e| format!("{key}: {e}"))?;
        let before = sealed_pointers(&stored);
        let plain = old.open(key, &stored).map_err(|e| e.to_string())?;
        let sealed = new
            .seal(key, reg::lookup(key), &plain)
            .map_err(|e| format!("{key}: {e}"))?;
        let after = sealed_pointers(&sealed);
        if before.iter().any(|p| !after.contains(p)) {
            return Err(format!("{key}: a secret would be left unsealed"));
        }
        Ok(sealed.to_string())
    };
    let who = format!("{} ({reason})", actor());
    let verifier = estate_key::verifier(&new)
        .map_err(|e| Failure::Other(format!("cannot seal the new key's verifier: {e}")))?;
    let n = store
        .rotate_key(&verifier, &who, &reseal)
        .await
        .map_err(|e| {
            let _ = std::fs::remove_file(&staged);
            Failure::Database(e)
        })?;
    let kept = path.with_extension(format!("old-{}", crate::domain::time::now_ms()));
    std::fs::rename(&path, &kept)
        .and_then(|()| std::fs::rename(&staged, &path))
        .map_err(|e| {
            Failure::Other(format!(
                "the database now uses the new key, but installing it failed ({e}): move {} to \
                 {} by hand",
                staged.display(),
                path.display()
            ))
        })?;
    println!(
        "re-sealed {n} values with a new key, installed at {} (the old one is kept at {}).\n\
         Bring the new key to every other host (`nightwatch key export` here, `nightwatch key \
         import --force` there) and restart their engines.",
        path.display(),
        kept.display()
    );
    Ok(())
}

/// A private directory next to the key file for making the new key (same filesystem, 0700).
fn tempfile_dir(path: &Path) -> Result<PathBuf, Failure> {
    let dir = path
        .parent()
        .unwrap_or(Path::new("."))
        .join(format!(".nightwatch-key-{}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::Other(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir)
}
