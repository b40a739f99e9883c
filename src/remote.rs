//! The remote executor: runs a script on a component's own host over SSH (issue 15), for the
//! command, host and process probes and the plan `command` steps.
//!
//! Built on the `openssh` crate, which drives the system `ssh` with a ControlMaster per host:
//! users' `~/.ssh/config`, agents, hardware keys and `ProxyJump` work as they do on the jump host
//! (README, "Reaching other hosts", says why this and not `russh`).
//!
//! - **One multiplexed connection per host**, opened on first use (single-flight) and reused;
//!   reopened once when its master has gone away.
//! - **Bounded**: at most `per_host` commands at once on one host (under sshd's `MaxSessions`,
//!   10 by default) and `global` in all. Connect and command deadlines; output bounded by the
//!   callers ([`crate::probes::MAX_OUTPUT`]).
//! - **Values are data**: the remote command line is a constant ([`wrapper::WRAPPER`]); the
//!   script, its variables and working directory travel on stdin, base64-encoded.
//! - **The leash crosses the wire**: stdin stays open while the script runs; when the local
//!   `ssh` goes (timeout, abort, engine death) the remote wrapper kills the script's whole process
//!   group. The environment rule of [`crate::child`] holds too: only the step's own variables are
//!   sent, never the engine's, and `NIGHTWATCH_*` names are refused.
//! - **Host keys**: strict, against the store every engine shares ([`Backing::known_hosts`],
//!   rewritten to a private file before each new connection). An unknown or changed key is
//!   refused with its fingerprint and the command that trusts it.
//!
//! Must not: splice anything into a remote command line; keep key material outside its private
//! 0700 directory; name `sqlx`.

mod backing;
mod process;
mod sshconf;
pub mod trust;
pub mod wrapper;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use openssh::{KnownHosts, Session, SessionBuilder, Stdio};
use tokio::io::AsyncWriteExt as _;
use tokio::sync::Semaphore;

pub use backing::StoreBacking;
use process::error_text;
pub use process::{RemoteProcess, read_bounded};
use sshconf::{config_text, jump_alias, jumps, known_hosts_text, write_private};

use crate::domain::ssh::{KnownHost, SshEndpoint};

/// Where the executor gets the shared known-hosts store and sealed identities from.
pub trait Backing: Send + Sync + 'static {
    /// Every trusted host key.
    fn known_hosts(&self) -> BoxFuture<'_, Result<Vec<KnownHost>, String>>;
    /// The private key text held (sealed) in system configuration key `key`.
    fn secret<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<String, String>>;
}

/// Why a remote command could not run. A script that ran and failed is not an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    /// The host could not be reached or authentication failed ("cannot reach host").
    #[error("cannot reach {0}")]
    Unreachable(String),
    /// The host's key is unknown or changed; the message names the fingerprint and the fix.
    #[error("{0}")]
    HostKey(String),
    /// Bad input (a variable name, an identity secret); nothing started.
    #[error("{0}")]
    Config(String),
}

/// The executor's bounds.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Commands at once over all hosts.
    pub global: usize,
    /// Commands at once on one host (keep under sshd's `MaxSessions`, 10 by default).
    pub per_host: usize,
    /// Deadline of a new connection.
    pub connect_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            global: 64,
            per_host: 8,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// What a finished remote command gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteOutput {
    /// The script's exit code (128 + signal when killed by one; 255 when ssh itself failed).
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A script to run remotely.
#[derive(Debug, Clone, Copy)]
pub struct RemoteCommand<'a> {
    /// `sh`, `bash` or `python3`.
    pub program: &'a str,
    pub script: &'a str,
    pub env: &'a [(String, String)],
    pub workdir: Option<&'a str>,
}

struct Host {
    n: usize,
    permits: Arc<Semaphore>,
    session: tokio::sync::Mutex<Option<Arc<Session>>>,
    /// A connection is open (readable without waiting for `session`, held while connecting).
    open: std::sync::atomic::AtomicBool,
}

/// The remote executor. Share one per engine (`Arc`); cheap to call concurrently.
pub struct Executor {
    dir: tempfile::TempDir,
    backing: Arc<dyn Backing>,
    limits: Limits,
    global: Arc<Semaphore>,
    hosts: Mutex<HashMap<SshEndpoint, Arc<Host>>>,
    errors: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("dir", &self.dir.path())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Executor {
    /// An executor with its private 0700 directory (config files, known hosts, sealed keys,
    /// control sockets) under the system temp dir (control socket paths must stay short).
    pub fn new(backing: Arc<dyn Backing>, limits: Limits) -> std::io::Result<Executor> {
        let dir = tempfile::Builder::new().prefix("nw-ssh-").tempdir()?;
        Ok(Executor {
            dir,
            backing,
            global: Arc::new(Semaphore::new(limits.global.max(1))),
            limits,
            hosts: Mutex::new(HashMap::new()),
            errors: Mutex::new(HashMap::new()),
        })
    }

    /// The last connection error of `ep`, cleared by the next successful connection.
    pub fn last_error(&self, ep: &SshEndpoint) -> Option<String> {
        self.errors.lock().ok()?.get(&ep.describe()).cloned()
    }

    /// Whether a connection to `ep` is open now (not while one is being opened): tells a command
    /// that ran out of time from a host that could not be reached in that time.
    pub fn is_connected(&self, ep: &SshEndpoint) -> bool {
        let hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts
            .get(ep)
            .is_some_and(|h| h.open.load(std::sync::atomic::Ordering::Acquire))
    }

    fn host(&self, ep: &SshEndpoint) -> Arc<Host> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        let n = hosts.len();
        hosts
            .entry(ep.clone())
            .or_insert_with(|| {
                Arc::new(Host {
                    n,
                    permits: Arc::new(Semaphore::new(self.limits.per_host.max(1))),
                    session: tokio::sync::Mutex::new(None),
                    open: std::sync::atomic::AtomicBool::new(false),
                })
            })
            .clone()
    }

    /// Write the store's known hosts, the identities and the config file of host `n`; returns
    /// (config path, the target's own identity file).
    async fn prepare(
        &self,
        ep: &SshEndpoint,
        n: usize,
    ) -> Result<(PathBuf, Option<PathBuf>), RemoteError> {
        let io = |e: std::io::Error| RemoteError::Config(format!("ssh working files: {e}"));
        let hdir = self.dir.path().join(format!("h{n}"));
        std::fs::create_dir_all(&hdir).map_err(io)?;
        let keys = self
            .backing
            .known_hosts()
            .await
            .map_err(RemoteError::Config)?;
        let kh = self.dir.path().join("known_hosts");
        write_private(&kh, &known_hosts_text(&keys)).map_err(io)?;
        let mut ids = Vec::new();
        for (i, hop) in jumps(ep).into_iter().chain([ep]).enumerate() {
            ids.push(self.identity(hop, &hdir.join(format!("id{i}"))).await?);
        }
        let own = ids.pop().flatten();
        let cfg = hdir.join("config");
        write_private(&cfg, &config_text(ep, &kh, &ids)).map_err(io)?;
        Ok((cfg, own))
    }

    async fn identity(
        &self,
        ep: &SshEndpoint,
        file: &std::path::Path,
    ) -> Result<Option<PathBuf>, RemoteError> {
        if let Some(p) = &ep.identity_file {
            return Ok(Some(PathBuf::from(p)));
        }
        let Some(key) = &ep.identity_secret else {
            return Ok(None);
        };
        let text = self
            .backing
            .secret(key)
            .await
            .map_err(|e| RemoteError::Config(format!("ssh.identity_secret {key}: {e}")))?;
        let mut text = zeroize::Zeroizing::new(text);
        if !text.ends_with('\n') {
            text.push('\n');
        }
        write_private(file, &text)
            .map_err(|e| RemoteError::Config(format!("ssh.identity_secret {key}: {e}")))?;
        Ok(Some(file.to_path_buf()))
    }

    /// The connection of `ep`, opened when there is none.
    async fn session(&self, ep: &SshEndpoint, host: &Host) -> Result<Arc<Session>, RemoteError> {
        // Held across the connect: the first caller opens, the others wait and share it.
        let mut slot = host.session.lock().await;
        if let Some(s) = slot.as_ref() {
            return Ok(s.clone());
        }
        let result = self.connect(ep, host.n).await;
        let mut errors = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        match result {
            Ok(s) => {
                errors.remove(&ep.describe());
                let s = Arc::new(s);
                *slot = Some(s.clone());
                host.open.store(true, std::sync::atomic::Ordering::Release);
                Ok(s)
            }
            Err(e) => {
                errors.insert(ep.describe(), e.to_string());
                Err(e)
            }
        }
    }

    async fn connect(&self, ep: &SshEndpoint, n: usize) -> Result<Session, RemoteError> {
        let (cfg, own) = self.prepare(ep, n).await?;
        let mut b = SessionBuilder::default();
        b.config_file(&cfg)
            .known_hosts_check(KnownHosts::Strict)
            .connect_timeout(self.limits.connect_timeout)
            .server_alive_interval(Duration::from_secs(15))
            .control_directory(self.dir.path().join(format!("h{n}")))
            .control_persist(openssh::ControlPersist::IdleFor(
                std::num::NonZeroUsize::new(120).unwrap_or(std::num::NonZeroUsize::MIN),
            ))
            .port(ep.port);
        if let Some(u) = &ep.user {
            b.user(u.clone());
        }
        if let Some(k) = &own {
            b.keyfile(k);
        }
        if ep.jump.is_some() {
            b.jump_hosts([jump_alias(jumps(ep).len() - 1)]);
        }
        let deadline = self.limits.connect_timeout * 2 + Duration::from_secs(2);
        let err = match tokio::time::timeout(deadline, b.connect(&ep.host)).await {
            Ok(Ok(s)) => return Ok(s),
            Ok(Err(e)) => error_text(&e),
            Err(_) => format!("no connection within {deadline:?}"),
        };
        if err.contains("Host key verification failed")
            || err.contains("IDENTIFICATION HAS CHANGED")
        {
            return Err(self.host_key_error(ep, &cfg).await);
        }
        Err(RemoteError::Unreachable(format!(
            "{}: {err}",
            ep.describe()
        )))
    }

    /// The refusal of an unknown or changed key, naming what the host presents.
    async fn host_key_error(&self, ep: &SshEndpoint, cfg: &std::path::Path) -> RemoteError {
        let name = ep.known_hosts_name();
        let store = self.backing.known_hosts().await.unwrap_or_default();
        let trusted: Vec<&KnownHost> = store.iter().filter(|k| k.host == name).collect();
        let seen = trust::scan(
            ep,
            cfg,
            self.dir.path(),
            &store,
            self.limits.connect_timeout,
        )
        .await;
        let seen = match seen {
            Ok(keys) => keys
                .iter()
                .map(|k| format!("{} {}", k.key_type, k.fingerprint))
                .collect::<Vec<_>>()
                .join(", "),
            Err(e) => format!("unreadable ({e})"),
        };
        if trusted.is_empty() {
            RemoteError::HostKey(format!(
                "host key of {name} is not trusted: it presents {seen}; check it with the host's owner, then run `nightwatch hosts trust COMPONENT`"
            ))
        } else {
            let was: Vec<String> = trusted
                .iter()
                .map(|k| format!("{} {}", k.key_type, k.fingerprint))
                .collect();
            RemoteError::HostKey(format!(
                "host key of {name} CHANGED: it presents {seen}, the store trusts {}; refused (possible man-in-the-middle). If the host was reinstalled, run `nightwatch hosts trust COMPONENT`",
                was.join(", ")
            ))
        }
    }

    /// The key(s) `ep` presents now, without trusting them (for `nightwatch hosts trust`).
    pub async fn scan(&self, ep: &SshEndpoint) -> Result<Vec<KnownHost>, RemoteError> {
        let host = self.host(ep);
        let (cfg, _) = self.prepare(ep, host.n).await?;
        let store = self
            .backing
            .known_hosts()
            .await
            .map_err(RemoteError::Config)?;
        trust::scan(
            ep,
            &cfg,
            self.dir.path(),
            &store,
            self.limits.connect_timeout,
        )
        .await
        .map_err(RemoteError::Unreachable)
    }

    /// Forget the connection of `ep` (its master went away); the next command reconnects.
    async fn invalidate(&self, ep: &SshEndpoint, stale: &Arc<Session>) {
        let host = self.host(ep);
        let mut slot = host.session.lock().await;
        if slot.as_ref().is_some_and(|s| Arc::ptr_eq(s, stale)) {
            *slot = None;
            host.open.store(false, std::sync::atomic::Ordering::Release);
        }
    }

    /// Start `cmd` on `ep`'s host. Waits for a free slot (per host, then global).
    pub async fn spawn(
        &self,
        ep: &SshEndpoint,
        cmd: RemoteCommand<'_>,
    ) -> Result<RemoteProcess, RemoteError> {
        let request = wrapper::request(cmd.program, cmd.script, cmd.env, cmd.workdir)
            .map_err(RemoteError::Config)?;
        let host = self.host(ep);
        let host_permit = host
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| RemoteError::Config(e.to_string()))?;
        let global_permit = self
            .global
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| RemoteError::Config(e.to_string()))?;
        for attempt in 0..2 {
            let session = self.session(ep, &host).await?;
            let mut c = session.clone().arc_command("sh");
            c.arg("-c").arg(wrapper::WRAPPER);
            c.stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            let mut child = match c.spawn().await {
                Ok(child) => child,
                Err(e) if attempt == 0 => {
                    tracing::debug!("ssh spawn on {}: {e}; reconnecting", ep.describe());
                    self.invalidate(ep, &session).await;
                    continue;
                }
                Err(e) => {
                    return Err(RemoteError::Unreachable(format!(
                        "{}: {}",
                        ep.describe(),
                        error_text(&e)
                    )));
                }
            };
            let mut stdin = child.stdin().take();
            let sent = match stdin.as_mut() {
                Some(s) => s
                    .write_all(request.as_bytes())
                    .await
                    .and(s.flush().await)
                    .is_ok(),
                None => false,
            };
            if !sent && attempt == 0 {
                // The mux client died at once: its master is gone.
                self.invalidate(ep, &session).await;
                continue;
            }
            let stdout = child.stdout().take();
            let stderr = child.stderr().take();
            return Ok(RemoteProcess {
                child,
                session,
                leash: stdin,
                stdout,
                stderr,
                _permits: (host_permit, global_permit),
            });
        }
        Err(RemoteError::Unreachable(ep.describe()))
    }

    /// Run `cmd` on `ep`'s host within `timeout`, keeping at most `max_output` bytes of each
    /// stream. On the deadline the local ssh is killed and with it the remote process group.
    pub async fn run(
        &self,
        ep: &SshEndpoint,
        cmd: RemoteCommand<'_>,
        timeout: Duration,
        max_output: usize,
    ) -> Result<Option<RemoteOutput>, RemoteError> {
        for attempt in 0..2 {
            let mut p = self.spawn(ep, cmd).await?;
            let session = p.session.clone();
            let (out, err) = (p.stdout.take(), p.stderr.take());
            let work = async move {
                tokio::join!(
                    read_bounded(out, max_output),
                    read_bounded(err, max_output),
                    p.wait()
                )
            };
            let Ok((stdout, stderr, code)) = tokio::time::timeout(timeout, work).await else {
                return Ok(None);
            };
            if code == 255 && attempt == 0 && stderr.contains("ontrol socket") {
                self.invalidate(ep, &session).await;
                continue;
            }
            return Ok(Some(RemoteOutput {
                code,
                stdout,
                stderr,
            }));
        }
        Err(RemoteError::Unreachable(ep.describe()))
    }
}

impl Drop for Executor {
    /// Ask each master connection to exit (its socket directory goes with `dir`; without this a
    /// master would linger until its idle `ControlPersist` runs out).
    fn drop(&mut self) {
        let hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        for host in hosts.values() {
            let Ok(slot) = host.session.try_lock() else {
                continue;
            };
            if let Some(s) = slot.as_ref() {
                let _ = std::process::Command::new("ssh")
                    .arg("-S")
                    .arg(s.control_socket())
                    .args(["-O", "exit", "none"])
                    .stdin(std::process::Stdio::null())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .status();
            }
        }
    }
}
