//! Serving over TCP with limits, so that slow or idle clients cannot hold
//! the server: a deadline for the request head, an idle timeout, a deadline
//! for a whole request (head, body and handler), a cap on open connections
//! and a body limit (413 problem+json).

use crate::error::problem;
use axum::extract::ConnectInfo;
use axum::http::StatusCode;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tower::ServiceExt;

/// Limits of `kupets serve`; see its `--help` for the flags.
#[derive(Debug, Clone)]
pub struct Limits {
    /// The request line and headers must arrive within this.
    pub header_timeout: Duration,
    /// A connection with no bytes moving either way for this long is closed.
    pub idle_timeout: Duration,
    /// A request must be read and answered within this (408 otherwise).
    pub request_timeout: Duration,
    /// Connections beyond this are closed at once.
    pub max_connections: usize,
    /// Largest request body (413 above it).
    pub max_body: usize,
    /// How long the cores are kept awake after a request (zero: never; see
    /// [`crate::awake`]).
    pub busy_poll: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(60),
            max_connections: 1024,
            max_body: 2 * 1024 * 1024,
            busy_poll: Duration::from_millis(2),
        }
    }
}

/// A stream that records when bytes last moved.
struct Watched<S> {
    inner: S,
    last: Arc<AtomicU64>,
    epoch: Instant,
}

impl<S> Watched<S> {
    fn touch(&self) {
        self.last
            .store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.touch();
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Serves `router` on `listener` with `limits` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let awake = crate::awake::Awake::start(limits.busy_poll);
    serve_awake(listener, router, limits, awake, shutdown).await
}

/// [`serve`] with the cores kept awake by `awake` (started by the caller,
/// which may share it: the store's writer stays awake with it).
pub async fn serve_awake(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: Limits,
    awake: Option<Arc<crate::awake::Awake>>,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let router = router.layer(axum::extract::DefaultBodyLimit::max(limits.max_body));
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let builder = Arc::new(builder);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: wait, go on.
                    tracing::warn!(error = %e, "accept");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::warn!(%addr, "connection limit reached: closed");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let last = Arc::new(AtomicU64::new(0));
        let io = Watched {
            inner: stream,
            last: last.clone(),
            epoch: Instant::now(),
        };
        let epoch = io.epoch;
        let router = router.clone();
        let request_timeout = limits.request_timeout;
        let awake = awake.clone();
        let svc = hyper::service::service_fn(
            move |mut req: axum::http::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(addr));
                let router = router.clone();
                let awake = awake.clone();
                async move {
                    let req = req.map(axum::body::Body::new);
                    if let Some(a) = &awake {
                        a.begin();
                    }
                    let answer = tokio::time::timeout(request_timeout, router.oneshot(req)).await;
                    if let Some(a) = &awake {
                        a.end();
                    }
                    match answer {
                        Ok(r) => r,
                        Err(_) => {
                            let mut resp = problem(
                                StatusCode::REQUEST_TIMEOUT,
                                "request_timeout",
                                "Запрос не завершён вовремя / the request did not complete in time",
                                serde_json::json!([]),
                            );
                            resp.headers_mut().insert(
                                axum::http::header::CONNECTION,
                                axum::http::HeaderValue::from_static("close"),
                            );
                            Ok(resp)
                        }
                    }
                }
            },
        );
        let builder = builder.clone();
        let idle = limits.idle_timeout;
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let conn = builder.serve_connection(TokioIo::new(io), svc);
            tokio::pin!(conn);
            let mut closing: Option<Instant> = None;
            let tick = (idle / 4).max(Duration::from_millis(50));
            loop {
                tokio::select! {
                    r = conn.as_mut() => {
                        if let Err(e) = r {
                            tracing::debug!(error = %e, "connection");
                        }
                        break;
                    }
                    _ = tokio::time::sleep(tick) => {
                        let quiet = epoch.elapsed().saturating_sub(Duration::from_millis(last.load(Ordering::Relaxed)));
                        match closing {
                            None if quiet >= idle => {
                                conn.as_mut().graceful_shutdown();
                                closing = Some(Instant::now());
                            }
                            // Still stuck (e.g. a client that stopped reading
                            // its answer): drop the connection.
                            Some(t) if t.elapsed() >= idle => break,
                            _ => {}
                        }
                    }
                    _ = stop.changed(), if closing.is_none() => {
                        conn.as_mut().graceful_shutdown();
                        closing = Some(Instant::now());
                    }
                }
            }
            drop(permit);
        });
    }
    let _ = stop_tx.send(true);
    if let Some(a) = &awake {
        a.stop();
    }
    // Let requests in flight finish (bounded by the request timeout).
    let deadline = Instant::now() + limits.request_timeout;
    while permits.available_permits() < limits.max_connections && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}
