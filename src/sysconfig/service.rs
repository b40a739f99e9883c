//! The operations on system configuration. Each validates before it writes, writes one version
//! with its audit entry in one transaction, and returns masked views.

use std::path::PathBuf;

use serde_json::Value;
use tokio::sync::OnceCell;

mod naming;

use naming::{check_name, random_token};

use super::view::{self, EngineFacts};
use super::{ConfigError, ConfigView, GENERATOR, HistoryEntry, SecretBox};
use crate::domain::Danger;
use crate::domain::sysconfig::{self as reg, KeySpec, parse_input, restore_masked, validate};
use crate::store::{ConfigSave, NewAudit, Store, StoredConfig};

/// The configuration service. Cheap to clone.
#[derive(Clone, Debug)]
pub struct SysConfig {
    store: Store,
    data_dir: PathBuf,
    env_key: Option<String>,
    /// `secrets.key_file` from the settings, when set.
    key_file: Option<PathBuf>,
    read_only: bool,
    secrets: std::sync::Arc<OnceCell<SecretBox>>,
}

/// A value as the operator gave it.
#[derive(Debug, Clone)]
pub enum Input {
    /// Text typed or read from a file: JSON, or a bare scalar for scalar keys.
    Text(String),
    Value(Value),
}

/// A save request.
#[derive(Debug, Clone)]
pub struct SetRequest {
    pub key: String,
    pub input: Input,
    /// The version the edit started from; `None` takes the current one (scripts).
    pub base_version: Option<i64>,
    pub actor: String,
    pub reason: String,
    /// Allow creating a key that is not in the registry.
    pub allow_new: bool,
}

/// What an import did (or would do, dry-run).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportReport {
    pub changed: Vec<String>,
    pub unchanged: Vec<String>,
}

impl SysConfig {
    pub fn new(
        store: Store,
        data_dir: PathBuf,
        env_key: Option<String>,
        read_only: bool,
    ) -> SysConfig {
        SysConfig {
            store,
            data_dir,
            env_key,
            key_file: None,
            read_only,
            secrets: Default::default(),
        }
    }

    /// Read the key from `path` instead of `<data dir>/secret.key` (`secrets.key_file`).
    pub fn with_key_file(mut self, path: Option<PathBuf>) -> SysConfig {
        self.key_file = path;
        self
    }

    /// Where this process's key lives.
    pub fn key_place(&self) -> super::estate_key::KeyPlace {
        super::estate_key::KeyPlace {
            env_key: self.env_key.clone(),
            key_file: self.key_file.clone(),
            data_dir: self.data_dir.clone(),
        }
    }

    /// Fail unless this process holds the estate's key (checked against the database's
    /// verifier; on a database without one, this key becomes the estate's). Engines call it before
    /// they register, so a host with another key never starts.
    pub async fn check_key(&self) -> Result<(), ConfigError> {
        self.secrets().await.map(|_| ())
    }

    /// From the settings and the `NIGHTWATCH_SECRET_KEY` environment variable.
    pub fn from_settings(store: Store, settings: &crate::settings::Settings) -> SysConfig {
        let read_only = settings.console.read_only || store.is_read_only();
        let env_key = std::env::var("NIGHTWATCH_SECRET_KEY")
            .ok()
            .filter(|k| !k.is_empty());
        let key_file =
            Some(settings.secrets.key_file.clone()).filter(|f| !f.as_os_str().is_empty());
        SysConfig::new(store, settings.paths.data_dir.clone(), env_key, read_only)
            .with_key_file(key_file)
    }

    /// The secret key as text in every form it may be written, for the output scrubber (empty
    /// when no key is available to this process).
    pub async fn secret_key_forms(&self) -> Vec<String> {
        self.secrets()
            .await
            .map(SecretBox::key_forms)
            .unwrap_or_default()
    }

    /// The store this service writes to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    async fn secrets(&self) -> Result<&SecretBox, ConfigError> {
        self.secrets
            .get_or_try_init(|| async {
                super::estate_key::estate_box(&self.store, &self.key_place(), self.read_only).await
            })
            .await
    }

    async fn facts(&self) -> Result<EngineFacts, ConfigError> {
        let alive_after = crate::domain::time::now_ms() - 45_000;
        let rows = self.store.engines_applied(alive_after).await?;
        let engines = rows
            .into_iter()
            .map(|(_, started, applied)| {
                let map = serde_json::from_str::<serde_json::Map<String, Value>>(&applied)
                    .unwrap_or_default();
                (started, map)
            })
            .collect();
        Ok(EngineFacts { engines })
    }

    /// What [`SysConfig::list`] depends on, in one number: the history's highest id (every save
    /// writes a row) and what the live engines applied. Two small reads by index; a poll that
    /// finds it unchanged reads nothing else.
    pub async fn list_stamp(&self) -> Result<u64, ConfigError> {
        use std::hash::{Hash, Hasher};
        let alive_after = crate::domain::time::now_ms() - 45_000;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.store.config_stamp().await?.hash(&mut h);
        self.store.engines_applied(alive_after).await?.hash(&mut h);
        // Never 0: 0 means "unknown" to the console.
        Ok(h.finish().max(1))
    }

    /// Every documented key (in registry order) and every user key, masked.
    pub async fn list(&self) -> Result<Vec<ConfigView>, ConfigError> {
        let rows = self.store.list_config().await?;
        let facts = self.facts().await?;
        let mut out: Vec<ConfigView> = reg::REGISTRY
            .iter()
            .map(|spec| {
                view::view(
                    spec.name,
                    Some(spec),
                    rows.iter().find(|r| r.key == spec.name),
                    &facts,
                )
            })
            .collect();
        for r in rows.iter().filter(|r| reg::lookup(&r.key).is_none()) {
            out.push(view::view(&r.key, None, Some(r), &facts));
        }
        Ok(out)
    }

    /// One key, masked. Unknown keys get "did you mean".
    pub async fn get(&self, key: &str) -> Result<ConfigView, ConfigError> {
        let row = self.store.get_config(key).await?;
        let spec = reg::lookup(key);
        if spec.is_none() && row.is_none() {
            return Err(self.unknown(key).await);
        }
        Ok(view::view(key, spec, row.as_ref(), &self.facts().await?))
    }

    async fn unknown(&self, key: &str) -> ConfigError {
        let user: Vec<String> = self
            .store
            .list_config()
            .await
            .map(|rows| rows.into_iter().map(|r| r.key).collect())
            .unwrap_or_default();
        let suggestion = reg::suggest(key, user.iter().map(String::as_str));
        ConfigError::UnknownKey {
            key: key.to_owned(),
            suggestion,
        }
    }

    /// The value in clear, for the engine (the default when never saved). Never log it.
    pub async fn effective(&self, key: &str) -> Result<(i64, Value), ConfigError> {
        match self.store.get_config(key).await? {
            Some(row) => Ok((row.version, self.open(&row).await?)),
            None => Ok((0, reg::lookup(key).map_or(Value::Null, |s| (s.default)()))),
        }
    }

    async fn open(&self, row: &StoredConfig) -> Result<Value, ConfigError> {
        let stored: Value = serde_json::from_str(&row.value).unwrap_or(Value::Null);
        if !view::holds_secrets(&stored) {
            return Ok(stored);
        }
        Ok(self.secrets().await?.open(&row.key, &stored)?)
    }

    /// Show a key's secrets in clear: an explicit, audited action, refused in read-only mode.
    pub async fn reveal(&self, key: &str, actor: &str) -> Result<Value, ConfigError> {
        if self.read_only {
            return Err(ConfigError::ReadOnly(format!(
                "revealing the secrets of {key}"
            )));
        }
        let Some(row) = self.store.get_config(key).await? else {
            if reg::lookup(key).is_none() {
                return Err(self.unknown(key).await);
            }
            return Ok(reg::lookup(key).map_or(Value::Null, |s| (s.default)()));
        };
        let value = self.open(&row).await?;
        let entry = NewAudit::new(actor, "config.reveal", key, Danger::G1)
            .after(serde_json::json!({"version": row.version}));
        self.store.insert_audit(&entry).await?;
        Ok(value)
    }

    /// Validate and save a new version.
    pub async fn set(&self, req: SetRequest) -> Result<ConfigView, ConfigError> {
        let key = req.key.as_str();
        if self.read_only {
            return Err(ConfigError::ReadOnly(format!("changing {key}")));
        }
        if req.reason.trim().is_empty() {
            return Err(ConfigError::ReasonRequired(key.to_owned()));
        }
        let spec = reg::lookup(key);
        let current = self.store.get_config(key).await?;
        if spec.is_none() && current.is_none() {
            if !req.allow_new {
                return Err(self.unknown(key).await);
            }
            check_name(key)?;
        }
        let kind = spec.map_or(reg::Kind::Json, |s| s.kind);
        let invalid = |problem| ConfigError::Invalid {
            key: key.to_owned(),
            problem,
        };
        let edited = match req.input {
            Input::Text(t) => parse_input(kind, &t).map_err(invalid)?,
            Input::Value(v) => v,
        };
        let base = req
            .base_version
            .unwrap_or_else(|| current.as_ref().map_or(0, |c| c.version));
        self.save(
            key,
            spec,
            current.as_ref(),
            edited,
            base,
            &req.actor,
            &req.reason,
            "set",
        )
        .await
    }

    /// Save `edited` (which may hold masks at secret fields) on top of `current`.
    #[allow(clippy::too_many_arguments)]
    async fn save(
        &self,
        key: &str,
        spec: Option<&KeySpec>,
        current: Option<&StoredConfig>,
        edited: Value,
        base: i64,
        actor: &str,
        reason: &str,
        action: &str,
    ) -> Result<ConfigView, ConfigError> {
        let stored_old: Value = current.map_or_else(
            || spec.map_or(Value::Null, |s| (s.default)()),
            |c| serde_json::from_str(&c.value).unwrap_or(Value::Null),
        );
        // Masked secret fields keep their stored (sealed) value: no decryption needed to edit.
        let value = restore_masked(spec, &edited, &stored_old);
        validate(spec, &value).map_err(|problem| ConfigError::Invalid {
            key: key.to_owned(),
            problem,
        })?;
        reg::declared_pointers(&value).map_err(|message| ConfigError::Invalid {
            key: key.to_owned(),
            problem: reg::ConfigProblem::Schema {
                path: format!("/{}", reg::DECLARED),
                message,
            },
        })?;
        let sealed =
            if view::holds_secrets(&value) || !reg::secret_pointers(spec, &value).is_empty() {
                self.secrets().await?.seal(key, spec, &value)?
            } else {
                value
            };
        if current.is_some_and(|c| c.version == base) && sealed == stored_old {
            return Err(ConfigError::NoChange {
                key: key.to_owned(),
                version: base,
            });
        }
        let audit = NewAudit::new(actor, &format!("config.{action}"), key, Danger::G2)
            .reason(reason)
            .before(view::masked(spec, &stored_old))
            .after(view::masked(spec, &sealed));
        let text = sealed.to_string();
        let save = ConfigSave {
            key,
            value: &text,
            base_version: base,
            actor,
            reason,
            action,
            audit,
        };
        let row = self.store.save_config(&save).await?;
        tracing::info!(
            key,
            version = row.version,
            actor,
            action,
            "configuration saved"
        );
        Ok(view::view(key, spec, Some(&row), &self.facts().await?))
    }

    /// Every version of a key, newest first, masked, with diffs.
    pub async fn history(&self, key: &str) -> Result<Vec<HistoryEntry>, ConfigError> {
        let rows = self.store.config_history(key).await?;
        if rows.is_empty() && reg::lookup(key).is_none() {
            return Err(self.unknown(key).await);
        }
        Ok(view::history(reg::lookup(key), &rows))
    }

    /// Make an old version current again, as a new version.
    pub async fn rollback(
        &self,
        key: &str,
        version: i64,
        base_version: Option<i64>,
        actor: &str,
        reason: &str,
    ) -> Result<ConfigView, ConfigError> {
        if self.read_only {
            return Err(ConfigError::ReadOnly(format!("rolling back {key}")));
        }
        if reason.trim().is_empty() {
            return Err(ConfigError::ReasonRequired(key.to_owned()));
        }
        let spec = reg::lookup(key);
        let current = self.store.get_config(key).await?;
        let Some(old) = self.store.config_version(key, version).await? else {
            if current.is_none() && spec.is_none() {
                return Err(self.unknown(key).await);
            }
            let latest = current.as_ref().map_or(0, |c| c.version);
            return Err(ConfigError::NoSuchVersion {
                key: key.to_owned(),
                version,
                latest,
            });
        };
        let value: Value = serde_json::from_str(&old.value).unwrap_or(Value::Null);
        let base = base_version.unwrap_or_else(|| current.as_ref().map_or(0, |c| c.version));
        let reason = format!("rollback to v{version}: {reason}");
        self.save(
            key,
            spec,
            current.as_ref(),
            value,
            base,
            actor,
            &reason,
            "rollback",
        )
        .await
    }

    /// Every saved key with its masked value: safe to archive or share.
    pub async fn export(&self) -> Result<Value, ConfigError> {
        let views = self.list().await?;
        let keys: serde_json::Map<String, Value> = views
            .into_iter()
            .filter(|v| v.version > 0)
            .map(|v| {
                (
                    v.key.clone(),
                    serde_json::json!({"version": v.version, "value": v.value}),
                )
            })
            .collect();
        Ok(serde_json::json!({
            "nightwatch_config_export": 1,
            "exported_at": crate::domain::time::format_utc(crate::domain::time::now_ms()),
            "keys": keys,
        }))
    }

    /// Apply an export. Every key is validated before anything is saved; a bad one refuses the
    /// whole import. Masked secrets keep the values stored here.
    pub async fn import(
        &self,
        doc: &Value,
        actor: &str,
        reason: &str,
        dry_run: bool,
    ) -> Result<ImportReport, ConfigError> {
        if self.read_only && !dry_run {
            return Err(ConfigError::ReadOnly("import".into()));
        }
        if reason.trim().is_empty() && !dry_run {
            return Err(ConfigError::ReasonRequired("the imported keys".into()));
        }
        let keys = doc.get("keys").and_then(Value::as_object).ok_or_else(|| ConfigError::Invalid {
            key: "(import)".into(),
            problem: reg::ConfigProblem::Schema {
                path: "/keys".into(),
                message: "expected an object {KEY: {\"value\": …}} as written by `nightwatch config export`".into(),
            },
        })?;
        let mut plan = Vec::new();
        let mut report = ImportReport::default();
        for (key, entry) in keys {
            let spec = reg::lookup(key);
            if spec.is_none() {
                check_name(key)?;
            }
            let value = entry.get("value").cloned().unwrap_or(Value::Null);
            let current = self.store.get_config(key).await?;
            let stored: Value = current.as_ref().map_or_else(
                || spec.map_or(Value::Null, |s| (s.default)()),
                |c| serde_json::from_str(&c.value).unwrap_or(Value::Null),
            );
            let restored = restore_masked(spec, &value, &stored);
            validate(spec, &restored).map_err(|problem| ConfigError::Invalid {
                key: key.clone(),
                problem,
            })?;
            if view::masked(spec, &restored) == view::masked(spec, &stored) && restored == stored {
                report.unchanged.push(key.clone());
            } else {
                report.changed.push(key.clone());
                plan.push((key.clone(), spec, current, restored));
            }
        }
        if !dry_run {
            for (key, spec, current, value) in plan {
                let base = current.as_ref().map_or(0, |c| c.version);
                self.save(
                    &key,
                    spec,
                    current.as_ref(),
                    value,
                    base,
                    actor,
                    reason,
                    "import",
                )
                .await?;
            }
        }
        Ok(report)
    }

    /// On first start, generate the credentials the documentation says are generated
    /// (`RMS_CONFIG.token`, `NW_EMBEDDED_AK`). Another process doing the same at once is fine.
    pub async fn seed_generated(&self) -> Result<(), ConfigError> {
        if self.read_only {
            return Ok(());
        }
        for spec in reg::REGISTRY.iter().filter(|s| s.generated) {
            if self.store.get_config(spec.name).await?.is_some() {
                continue;
            }
            let mut value = (spec.default)();
            match spec.name {
                "RMS_CONFIG" => value["token"] = Value::String(random_token(32)),
                "INGEST_AUTH" => {
                    value["alertmanager"]["token"] = Value::String(random_token(40));
                    value["api"]["token"] = Value::String(random_token(40));
                }
                "NW_EMBEDDED_AK" => {
                    value["ak"] = Value::String(format!("NW{}", random_token(18).to_uppercase()));
                    value["sk"] = Value::String(random_token(40));
                }
                _ => {}
            }
            let reason = "generated on first start";
            match self
                .save(
                    spec.name,
                    Some(spec),
                    None,
                    value,
                    0,
                    GENERATOR,
                    reason,
                    "generate",
                )
                .await
            {
                Ok(_) => {}
                Err(e) if e.conflict().is_some() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
