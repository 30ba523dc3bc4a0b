//! The write side of a session: every byte the server sends a client goes through here.
//!
//! Server frames are simple (no mask, no extensions), so they are framed by hand: a
//! header of 2 to 10 bytes in front of the message's shared `Bytes`. Messages are queued
//! and leave together, headers and payloads in one vectored write, straight from the
//! buffers every session shares. Nothing is copied into a per-connection buffer, so a
//! connection holds no memory for what it sent, however large (a full snapshot of a big
//! world, a large delta), and a snapshot with its input ack, events and timing costs one
//! system call.

use std::io::{self, IoSlice};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::time::timeout;
use tracing::debug;

use super::Ending;
use super::close_reason::CloseReason;
use crate::metrics::NetMetrics;

/// WebSocket opcodes the server sends.
const OPCODE_BINARY: u8 = 0x2;
const OPCODE_CLOSE: u8 = 0x8;

/// Messages for one client, queued until the next flush, and the socket they go to.
pub(super) struct Outbox<W> {
    io: W,
    queued: Vec<(FrameHeader, Bytes)>,
    /// How long one flush may wait for the socket before the peer counts as gone.
    stall_limit: Duration,
    /// A flush was abandoned part-way through a frame: nothing more can be written.
    broken: bool,
    /// Bytes written to the socket so far, frame headers included: with the socket's
    /// send queue, what the client has taken (see `throttle`).
    written: u64,
}

impl<W: AsyncWrite + Unpin> Outbox<W> {
    /// An outbox whose flushes give up after waiting `stall_limit` for a peer that does
    /// not read.
    pub(super) fn new(io: W, stall_limit: Duration) -> Self {
        Self { io, queued: Vec::new(), stall_limit, broken: false, written: 0 }
    }

    /// Queues a binary message to leave with the next flush: the messages that precede
    /// a snapshot (its input ack, events and timing) then share its write call and TCP
    /// segment instead of costing one each.
    pub(super) fn queue(&mut self, metrics: &NetMetrics, message: Bytes) {
        metrics.sent(message.len());
        self.queued.push((FrameHeader::new(OPCODE_BINARY, message.len()), message));
    }

    /// Bytes written to the socket so far, frame headers included.
    pub(super) fn bytes_written(&self) -> u64 {
        self.written
    }

    /// Whether messages wait for the next flush.
    pub(super) fn has_queued(&self) -> bool {
        !self.queued.is_empty()
    }

    /// Writes one message, with everything queued before it.
    pub(super) async fn send(
        &mut self,
        metrics: &NetMetrics,
        message: Bytes,
    ) -> Result<(), Ending> {
        self.queue(metrics, message);
        self.flush().await
    }

    /// Writes everything queued. A peer that reads nothing for `stall_limit` (a stuck
    /// client, or one holding a slot without reading) ends the session like a silent
    /// one: closed, its actor kept for a resume. Throttling has already cut its rate by
    /// then; this frees the slot.
    pub(super) async fn flush(&mut self) -> Result<(), Ending> {
        if self.broken {
            self.queued.clear();
            return Err(Ending::PeerLost);
        }
        let written = timeout(self.stall_limit, write_frames(&mut self.io, &self.queued)).await;
        let bytes: usize = self
            .queued
            .iter()
            .map(|(header, payload)| header.as_slice().len() + payload.len())
            .sum();
        self.queued.clear();
        match written {
            Ok(Ok(())) => {
                self.written += bytes as u64;
                Ok(())
            }
            Ok(Err(error)) => {
                debug!(%error, "send failed");
                Err(Ending::PeerLost)
            }
            Err(_elapsed) => {
                self.broken = true;
                let waited = self.stall_limit.as_secs_f32();
                Err(Ending::Silent(format!("not reading: a write waited {waited} s")))
            }
        }
    }

    /// Writes a close frame with `code` and `reason` (which a close frame always holds),
    /// after everything queued.
    pub(super) async fn close(&mut self, code: u16, reason: &CloseReason) -> Result<(), Ending> {
        let reason = reason.as_str();
        let mut payload = Vec::with_capacity(2 + reason.len());
        payload.extend_from_slice(&code.to_be_bytes());
        payload.extend_from_slice(reason.as_bytes());
        self.queued.push((FrameHeader::new(OPCODE_CLOSE, payload.len()), payload.into()));
        self.flush().await
    }

    /// Half-closes the connection: the peer reads the end of the stream.
    pub(super) async fn shutdown(&mut self) {
        if let Err(error) = self.io.shutdown().await {
            debug!(%error, "shutdown failed");
        }
    }
}

/// A server frame's header: final frame, the opcode, and the payload length in 1, 3 or 9
/// bytes (RFC 6455 section 5.2; server frames are not masked).
#[derive(Debug, Clone, Copy)]
struct FrameHeader {
    bytes: [u8; 10],
    len: u8,
}

impl FrameHeader {
    fn new(opcode: u8, payload_len: usize) -> Self {
        let mut bytes = [0u8; 10];
        bytes[0] = 0x80 | opcode;
        let len = if payload_len < 126 {
            bytes[1] = payload_len as u8;
            2
        } else if let Ok(length) = u16::try_from(payload_len) {
            bytes[1] = 126;
            bytes[2..4].copy_from_slice(&length.to_be_bytes());
            4
        } else {
            bytes[1] = 127;
            bytes[2..10].copy_from_slice(&(payload_len as u64).to_be_bytes());
            10
        };
        Self { bytes, len }
    }

    fn as_slice(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// Writes every frame, in order, in as few vectored writes as the socket takes.
async fn write_frames<W: AsyncWrite + Unpin>(
    io: &mut W,
    frames: &[(FrameHeader, Bytes)],
) -> io::Result<()> {
    let mut slices: Vec<IoSlice<'_>> = frames
        .iter()
        .flat_map(|(header, payload)| [IoSlice::new(header.as_slice()), IoSlice::new(payload)])
        .filter(|slice| !slice.is_empty())
        .collect();
    let mut unwritten = &mut slices[..];
    while !unwritten.is_empty() {
        let written = io.write_vectored(unwritten).await?;
        if written == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        IoSlice::advance_slices(&mut unwritten, written);
    }
    io.flush().await
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use futures_util::StreamExt;
    use tokio::io::AsyncReadExt;
    use tokio_tungstenite::WebSocketStream;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::Role;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

    use super::*;

    /// A socket that takes at most `per_call` bytes per write and counts write calls.
    #[derive(Default)]
    struct Trickle {
        written: Vec<u8>,
        per_call: usize,
        calls: usize,
    }

    impl AsyncWrite for Trickle {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.poll_write_vectored(cx, &[IoSlice::new(buf)])
        }

        fn poll_write_vectored(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            slices: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            self.calls += 1;
            let mut room = self.per_call;
            for slice in slices {
                let take = slice.len().min(room);
                self.written.extend_from_slice(&slice[..take]);
                room -= take;
            }
            Poll::Ready(Ok(self.per_call - room))
        }

        fn is_write_vectored(&self) -> bool {
            true
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    const LIMIT: Duration = Duration::from_secs(10);

    fn pattern(length: usize) -> Bytes {
        (0..length).map(|i| (i % 251) as u8).collect::<Vec<u8>>().into()
    }

    /// Every length class of the header: 7-bit, 16-bit and 64-bit lengths and their edges.
    fn messages() -> Vec<Bytes> {
        [0, 1, 125, 126, 127, 65_535, 65_536, 200_000].into_iter().map(pattern).collect()
    }

    /// What a tungstenite client reads off `wire`: the messages, then the close frame.
    async fn read_as_client(wire: Vec<u8>) -> (Vec<Bytes>, Option<(u16, String)>) {
        let (mut replay, client_io) = tokio::io::duplex(1 << 20);
        let writing = tokio::spawn(async move {
            replay.write_all(&wire).await.expect("the replay should be written");
        });
        let mut client = WebSocketStream::from_raw_socket(client_io, Role::Client, None).await;
        let mut received = Vec::new();
        let mut close = None;
        while let Some(Ok(message)) = client.next().await {
            match message {
                Message::Binary(data) => received.push(data),
                Message::Close(frame) => {
                    close = frame.map(|frame| (u16::from(frame.code), frame.reason.to_string()));
                }
                other => panic!("unexpected message {other:?}"),
            }
        }
        writing.await.expect("the replay task should finish");
        (received, close)
    }

    #[tokio::test]
    async fn frames_of_every_length_arrive_whole_in_one_write_call() {
        let metrics = NetMetrics::register(&metrics::NoopRecorder);
        let mut outbox =
            Outbox::new(Trickle { per_call: usize::MAX / 2, ..Trickle::default() }, LIMIT);
        for message in messages() {
            outbox.queue(&metrics, message);
        }
        outbox.close(4000, &CloseReason::new("bye")).await.expect("the frames should be written");
        assert_eq!(outbox.io.calls, 1, "a queued batch should leave in one vectored write");
        assert_eq!(outbox.bytes_written(), outbox.io.written.len() as u64, "every byte is counted");

        let (received, close) = read_as_client(outbox.io.written).await;
        assert_eq!(received, messages(), "a client should read every message whole");
        assert_eq!(close, Some((4000, "bye".to_owned())), "and then the close frame");
    }

    #[tokio::test]
    async fn a_socket_that_takes_a_few_bytes_at_a_time_gets_every_byte_in_order() {
        let metrics = NetMetrics::register(&metrics::NoopRecorder);
        let mut outbox = Outbox::new(Trickle { per_call: 7, ..Trickle::default() }, LIMIT);
        for message in messages().into_iter().take(5) {
            outbox.send(&metrics, message).await.expect("the message should be written");
        }
        outbox
            .close(u16::from(CloseCode::Normal), &CloseReason::default())
            .await
            .expect("the close should be written");
        assert!(outbox.io.calls > 50, "the writes were partial ({} calls)", outbox.io.calls);

        let (received, close) = read_as_client(outbox.io.written).await;
        assert_eq!(received, messages().into_iter().take(5).collect::<Vec<_>>());
        assert_eq!(close, Some((1000, String::new())));
    }

    #[tokio::test]
    async fn a_closed_socket_ends_the_session_as_lost() {
        let (server_io, mut client_io) = tokio::io::duplex(64);
        let metrics = NetMetrics::register(&metrics::NoopRecorder);
        let mut outbox = Outbox::new(server_io, LIMIT);
        outbox.send(&metrics, pattern(10)).await.expect("a live pipe takes the message");
        let mut header = [0u8; 12];
        client_io.read_exact(&mut header).await.expect("the message should arrive");
        drop(client_io);
        let sent = outbox.send(&metrics, pattern(10)).await;
        assert!(matches!(sent, Err(Ending::PeerLost)), "a write to a closed pipe is a lost peer");
    }

    #[tokio::test]
    async fn a_peer_that_does_not_read_is_given_up_on_and_nothing_more_is_written() {
        let (server_io, _unread) = tokio::io::duplex(1024);
        let metrics = NetMetrics::register(&metrics::NoopRecorder);
        let mut outbox = Outbox::new(server_io, Duration::from_millis(100));
        let sent = outbox.send(&metrics, pattern(4096)).await;
        assert!(
            matches!(&sent, Err(Ending::Silent(reason)) if reason.contains("not reading")),
            "a write the peer never takes should end the session as silent: {sent:?}"
        );
        let again = outbox.close(1008, &CloseReason::default()).await;
        assert!(matches!(again, Err(Ending::PeerLost)), "a half-written frame ends the stream");
    }
}
