//! [`PeerSocket`]: a connection's peer address, the connect info every request carries.

use std::net::SocketAddr;

/// A connection's peer address: the connect info the server is served with (the
/// server's HTTP loop puts it in each request's extensions as `ConnectInfo<PeerSocket>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerSocket {
    /// The peer's address.
    pub addr: SocketAddr,
}

impl PeerSocket {
    /// The connect info of a connection from `addr`.
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr }
    }
}
