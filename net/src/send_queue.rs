//! What the kernel still holds of a connection's outgoing stream.
//!
//! A snapshot written to a socket is committed: it waits in the kernel's send queue until
//! the client has taken everything before it. For a client that reads slowly, whatever
//! sits there is stale by the time it arrives, however new it was when written. The
//! session's throttle therefore looks at the queue before each snapshot
//! ([`SendQueue::unacknowledged`]: bytes written that the peer has not acknowledged yet,
//! `SIOCOUTQ`) and holds the snapshot back while the queue is longer than the client
//! drains in a fraction of a second (see `throttle.rs`).
//!
//! A session holds its TCP stream (taken back from hyper's upgrade), so the queue is read
//! from the stream's own descriptor.

use std::io;
use std::os::fd::RawFd;

/// A connected TCP socket's send queue. Valid while the connection it was taken from is
/// open: the session holding it owns that connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SendQueue {
    fd: RawFd,
}

impl SendQueue {
    /// The send queue of the socket `fd`, which must stay open while this is used.
    pub(crate) fn new(fd: RawFd) -> Self {
        Self { fd }
    }

    /// Bytes written to the socket that the peer has not acknowledged yet.
    ///
    /// # Errors
    /// The `ioctl`'s error, for example on a socket that is not TCP.
    #[cfg(target_os = "linux")]
    #[allow(unsafe_code)]
    pub(crate) fn unacknowledged(&self) -> io::Result<u32> {
        let mut queued: libc::c_int = 0;
        // SAFETY: `TIOCOUTQ` (`SIOCOUTQ` for sockets) writes one `int` through the pointer,
        // which points to a live `c_int`. The descriptor belongs to a connection the
        // calling session owns, so it is open; on any other descriptor the call fails
        // with an error and writes nothing.
        let result = unsafe { libc::ioctl(self.fd, libc::TIOCOUTQ, &mut queued) };
        if result < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(u32::try_from(queued).unwrap_or(0))
    }

    /// Bytes written to the socket that the peer has not acknowledged yet: not known
    /// on this system.
    ///
    /// # Errors
    /// Always [`io::ErrorKind::Unsupported`].
    #[cfg(not(target_os = "linux"))]
    pub(crate) fn unacknowledged(&self) -> io::Result<u32> {
        let _ = self.fd;
        Err(io::ErrorKind::Unsupported.into())
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsRawFd;

    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn the_queue_holds_what_the_peer_has_not_taken() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let mut client =
            TcpStream::connect(listener.local_addr().expect("an address")).expect("a connection");
        let (mut server, _) = listener.accept().expect("the connection is accepted");
        let queue = SendQueue { fd: server.as_raw_fd() };
        assert_eq!(queue.unacknowledged().expect("a TCP socket has a queue"), 0);

        // Write until the socket takes no more: the peer reads nothing.
        server.set_nonblocking(true).expect("the socket can be made non-blocking");
        let mut written = 0;
        while let Ok(count) = server.write(&[7; 16 * 1024]) {
            written += count;
        }
        let queued = queue.unacknowledged().expect("a TCP socket has a queue");
        assert!(queued > 0, "what the peer cannot take yet should be queued ({written} written)");

        // Once the peer has read everything, nothing is left unacknowledged.
        let mut read = vec![0; written];
        server.set_nonblocking(false).expect("the socket can be made blocking");
        client.read_exact(&mut read).expect("every byte arrives");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while queue.unacknowledged().expect("a TCP socket has a queue") > 0 {
            assert!(std::time::Instant::now() < deadline, "the queue should empty once read");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
}
