//! The write half of a session's socket, as the session and its room's fan-out share it.
//!
//! Writes never wait here: [`OutSocket::try_write_vectored`] takes what the kernel takes
//! now and says `WouldBlock` for the rest. That lets a room's fan-out write every in-sync
//! session's snapshot from one task, with no wakeup per session (see `fanout`); only a
//! socket that is full makes its own session wait for it ([`OutSocket::poll_writable`]).

use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::task::{Context, Poll};

use socket2::SockRef;
use tokio::io::Interest;
use tokio::net::tcp::OwnedWriteHalf;

use crate::send_queue::SendQueue;

/// A socket's write half that can be written without waiting.
pub(crate) trait OutSocket: Send + Sync {
    /// Writes what the socket takes now, as `write(2)` would; `WouldBlock` if nothing.
    fn try_write_vectored(&self, slices: &[IoSlice<'_>]) -> io::Result<usize>;
    /// Ready once the socket may take more (only the session itself waits on it).
    fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    /// Half-closes the connection: the peer reads the end of the stream.
    fn shutdown(&self) -> io::Result<()>;
    /// Bytes written that the peer has not acknowledged yet (see `send_queue`).
    fn unacknowledged(&self) -> io::Result<u32>;
}

impl OutSocket for OwnedWriteHalf {
    /// `sendmsg(2)` with `MSG_NOSIGNAL`, not `writev(2)`: a peer that reset the connection
    /// is an error here, never a `SIGPIPE`, even in a process (a game embedding the server)
    /// that restored the signal's default action. It also skips the file layer a `writev`
    /// passes through: `perf`, small benchmark, the kernel's share above `tcp_sendmsg`
    /// went from 5.6–6.7% of the server's samples to 4.8–5.0%.
    ///
    /// The write goes straight to the socket, not through tokio's readiness: a fan-out
    /// pass writes thousands of sockets that nearly always take the write, and tokio's
    /// bookkeeping around each cost as much as 2% of the small benchmark. Only a write
    /// the socket refuses is made again through tokio, which then clears the readiness
    /// [`OutSocket::poll_writable`] waits on (or writes, if room was made meanwhile).
    fn try_write_vectored(&self, slices: &[IoSlice<'_>]) -> io::Result<usize> {
        let stream = self.as_ref();
        let send = || SockRef::from(stream).send_vectored_with_flags(slices, libc::MSG_NOSIGNAL);
        match send() {
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                stream.try_io(Interest::WRITABLE, send)
            }
            written => written,
        }
    }

    fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.as_ref().poll_write_ready(cx)
    }

    fn shutdown(&self) -> io::Result<()> {
        SockRef::from(self.as_ref()).shutdown(Shutdown::Write)
    }

    fn unacknowledged(&self) -> io::Result<u32> {
        SendQueue::new(self.as_ref().as_raw_fd()).unacknowledged()
    }
}

/// A socket for tests, whose clones share one wire.
#[cfg(test)]
pub(super) mod trickle {
    use std::io::{self, IoSlice};
    use std::sync::{Arc, Mutex, PoisonError};
    use std::task::{Context, Poll};

    use super::OutSocket;

    /// A socket that takes at most `per_call` bytes per write, and `room` bytes in all
    /// before it would block; it counts write calls.
    #[derive(Clone)]
    pub(in crate::session) struct Trickle {
        wire: Arc<Mutex<Wire>>,
    }

    #[derive(Default)]
    pub(in crate::session) struct Wire {
        pub(in crate::session) written: Vec<u8>,
        per_call: usize,
        pub(in crate::session) room: usize,
        pub(in crate::session) calls: usize,
    }

    impl Trickle {
        pub(in crate::session) fn new(per_call: usize, room: usize) -> Self {
            Self { wire: Arc::new(Mutex::new(Wire { per_call, room, ..Wire::default() })) }
        }

        pub(in crate::session) fn wire(&self) -> std::sync::MutexGuard<'_, Wire> {
            self.wire.lock().unwrap_or_else(PoisonError::into_inner)
        }
    }

    impl OutSocket for Trickle {
        fn try_write_vectored(&self, slices: &[IoSlice<'_>]) -> io::Result<usize> {
            let mut wire = self.wire();
            wire.calls += 1;
            let mut take = wire.per_call.min(wire.room);
            if take == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let before = wire.written.len();
            for slice in slices {
                let part = slice.len().min(take);
                wire.written.extend_from_slice(&slice[..part]);
                take -= part;
            }
            let taken = wire.written.len() - before;
            wire.room -= taken;
            Ok(taken)
        }

        fn poll_writable(&self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn shutdown(&self) -> io::Result<()> {
            Ok(())
        }

        fn unacknowledged(&self) -> io::Result<u32> {
            Ok(0)
        }
    }
}
