//! [`RemoteProcess`]: one command running on another host, and reading its bounded output.

use std::sync::Arc;

use openssh::Session;
use tokio::io::{AsyncRead, AsyncReadExt as _};
use tokio::sync::OwnedSemaphorePermit;

/// A running remote command. Dropping it kills the local ssh, which kills the remote group.
pub struct RemoteProcess {
    pub(super) child: openssh::Child<Arc<Session>>,
    pub(super) session: Arc<Session>,
    /// The leash: held until the command is waited for.
    pub(super) leash: Option<openssh::ChildStdin>,
    pub stdout: Option<openssh::ChildStdout>,
    pub stderr: Option<openssh::ChildStderr>,
    pub(super) _permits: (OwnedSemaphorePermit, OwnedSemaphorePermit),
}

impl RemoteProcess {
    /// Wait for the exit code (128 + signal when killed by one; 255 when ssh itself failed).
    /// Keeps the leash until then.
    pub async fn wait(mut self) -> i32 {
        use std::os::unix::process::ExitStatusExt as _;
        let leash = self.leash.take();
        let code = match self.child.wait().await {
            Ok(status) => status
                .code()
                .or_else(|| status.signal().map(|s| 128 + s))
                .unwrap_or(255),
            // openssh turns these two exit codes into errors; give them back as codes.
            Err(openssh::Error::Remote(e)) if e.kind() == std::io::ErrorKind::NotFound => 127,
            Err(_) => 255,
        };
        drop(leash);
        code
    }
}

/// Read a pipe to its end, keeping the first `max` bytes (the rest is drained).
pub async fn read_bounded<R: AsyncRead + Unpin>(pipe: Option<R>, max: usize) -> String {
    let Some(mut pipe) = pipe else {
        return String::new();
    };
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    while let Ok(n) = pipe.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let room = (max + 1).saturating_sub(kept.len());
        kept.extend_from_slice(&buf[..n.min(room)]);
    }
    crate::probes::bounded_to(&String::from_utf8_lossy(&kept), max)
}

/// An openssh error with its causes, on one line.
pub(super) fn error_text(e: &openssh::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text.replace('\n', " ")
}
