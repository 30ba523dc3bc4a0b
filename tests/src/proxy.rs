//! A TCP proxy between test clients and the server that can cut every connection at
//! once: a network failure, with no WebSocket goodbye.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

/// Bytes the server must have sent through a connection before it counts as established:
/// more than the upgrade response and the `Welcome` (a snapshot has followed them), so
/// the client has surely read its `Welcome`, and a cut is a lost connection to it, not a
/// failed attempt.
const ESTABLISHED_BYTES: u64 = 1024;

/// One forwarded connection: its pipe, when it opened, and what the server sent through it.
struct Connection {
    pipe: AbortHandle,
    opened: Instant,
    from_server: Arc<AtomicU64>,
}

/// The server's end of a pipe, counting what it reads from the server.
struct Counted {
    upstream: TcpStream,
    read: Arc<AtomicU64>,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let read = Pin::new(&mut self.upstream).poll_read(cx, buf);
        self.read.fetch_add((buf.filled().len() - before) as u64, Ordering::Relaxed);
        read
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.upstream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.upstream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.upstream).poll_shutdown(cx)
    }
}

/// Forwards `127.0.0.1:<port>` to a server.
pub struct Proxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    connections: Arc<Mutex<Vec<Connection>>>,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// Starts forwarding to `server`.
    pub async fn start(server: SocketAddr) -> Self {
        let listener =
            TcpListener::bind("127.0.0.1:0").await.expect("the proxy should bind a loopback port");
        let addr = listener.local_addr().expect("the proxy should have an address");
        let connections = Arc::new(Mutex::new(Vec::new()));
        let tracked = Arc::clone(&connections);
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let Ok(upstream) = TcpStream::connect(server).await else { continue };
                let from_server = Arc::new(AtomicU64::new(0));
                let mut upstream = Counted { upstream, read: Arc::clone(&from_server) };
                let pipe = tokio::spawn(async move {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                });
                let opened = Instant::now();
                let connection = Connection { pipe: pipe.abort_handle(), opened, from_server };
                tracked.lock().expect("the proxy's list should not be poisoned").push(connection);
            }
        });
        Self { addr, connections, accept }
    }

    /// The WebSocket URL through the proxy.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Drops each established connection open for at least `min_age` with probability
    /// `share`, as a flaky network would. Returns how many were dropped. A connection cut
    /// before the server's `Welcome` has surely reached its client (see
    /// [`ESTABLISHED_BYTES`]) is left alone: the client would see a failed attempt, not a
    /// lost connection.
    pub fn cut_some(&self, share: f64, min_age: Duration, rng: &mut fastrand::Rng) -> usize {
        let mut connections =
            self.connections.lock().expect("the proxy's list should not be poisoned");
        connections.retain(|connection| !connection.pipe.is_finished());
        let before = connections.len();
        connections.retain(|connection| {
            let established = connection.from_server.load(Ordering::Relaxed) >= ESTABLISHED_BYTES;
            let cut = established && connection.opened.elapsed() >= min_age && rng.f64() < share;
            if cut {
                connection.pipe.abort();
            }
            !cut
        });
        before - connections.len()
    }

    /// Drops every connection through the proxy, as a network failure would; new ones
    /// still work.
    pub fn cut(&self) {
        for connection in
            self.connections.lock().expect("the proxy's list should not be poisoned").drain(..)
        {
            connection.pipe.abort();
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}
