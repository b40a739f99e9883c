//! Signals: SIGINT, SIGTERM and SIGHUP all mean "stop cleanly" (SIGHUP is how an SSH session ends).

use tokio_util::sync::CancellationToken;

/// Cancel `token` on the first of SIGINT, SIGTERM or SIGHUP. Returns the signal's name.
pub async fn cancel_on_signals(token: CancellationToken) -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hup), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot install signal handlers");
        return "none";
    };
    let name = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = hup.recv() => "SIGHUP",
        _ = int.recv() => "SIGINT",
        () = token.cancelled() => return "none",
    };
    tracing::info!(signal = name, "shutting down");
    token.cancel();
    name
}
