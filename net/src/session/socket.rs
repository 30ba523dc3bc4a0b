//! The write half of a session's socket, as the session and its room's fan-out share it.
//!
//! Writes never wait here: [`OutSocket::try_write_vectored`] takes what the kernel takes
//! now and says `WouldBlock` for the rest. That lets a room's fan-out write every in-sync
//! session's snapshot from one task, with no wakeup per session (see `fanout`); only a
//! socket that is full makes its own session wait for it ([`OutSocket::poll_writable`]).

use std::cell::RefCell;
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
    /// `send(2)` or `sendmsg(2)` with `MSG_NOSIGNAL` (see [`send_coalesced`]), not
    /// `write(2)` or `writev(2)`: a peer that reset the connection
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
        let send = || send_coalesced(SockRef::from(stream), slices);
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

/// A write of several slices and at most this many bytes in all is copied into one
/// buffer and sent whole (as µWebSockets.js corks a socket's writes in a 16 KiB buffer):
/// a snapshot behind queued messages (an input ack, events), or a session's own burst.
/// As one buffer, the kernel copies it without walking an iovec array. Measured when a
/// snapshot with its timing was four slices (`perf`, small benchmark): `_copy_from_iter`
/// fell below µWebSockets.js's, and the server's CPU per client by about 3%. Larger
/// writes are rare and long, and go vectored, copied by the kernel only.
const COALESCE_BYTES: usize = 16 * 1024;

thread_local! {
    /// Each thread's buffer for coalesced writes: at most [`COALESCE_BYTES`] a thread,
    /// never a buffer per connection.
    static COALESCED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// `send(2)` or `sendmsg(2)` with `MSG_NOSIGNAL` of `slices`, in order, coalesced into one
/// buffer when several and small (see [`COALESCE_BYTES`]).
fn send_coalesced(socket: SockRef<'_>, slices: &[IoSlice<'_>]) -> io::Result<usize> {
    let total: usize = slices.iter().map(|slice| slice.len()).sum();
    match slices {
        [one] => socket.send_with_flags(one, libc::MSG_NOSIGNAL),
        _ if total <= COALESCE_BYTES => COALESCED.with_borrow_mut(|buffer| {
            buffer.clear();
            for slice in slices {
                buffer.extend_from_slice(slice);
            }
            socket.send_with_flags(buffer, libc::MSG_NOSIGNAL)
        }),
        _ => socket.send_vectored_with_flags(slices, libc::MSG_NOSIGNAL),
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

#[cfg(test)]
mod tests {
    use std::io::{self, IoSlice};

    use tokio::io::AsyncReadExt;
    use tokio::net::{TcpListener, TcpStream};

    use super::{COALESCE_BYTES, OutSocket};

    /// Slices of `lengths` bytes, each filled with its own index.
    fn parts(lengths: &[usize]) -> Vec<Vec<u8>> {
        lengths.iter().enumerate().map(|(index, &length)| vec![index as u8; length]).collect()
    }

    #[tokio::test]
    async fn one_slice_several_small_ones_and_several_large_ones_arrive_whole_and_in_order() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let address = listener.local_addr().expect("an address");
        let mut client = TcpStream::connect(address).await.expect("a connection");
        let (server, _) = listener.accept().await.expect("the connection is accepted");
        let (_read, write) = server.into_split();
        // One slice; a snapshot's four (coalesced); slices larger than one coalesced write.
        let writes = [vec![700], vec![2, 30, 4, 3200], vec![10, COALESCE_BYTES, 20]];
        for lengths in writes {
            let parts = parts(&lengths);
            let slices: Vec<IoSlice<'_>> = parts.iter().map(|part| IoSlice::new(part)).collect();
            let expected = parts.concat();
            let reading = async {
                let mut received = vec![0; expected.len()];
                client.read_exact(&mut received).await.map(|_| received)
            };
            let writing = async {
                // The rest of a write the socket took only part of goes as one slice.
                let mut written = write.try_write_vectored(&slices).expect("a live socket");
                while written < expected.len() {
                    std::future::poll_fn(|cx| write.poll_writable(cx)).await.expect("writable");
                    match write.try_write_vectored(&[IoSlice::new(&expected[written..])]) {
                        Ok(more) => written += more,
                        Err(error) => assert_eq!(error.kind(), io::ErrorKind::WouldBlock),
                    }
                }
            };
            let (received, ()) = tokio::join!(reading, writing);
            let received = received.expect("the client reads it");
            assert!(received == expected, "{lengths:?} should arrive as written, in order");
        }
    }
}
