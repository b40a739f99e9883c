//! `nightwatch hosts list|trust`: the SSH known-hosts store every engine shares (issue 15).
//!
//! `trust COMPONENT` connects with authentication switched off to learn the key the host
//! presents, shows its fingerprint next to what the store trusts now, and records it only after
//! the operator types `yes` (or with `--yes`, for scripts that checked the fingerprint another
//! way). Jump hosts are trusted first, each shown and confirmed the same way.

use std::io::{BufRead as _, Write as _};
use std::sync::Arc;

use clap::Subcommand;

use crate::cli::Output;
use crate::domain::ssh::{KnownHost, SshEndpoint};
use crate::remote::{Executor, Limits, StoreBacking};
use crate::settings::Settings;
use crate::store::{Store, trust_audit};
use crate::sysconfig::SysConfig;

use super::{Failure, actor};

/// `nightwatch hosts …`
#[derive(Debug, Subcommand)]
pub enum HostsCommand {
    /// The trusted host keys: host, key type, fingerprint, component, who added them and when.
    List {
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Show the host key COMPONENT's ssh endpoint presents (and its jump hosts'), then record
    /// it as trusted after confirmation (G2, audited). Replaces a changed key.
    Trust {
        component: String,
        /// Record without asking (only after checking the fingerprint another way).
        #[arg(long)]
        yes: bool,
    },
}

pub async fn run(settings: Settings, cmd: HostsCommand) -> Result<(), Failure> {
    let _log = crate::logging::init(
        &settings.paths.state_dir,
        &settings.log.level,
        crate::logging::Echo::FileOnly,
    );
    let store = super::open_store(&settings).await?;
    let result = match cmd {
        HostsCommand::List { output } => list(&store, output).await,
        HostsCommand::Trust { component, yes } => {
            let config = SysConfig::from_settings(store.clone(), &settings);
            trust(&store, config, &component, yes).await
        }
    };
    store.close().await;
    result
}

async fn list(store: &Store, output: Output) -> Result<(), Failure> {
    let keys = store.list_known_hosts().await?;
    if output == Output::Json {
        let text =
            serde_json::to_string_pretty(&keys).map_err(|e| Failure::Other(e.to_string()))?;
        crate::outln!("{text}");
        return Ok(());
    }
    crate::outln!(
        "{:<28} {:<20} {:<52} {:<20} {}",
        "HOST",
        "TYPE",
        "FINGERPRINT",
        "COMPONENT",
        "ADDED BY"
    );
    for k in keys {
        crate::outln!(
            "{:<28} {:<20} {:<52} {:<20} {}",
            k.host,
            k.key_type,
            k.fingerprint,
            k.component,
            k.added_by
        );
    }
    Ok(())
}

async fn trust(store: &Store, config: SysConfig, name: &str, yes: bool) -> Result<(), Failure> {
    let components = store.list_components().await?;
    let c = components.iter().find(|c| c.name == name).ok_or_else(|| {
        Failure::Other(format!(
            "no component named {name:?} (see `nightwatch export`)"
        ))
    })?;
    let ep = SshEndpoint::from_endpoints(&c.endpoints)
        .map_err(|e| Failure::Other(format!("component {name}: endpoints.{e}")))?
        .ok_or_else(|| {
            Failure::Other(format!(
                "component {name} has no ssh endpoint: add [endpoints.ssh] and apply"
            ))
        })?;
    let backing = StoreBacking {
        store: store.clone(),
        config: Some(config),
    };
    // Interactive and one host: wait longer than the engine does for a slow jump chain.
    let limits = Limits {
        connect_timeout: std::time::Duration::from_secs(30),
        ..Limits::default()
    };
    let exec = Executor::new(Arc::new(backing), limits)
        .map_err(|e| Failure::Other(format!("ssh working directory: {e}")))?;
    // Nearest hop first: a host behind a jump host is scanned through the trusted jump.
    let mut hops: Vec<SshEndpoint> = Vec::new();
    let mut cur = Some(&ep);
    while let Some(h) = cur {
        hops.push(h.clone());
        cur = h.jump.as_deref();
    }
    hops.reverse();
    for hop in hops {
        trust_one(store, &exec, name, &hop, yes).await?;
    }
    Ok(())
}

async fn trust_one(
    store: &Store,
    exec: &Executor,
    name: &str,
    hop: &SshEndpoint,
    yes: bool,
) -> Result<(), Failure> {
    let host = hop.known_hosts_name();
    let seen = exec
        .scan(hop)
        .await
        .map_err(|e| Failure::Other(e.to_string()))?;
    let trusted: Vec<KnownHost> = store
        .list_known_hosts()
        .await?
        .into_iter()
        .filter(|k| k.host == host)
        .collect();
    let same = |k: &KnownHost| {
        trusted
            .iter()
            .any(|t| t.key_type == k.key_type && t.key == k.key)
    };
    if !seen.is_empty() && seen.iter().all(same) {
        crate::outln!("{host}: already trusted ({})", fingerprints(&seen));
        return Ok(());
    }
    crate::outln!("{host} ({name}) presents: {}", fingerprints(&seen));
    if trusted.is_empty() {
        crate::outln!("  not trusted yet");
    } else {
        crate::outln!("  CHANGED: the store trusts {}", fingerprints(&trusted));
    }
    if !yes && !confirm(&host)? {
        return Err(Failure::Other(format!(
            "{host}: not trusted (nothing recorded)"
        )));
    }
    let who = actor();
    let now = crate::domain::time::now_ms();
    let keys: Vec<KnownHost> = seen
        .into_iter()
        .map(|k| KnownHost {
            component: name.to_owned(),
            added_by: who.clone(),
            added_at: now,
            ..k
        })
        .collect();
    store
        .trust_host_keys(&keys, &trust_audit(&who, name, &keys))
        .await?;
    crate::outln!("{host}: trusted {}", fingerprints(&keys));
    Ok(())
}

fn fingerprints(keys: &[KnownHost]) -> String {
    keys.iter()
        .map(|k| format!("{} {}", k.key_type, k.fingerprint))
        .collect::<Vec<_>>()
        .join(", ")
}

fn confirm(host: &str) -> Result<bool, Failure> {
    crate::out!("Check this fingerprint with the host's owner. Type yes to trust {host}: ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::Other(format!("cannot read the answer: {e}")))?;
    Ok(line.trim() == "yes")
}
