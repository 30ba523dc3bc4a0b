//! [`HttpServer`]: accepts TCP connections on the game port and serves HTTP/1 on each,
//! with the bounds a public port needs before a connection becomes a session.
//!
//! Until its upgrade a connection is an outsider's: it holds a descriptor and a read buffer
//! and has passed no check. So every connection must finish its request head within
//! `header_timeout` (also between keep-alive requests), the head may not exceed
//! [`MAX_HEADER_BYTES`], and a body larger than [`MAX_BODY_BYTES`] is refused with 413 on
//! its `Content-Length` alone, before a byte of it is read. Failed accepts (out of
//! descriptors, most often) are logged, thinned, counted in
//! `tickwire_accept_errors_total`, and followed by a short pause instead of a busy loop.
//!
//! Served with hyper directly rather than `axum::serve`, which offers none of these knobs
//! and sleeps a silent second after a failed accept.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use metrics::{Counter, Recorder};
use tickwire_net::PeerSocket;
use tickwire_sim::metrics::counter;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_service::Service;
use tracing::{debug, warn};

use crate::access::error;
use tickwire_net::LogThrottle;

/// Largest request head (request line and headers). hyper's smallest read buffer, and
/// far above what a browser sends to this server.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;
/// Largest request body: the only bodies are admin API changes, tens of bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Pause after a failed accept: long enough not to spin on a listener that stays
/// readable while descriptors are exhausted, short enough to pick up the next free one.
const ACCEPT_RETRY_PAUSE: Duration = Duration::from_millis(50);
/// How often a failed accept is logged at most.
const ACCEPT_ERROR_LOG_INTERVAL: Duration = Duration::from_secs(1);

/// The HTTP side of the game port.
pub(crate) struct HttpServer {
    router: Router,
    header_timeout: Duration,
    send_buffer_bytes: Option<usize>,
    accept_errors: Counter,
    accept_error_log: LogThrottle,
}

impl HttpServer {
    /// Serves `router`; requests must finish their head within `header_timeout`; sockets
    /// get a `send_buffer_bytes` kernel send buffer if set.
    pub(crate) fn new(
        router: Router,
        header_timeout: Duration,
        send_buffer_bytes: Option<usize>,
        recorder: &dyn Recorder,
    ) -> Self {
        let router = router
            .layer(middleware::from_fn(refuse_oversized_body))
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
        let accept_errors = counter(
            recorder,
            "tickwire_accept_errors_total",
            &[],
            "Failed accepts on the game port (out of file descriptors, most often).",
        );
        Self {
            router,
            header_timeout,
            send_buffer_bytes,
            accept_errors,
            accept_error_log: LogThrottle::new(ACCEPT_ERROR_LOG_INTERVAL),
        }
    }

    /// Accepts and serves connections until `shutdown` resolves, then lets requests in
    /// progress finish (up to `grace`). Upgraded connections are sessions, no longer
    /// HTTP's: the network side shuts those down.
    ///
    /// The accept loop is a task of its own rather than part of the caller's future, which
    /// a server binary runs on its main thread (`block_on`): what accepting allocates for
    /// each connection (tokio's registration of the socket, 128-byte aligned) then comes
    /// from a runtime worker's malloc arena, where the sessions' own small allocations
    /// reuse what aligning leaves over. From the main thread's arena, nothing reused it:
    /// about 110 bytes per connection stayed resident as free chunks.
    pub(crate) async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
        grace: Duration,
    ) {
        let stop = CancellationToken::new();
        let connections = TaskTracker::new();
        let accepting = tokio::spawn(self.accept(listener, stop.clone(), connections.clone()));
        shutdown.await;
        stop.cancel();
        if let Err(error) = accepting.await {
            warn!(%error, "the accept loop failed");
        }
        connections.close();
        if tokio::time::timeout(grace, connections.wait()).await.is_err() {
            warn!(left = connections.len(), "HTTP requests still running after the grace period");
        }
    }

    /// Accepts connections and serves each on a task `connections` tracks, until `stop`.
    async fn accept(
        self,
        listener: TcpListener,
        stop: CancellationToken,
        connections: TaskTracker,
    ) {
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        connections.spawn(self.serve(stream, peer, stop.clone()));
                    }
                    Err(error) => self.accept_failed(&error).await,
                },
            }
        }
    }

    fn serve(
        &self,
        stream: TcpStream,
        peer: SocketAddr,
        stop: CancellationToken,
    ) -> impl Future<Output = ()> + Send + 'static {
        self.configure(&stream);
        let router = self.router.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            // What the session endpoint and the access checks read: the peer.
            request.extensions_mut().insert(ConnectInfo(PeerSocket::new(peer)));
            router.clone().call(request)
        });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_timeout)
            .max_buf_size(MAX_HEADER_BYTES)
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        async move {
            tokio::pin!(connection);
            let finished = tokio::select! {
                finished = connection.as_mut() => finished,
                () = stop.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = finished {
                // Timeouts, oversized heads and clients that go away: theirs, not ours.
                debug!(%peer, %error, "HTTP connection ended with an error");
            }
        }
    }

    fn configure(&self, stream: &TcpStream) {
        // Snapshots are small and latency-bound: never hold them back to coalesce (Nagle).
        if let Err(error) = stream.set_nodelay(true) {
            warn!(%error, "cannot set TCP_NODELAY");
        }
        if let Some(bytes) = self.send_buffer_bytes
            && let Err(error) = socket2::SockRef::from(stream).set_send_buffer_size(bytes)
        {
            warn!(%error, bytes, "cannot set the socket send buffer size");
        }
    }

    async fn accept_failed(&self, error: &io::Error) {
        self.accept_errors.increment(1);
        if let Some(left_out) = self.accept_error_log.admit(Instant::now()) {
            warn!(%error, left_out, "cannot accept a connection");
        }
        tokio::time::sleep(ACCEPT_RETRY_PAUSE).await;
    }
}

/// Refuses a request whose `Content-Length` is over [`MAX_BODY_BYTES`] before reading it
/// (and before a `100 Continue`), so a client cannot make the server wait for a body it
/// would refuse anyway.
async fn refuse_oversized_body(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    match declared {
        Some(length) if length > MAX_BODY_BYTES as u64 => error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("a request body of {length} bytes is over the limit of {MAX_BODY_BYTES}"),
        ),
        _ => next.run(request).await,
    }
}
