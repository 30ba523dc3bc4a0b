//! The TCP listener the server accepts on: tunes every socket as it is accepted, and
//! hands each connection its socket as connect info ([`PeerSocket`]), so a session can
//! read its send queue (see `send_queue`).

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::net::{TcpListener, TcpStream};
use tracing::warn;

use crate::send_queue::SendQueue;

/// A TCP listener whose sockets send small writes at once (no Nagle: snapshots are small
/// and latency-bound) and have a bounded kernel send buffer.
#[derive(Debug)]
pub struct TunedListener {
    listener: TcpListener,
    send_buffer_bytes: Option<usize>,
}

impl TunedListener {
    /// Accepts on `listener`, giving each socket a send buffer of `send_buffer_bytes`
    /// (`None`: the system's default).
    pub fn new(listener: TcpListener, send_buffer_bytes: Option<usize>) -> Self {
        Self { listener, send_buffer_bytes }
    }
}

impl Listener for TunedListener {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        let (socket, addr) = Listener::accept(&mut self.listener).await;
        if let Err(error) = socket.set_nodelay(true) {
            warn!(%error, "cannot set TCP_NODELAY");
        }
        if let Some(bytes) = self.send_buffer_bytes
            && let Err(error) = socket2::SockRef::from(&socket).set_send_buffer_size(bytes)
        {
            warn!(%error, bytes, "cannot set the socket send buffer size");
        }
        (socket, addr)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

/// A connection's peer address and socket: the connect info the server is served with
/// (`into_make_service_with_connect_info::<PeerSocket>()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerSocket {
    /// The peer's address.
    pub addr: SocketAddr,
    /// The connection's socket; `None` where there is none (an in-memory transport),
    /// which turns throttling by send queue off.
    fd: Option<RawFd>,
}

impl PeerSocket {
    /// The connect info of a connection from `addr` over the socket `fd`. The descriptor
    /// is only used while the session that owns the connection (and so the socket) runs.
    pub fn new(addr: SocketAddr, fd: Option<RawFd>) -> Self {
        Self { addr, fd }
    }

    /// The connection's send queue, if it has a socket.
    pub(crate) fn send_queue(&self) -> Option<SendQueue> {
        self.fd.map(SendQueue::new)
    }
}

impl Connected<IncomingStream<'_, TunedListener>> for PeerSocket {
    fn connect_info(stream: IncomingStream<'_, TunedListener>) -> Self {
        Self::new(*stream.remote_addr(), Some(stream.io().as_raw_fd()))
    }
}
