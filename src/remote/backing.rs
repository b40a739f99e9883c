//! [`StoreBacking`]: the executor's known hosts from the shared store and identities from the
//! sealed system configuration.

use futures::FutureExt as _;
use futures::future::BoxFuture;
use serde_json::Value;

use super::Backing;
use crate::domain::ssh::KnownHost;
use crate::store::Store;
use crate::sysconfig::SysConfig;

/// The store-backed [`Backing`] every engine and CLI uses.
#[derive(Clone, Debug)]
pub struct StoreBacking {
    pub store: Store,
    /// Needed only for `identity_secret` endpoints.
    pub config: Option<SysConfig>,
}

impl Backing for StoreBacking {
    fn known_hosts(&self) -> BoxFuture<'_, Result<Vec<KnownHost>, String>> {
        async move {
            self.store
                .list_known_hosts()
                .await
                .map_err(|e| format!("known hosts: {e}"))
        }
        .boxed()
    }

    fn secret<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<String, String>> {
        async move {
            let Some(config) = &self.config else {
                return Err("no system configuration here to open sealed keys".to_owned());
            };
            let (_, value) = config.effective(key).await.map_err(|e| e.to_string())?;
            match value {
                Value::String(s) if !s.is_empty() => Ok(s),
                Value::Object(m) => match m.get("private_key") {
                    Some(Value::String(s)) => Ok(s.clone()),
                    _ => Err("expected a string, or an object with `private_key`".to_owned()),
                },
                _ => Err(
                    "not set: store the private key text there (`nightwatch config set`)"
                        .to_owned(),
                ),
            }
        }
        .boxed()
    }
}
