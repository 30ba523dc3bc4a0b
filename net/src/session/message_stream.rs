//! The WebSocket messages a client sends: tungstenite's protocol state over the session's
//! read half, polled by the session's own loop.
//!
//! This is what `tokio_tungstenite::WebSocketStream` does for reading, without what it
//! costs every live session: two `Arc`ed waker proxies (two heap blocks of 64 bytes and
//! their pointers) and, on every read that finds nothing, a waker made from a proxy that
//! then wakes the task. The session never writes through tungstenite (every byte it sends
//! goes through its `Outbox`), so the one waker a read needs is the task's own, passed
//! straight to the socket.

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig, WebSocketContext};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// The messages a client sends over `R`, a read half.
pub(super) struct MessageStream<R> {
    protocol: WebSocketContext,
    socket: R,
    /// The stream ended or failed; it yields nothing more.
    ended: bool,
}

impl<R: AsyncRead + Unpin> MessageStream<R> {
    /// A server's stream of messages over `socket`, after `read_ahead` (what was read
    /// from it already), with `config`'s limits.
    pub(super) fn new(socket: R, read_ahead: Vec<u8>, config: Option<WebSocketConfig>) -> Self {
        let protocol = WebSocketContext::from_partially_read(read_ahead, Role::Server, config);
        Self { protocol, socket, ended: false }
    }

    /// The next message (control frames too), `None` once the stream has ended, or the
    /// error that ended it (after which it yields `None`). `Pending` with the task woken
    /// when more arrives.
    pub(super) fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Message, WsError>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let mut io = PolledIo { socket: &mut self.socket, cx };
        match self.protocol.read(&mut io) {
            Ok(message) => Poll::Ready(Some(Ok(message))),
            Err(WsError::Io(error)) if error.kind() == io::ErrorKind::WouldBlock => Poll::Pending,
            Err(error) => {
                self.ended = true;
                match error {
                    WsError::AlreadyClosed | WsError::ConnectionClosed => Poll::Ready(None),
                    error => Poll::Ready(Some(Err(error))),
                }
            }
        }
    }

    /// [`Self::poll_next`] as a future.
    pub(super) async fn next(&mut self) -> Option<Result<Message, WsError>> {
        poll_fn(|cx| self.poll_next(cx)).await
    }

    /// The read half itself.
    pub(super) fn get_mut(&mut self) -> &mut R {
        &mut self.socket
    }
}

/// The read half as the blocking `Read + Write` tungstenite expects, for one poll:
/// a read that would wait registers `cx`'s waker and says `WouldBlock`.
///
/// What tungstenite would write on its own is dropped: its reply to a close frame (the
/// session replies itself) and pongs to WebSocket pings, which Tickwire clients do not
/// send (the protocol has its own ping).
struct PolledIo<'a, 'b, R> {
    socket: &'a mut R,
    cx: &'a mut Context<'b>,
}

impl<R: AsyncRead + Unpin> Read for PolledIo<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut buf = ReadBuf::new(buf);
        match Pin::new(&mut *self.socket).poll_read(self.cx, &mut buf) {
            Poll::Ready(Ok(())) => Ok(buf.filled().len()),
            Poll::Ready(Err(error)) => Err(error),
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl<R> Write for PolledIo<'_, '_, R> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use futures_util::task::noop_waker_ref;
    use tokio::io::AsyncWriteExt;
    use tokio_tungstenite::tungstenite::WebSocket;

    use super::*;

    /// A binary message with `payload` as a client sends it (masked).
    fn client_frame(payload: &'static [u8]) -> Vec<u8> {
        let mut client =
            WebSocket::from_raw_socket(io::Cursor::new(Vec::new()), Role::Client, None);
        client.send(Message::binary(payload)).expect("a message is written into a Vec");
        client.get_ref().get_ref().clone()
    }

    #[tokio::test]
    async fn a_message_split_across_reads_waits_for_its_rest_and_then_comes_whole() {
        let (server_io, mut client_io) = tokio::io::duplex(1 << 10);
        let mut stream = MessageStream::new(server_io, Vec::new(), None);
        let mut cx = Context::from_waker(noop_waker_ref());
        let bytes = client_frame(b"a whole input");
        let (head, tail) = bytes.split_at(5);

        client_io.write_all(head).await.expect("the head is written");
        assert!(stream.poll_next(&mut cx).is_pending(), "half a frame is not a message");
        client_io.write_all(tail).await.expect("the tail is written");
        let message = stream.next().await;
        assert!(
            matches!(&message, Some(Ok(Message::Binary(payload))) if payload == &b"a whole input"[..]),
            "the message should come whole once its rest arrives: {message:?}"
        );

        drop(client_io);
        assert!(stream.next().await.is_some_and(|ended| ended.is_err()), "a reset is an error");
        assert!(stream.next().await.is_none(), "nothing after the end");
    }

    #[tokio::test]
    async fn what_was_read_ahead_comes_first() {
        let (server_io, mut client_io) = tokio::io::duplex(1 << 10);
        let mut stream = MessageStream::new(server_io, client_frame(b"sent early"), None);
        client_io.write_all(&client_frame(b"sent later")).await.expect("the frame is written");
        for expected in [&b"sent early"[..], b"sent later"] {
            let message = stream.next().await;
            assert!(
                matches!(&message, Some(Ok(Message::Binary(payload))) if payload == expected),
                "expected {expected:?}: {message:?}"
            );
        }
    }
}
