//! The HTTP listener's guard rails: at most `max` open connections (one more is answered
//! `503 Service Unavailable` + `Retry-After` and closed at once, so a flood of idle or slow
//! connections can neither exhaust file descriptors nor make `/healthz` unreachable), and a
//! connection that sends nothing for [`IDLE`] is closed. The process's open-file limit is raised to
//! its hard limit at start, so the cap, not the kernel, decides.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// A connection that sends nothing for this long is closed (an idle keep-alive, or a client that
/// stopped half-way through its headers or body).
pub const IDLE: Duration = Duration::from_secs(30);

const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n\
Content-Type: text/plain\r\nContent-Length: 26\r\nConnection: close\r\n\r\ntoo many open connections\n";

/// Raise the soft open-file limit to the hard limit; returns the limit in force.
pub fn raise_nofile_limit() -> Option<u64> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        limit.current = limit.maximum;
        if let Err(e) = setrlimit(Resource::Nofile, limit) {
            tracing::warn!(error = %e, "could not raise the open-file limit");
            return getrlimit(Resource::Nofile).current;
        }
    }
    limit.current
}

/// A TCP listener that keeps at most `max` connections open.
pub struct CappedListener {
    inner: TcpListener,
    open: Arc<AtomicUsize>,
    max: usize,
}

impl CappedListener {
    pub fn new(inner: TcpListener, max: usize) -> CappedListener {
        CappedListener {
            inner,
            open: Arc::new(AtomicUsize::new(0)),
            max: max.max(1),
        }
    }
}

impl axum::serve::Listener for CappedListener {
    type Io = CappedStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (mut stream, addr) = match self.inner.accept().await {
                Ok(c) => c,
                Err(e) => {
                    // EMFILE and friends: wait a moment rather than spin (as axum's own does).
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            if self.open.load(Ordering::Acquire) >= self.max {
                // Answered and closed off the accept loop: a slow reader cannot stall it.
                tokio::spawn(async move {
                    let mut sink = [0u8; 1024];
                    // The request first (briefly): an HTTP client given an answer before it has
                    // sent its request calls it an unexpected message, not a 503.
                    let _ =
                        tokio::time::timeout(Duration::from_millis(500), stream.read(&mut sink))
                            .await;
                    let _ = tokio::time::timeout(Duration::from_secs(1), async {
                        let _ = stream.write_all(REFUSAL).await;
                        let _ = stream.shutdown().await;
                        // Read what the client sent until it closes: closing a socket with
                        // unread bytes makes the kernel send a reset, which can destroy the
                        // 503 before the client has read it.
                        while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
                    })
                    .await;
                });
                tracing::debug!(%addr, "connection refused: too many open");
                continue;
            }
            self.open.fetch_add(1, Ordering::AcqRel);
            let _ = stream.set_nodelay(true);
            return (
                CappedStream {
                    inner: stream,
                    open: Arc::clone(&self.open),
                    idle: Box::pin(tokio::time::sleep(IDLE)),
                },
                addr,
            );
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// One counted connection; dropping it frees its slot.
pub struct CappedStream {
    inner: TcpStream,
    open: Arc<AtomicUsize>,
    idle: Pin<Box<tokio::time::Sleep>>,
}

impl Drop for CappedStream {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::AcqRel);
    }
}

impl AsyncRead for CappedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    let next = tokio::time::Instant::now() + IDLE;
                    self.idle.as_mut().reset(next);
                }
                Poll::Ready(r)
            }
            Poll::Pending => match self.idle.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "connection idle too long",
                ))),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl AsyncWrite for CappedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
