//! Helpers of the remote-executor tests: a migrated SQLite store, an executor on it, endpoints
//! and targets of an [`SshEstate`]'s hosts, and trusting every host's key.

use std::sync::Arc;
use std::time::Duration;

use nightwatch::domain::ssh::{KnownHost, SshEndpoint};
use nightwatch::probes::Target;
use nightwatch::remote::{Executor, Limits, RemoteCommand, StoreBacking};
use nightwatch::store::{Store, trust_audit};
use serde_json::json;

use super::ssh_hosts::SshEstate;
use super::{Backend, TestDb};

/// A generous deadline for one remote command in tests.
pub const T: Duration = Duration::from_secs(60);

/// A fresh migrated SQLite store.
pub async fn db() -> (TestDb, Store) {
    let db = TestDb::create(Backend::Sqlite).await.expect("sqlite");
    let store = db.store().await;
    store.migrate().await.expect("migrate");
    (db, store)
}

pub fn executor(store: &Store, limits: Limits) -> Arc<Executor> {
    let backing = StoreBacking {
        store: store.clone(),
        config: None,
    };
    // The machine running the tests may be saturated (parallel builds): connect patiently.
    let limits = Limits {
        connect_timeout: Duration::from_secs(30),
        ..limits
    };
    Arc::new(Executor::new(Arc::new(backing), limits).expect("executor"))
}

pub fn endpoint(estate: &SshEstate, i: usize) -> SshEndpoint {
    SshEndpoint::from_endpoints(&estate.endpoints(i))
        .expect("valid")
        .expect("ssh")
}

pub fn target(estate: &SshEstate, i: usize) -> Target {
    Target {
        name: format!("host-{i}"),
        endpoints: estate.endpoints(i),
        labels: json!({}),
    }
}

/// Trust every host's key (jump hosts first), as `hosts trust --yes` would.
pub async fn trust_all(store: &Store, exec: &Executor, estate: &SshEstate) {
    for i in 0..estate.hosts.len() {
        let ep = endpoint(estate, i);
        let keys: Vec<KnownHost> = exec.scan(&ep).await.expect("scan");
        assert_eq!(keys[0].fingerprint, estate.fingerprint(i));
        store
            .trust_host_keys(&keys, &trust_audit("test", &format!("host-{i}"), &keys))
            .await
            .expect("trust");
    }
}

pub fn sh(script: &str) -> RemoteCommand<'_> {
    RemoteCommand {
        program: "sh",
        script,
        env: &[],
        workdir: None,
    }
}
