//! [`PeerSocket`]: a connection's peer address and socket, the connect info every request
//! carries, so a session can read its socket's send queue (see `send_queue`).

use std::net::SocketAddr;
use std::os::fd::RawFd;

use crate::send_queue::SendQueue;

/// A connection's peer address and socket: the connect info the server is served with
/// (the server's HTTP loop puts it in each request's extensions as
/// `ConnectInfo<PeerSocket>`).
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
