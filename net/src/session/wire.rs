//! The socket-level side of a session: reading the next client message (with every
//! WebSocket error mapped to how the session ends), writing one, and close reasons.

use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tickwire_protocol::{ClientMessage, CloseCode};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::timeout;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tracing::debug;

use super::Ending;
use crate::metrics::NetMetrics;

/// The next client message, skipping WebSocket control frames.
pub(super) async fn next_message<S>(
    stream: &mut SplitStream<WebSocketStream<S>>,
    metrics: &NetMetrics,
) -> Result<ClientMessage, Ending>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        match stream.next().await {
            None => return Err(Ending::PeerLost),
            Some(Ok(Message::Close(_))) => return Err(Ending::PeerClosed),
            Some(Ok(Message::Binary(frame))) => {
                metrics.received(frame.len());
                return ClientMessage::decode(&frame).map_err(|error| {
                    Ending::close(CloseCode::ProtocolError, format!("malformed message: {error}"))
                });
            }
            Some(Ok(Message::Text(_))) => {
                return Err(Ending::close(
                    CloseCode::UnsupportedData,
                    "text frames are not supported; send binary FlatBuffers messages",
                ));
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
            Some(Err(WsError::Capacity(CapacityError::MessageTooLong { size, max_size }))) => {
                return Err(Ending::close(
                    CloseCode::MessageTooBig,
                    format!("message of {size} bytes exceeds the limit of {max_size}"),
                ));
            }
            Some(Err(WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake))) => {
                return Err(Ending::PeerLost);
            }
            Some(Err(WsError::Protocol(error))) => {
                return Err(Ending::close(
                    CloseCode::ProtocolError,
                    format!("WebSocket protocol error: {error}"),
                ));
            }
            Some(Err(error)) => {
                debug!(%error, "read failed");
                return Err(Ending::PeerLost);
            }
        }
    }
}

/// How long a session whose write failed looks for a close frame the peer sent first.
const UNREAD_GOODBYE_WAIT: Duration = Duration::from_millis(200);

/// How a session whose write failed ended. A peer that sends its close frame and drops
/// the socket at once makes the next write fail before the reader gets to that frame,
/// and a goodbye taken for a lost connection would keep the player's actor in the world
/// for the whole resume grace window. So the unread input is searched for a close frame
/// first; a lost peer's socket reports its end at once, and the search is bounded.
pub(super) async fn ending_after_failed_write<S>(
    stream: &mut SplitStream<WebSocketStream<S>>,
    metrics: &NetMetrics,
) -> Ending
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let unread_ending = async {
        loop {
            if let Err(ending) = next_message(stream, metrics).await {
                return ending;
            }
        }
    };
    match timeout(UNREAD_GOODBYE_WAIT, unread_ending).await {
        Ok(Ending::PeerClosed) => Ending::PeerClosed,
        _ => Ending::PeerLost,
    }
}

/// The write half of a session's WebSocket.
type WsSink<S> = SplitSink<WebSocketStream<S>, Message>;

/// A close frame's reason is limited to 123 bytes; cut at a character boundary.
pub(super) fn close_reason(reason: &str) -> String {
    const MAX: usize = 123;
    let mut end = reason.len().min(MAX);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_owned()
}

/// Writes one message and flushes it, with everything queued before it.
pub(super) async fn send<S>(
    sink: &mut WsSink<S>,
    metrics: &NetMetrics,
    message: Bytes,
) -> Result<(), Ending>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    queue(sink, metrics, message).await?;
    flush(sink).await
}

/// Writes whatever was queued.
pub(super) async fn flush<S>(sink: &mut WsSink<S>) -> Result<(), Ending>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    sink.flush().await.map_err(send_failed)
}

/// Queues one message to go out with the next [`send`]: the messages that precede a
/// snapshot (its input ack, events and timing) then share the snapshot's write call and
/// TCP segment instead of costing one each. A long message is fragmented (see
/// `FRAGMENT_ABOVE`).
pub(super) async fn queue<S>(
    sink: &mut WsSink<S>,
    metrics: &NetMetrics,
    message: Bytes,
) -> Result<(), Ending>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let frame_bytes = if message.len() > FRAGMENT_ABOVE { FRAGMENT_BYTES } else { message.len() };
    write_frames(sink, metrics, message, frame_bytes, false).await
}

/// Writes a full snapshot, with everything queued before it, in frames of `PIECE_BYTES`,
/// each written as soon as it is framed. A connection's write buffer stays as large as
/// the most it ever held at once, and full snapshots (on join and on request) are the
/// largest messages most connections get: sent whole, the join snapshot of a big world
/// would set the memory of every quiet connection for good. A few more write calls, once
/// per join, are cheap.
pub(super) async fn send_in_pieces<S>(
    sink: &mut WsSink<S>,
    metrics: &NetMetrics,
    message: Bytes,
) -> Result<(), Ending>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    write_frames(sink, metrics, message, PIECE_BYTES, true).await
}

/// Hands `message` to the sink in frames of at most `frame_bytes`, flushing after each
/// one if `flush_each`.
async fn write_frames<S>(
    sink: &mut WsSink<S>,
    metrics: &NetMetrics,
    message: Bytes,
    frame_bytes: usize,
    flush_each: bool,
) -> Result<(), Ending>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    metrics.sent(message.len());
    for frame in frames_of(message, frame_bytes) {
        sink.feed(frame).await.map_err(send_failed)?;
        if flush_each {
            flush(sink).await?;
        }
    }
    Ok(())
}

/// `message` as WebSocket frames of at most `frame_bytes` payload: one binary frame if it
/// fits, otherwise a binary frame and continuation frames, the last one final.
fn frames_of(message: Bytes, frame_bytes: usize) -> impl Iterator<Item = Message> {
    let frame_bytes = frame_bytes.max(1);
    let fragmented = message.len() > frame_bytes;
    let mut start = 0;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        if !fragmented {
            done = true;
            return Some(Message::Binary(message.clone()));
        }
        let end = (start + frame_bytes).min(message.len());
        let opcode = if start == 0 { Data::Binary } else { Data::Continue };
        let last = end == message.len();
        let fragment = Frame::message(message.slice(start..end), OpCode::Data(opcode), last);
        (start, done) = (end, last);
        Some(Message::Frame(fragment))
    })
}

/// Messages longer than this (full snapshots of large worlds, mostly) leave as several
/// WebSocket frames of `FRAGMENT_BYTES`; clients reassemble them. Tungstenite keeps a
/// connection's write buffer as large as the largest frame it ever wrote, so one full
/// snapshot would otherwise pin its size to every connection for good.
const FRAGMENT_ABOVE: usize = 64 * 1024;
const FRAGMENT_BYTES: usize = 16 * 1024;

/// The frame size of [`send_in_pieces`].
const PIECE_BYTES: usize = 4 * 1024;

fn send_failed(error: WsError) -> Ending {
    debug!(%error, "send failed");
    Ending::PeerLost
}

#[cfg(test)]
mod tests {
    use futures_util::{SinkExt, StreamExt};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_tungstenite::tungstenite::protocol::Role;

    use super::*;

    /// Each WebSocket frame in `wire` (unmasked, as a server writes them) as (final?,
    /// opcode, payload length).
    fn frames_on_wire(mut wire: &[u8]) -> Vec<(bool, u8, usize)> {
        let mut frames = Vec::new();
        while let [first, second, rest @ ..] = wire {
            let (length, rest) = match second & 0x7f {
                126 => (usize::from(u16::from_be_bytes([rest[0], rest[1]])), &rest[2..]),
                127 => {
                    let bytes: [u8; 8] = rest[..8].try_into().expect("8 length bytes");
                    (usize::try_from(u64::from_be_bytes(bytes)).expect("fits"), &rest[8..])
                }
                short => (usize::from(short), rest),
            };
            frames.push((first & 0x80 != 0, first & 0x0f, length));
            wire = &rest[length..];
        }
        frames
    }

    /// What a server session writes for `messages` (each queued, or sent in pieces when
    /// `true`), as bytes on the wire, after one final flush.
    async fn wire_bytes(messages: &[(Bytes, bool)]) -> Vec<u8> {
        let (server_io, mut raw) = tokio::io::duplex(1 << 20);
        let server = WebSocketStream::from_raw_socket(server_io, Role::Server, None).await;
        let (mut sink, stream) = server.split();
        let metrics = NetMetrics::register(&metrics::NoopRecorder);
        for (message, in_pieces) in messages {
            let sent = if *in_pieces {
                send_in_pieces(&mut sink, &metrics, message.clone()).await
            } else {
                queue(&mut sink, &metrics, message.clone()).await
            };
            assert!(sent.is_ok(), "writing to a live pipe should work");
        }
        sink.flush().await.expect("flushed");
        drop((sink, stream));
        let mut wire = Vec::new();
        raw.read_to_end(&mut wire).await.expect("the bytes written should be readable");
        wire
    }

    /// The messages a tungstenite client reads off `wire`.
    async fn reassembled(wire: &[u8]) -> Vec<Bytes> {
        let (mut replay, client_io) = tokio::io::duplex(1 << 20);
        replay.write_all(wire).await.expect("the replay should be written");
        drop(replay);
        let mut client = WebSocketStream::from_raw_socket(client_io, Role::Client, None).await;
        let mut received = Vec::new();
        while let Some(Ok(Message::Binary(data))) = client.next().await {
            received.push(data);
        }
        received
    }

    fn pattern(length: u32) -> Bytes {
        (0..length).map(|i| (i % 251) as u8).collect::<Vec<u8>>().into()
    }

    #[tokio::test]
    async fn long_messages_leave_in_fragments_and_arrive_whole() {
        let long = pattern(200_000);
        let short = Bytes::from_static(b"tiny");
        let wire =
            wire_bytes(&[(short.clone(), false), (long.clone(), false), (short.clone(), false)])
                .await;

        let frames = frames_on_wire(&wire);
        let fragments = 200_000usize.div_ceil(FRAGMENT_BYTES);
        assert_eq!(frames.len(), 2 + fragments, "short, long in fragments, short: {frames:?}");
        assert_eq!(frames[1], (false, 0x2, FRAGMENT_BYTES), "the first fragment is binary");
        assert!(
            frames[2..=fragments]
                .iter()
                .all(|&(_, opcode, length)| opcode == 0x0 && length <= FRAGMENT_BYTES),
            "the rest are continuation frames of at most {FRAGMENT_BYTES} bytes: {frames:?}"
        );
        assert!(frames[fragments].0, "the last fragment is final");
        assert_eq!(reassembled(&wire).await, vec![short.clone(), long, short]);
    }

    #[tokio::test]
    async fn a_message_sent_in_pieces_leaves_in_small_frames_and_arrives_whole() {
        let full = pattern(20_000);
        let short = Bytes::from_static(b"ack");
        let wire = wire_bytes(&[(short.clone(), false), (full.clone(), true)]).await;

        let frames = frames_on_wire(&wire);
        let pieces = 20_000usize.div_ceil(PIECE_BYTES);
        assert_eq!(frames.len(), 1 + pieces, "the queued message, then the pieces: {frames:?}");
        assert_eq!(frames[1], (false, 0x2, PIECE_BYTES), "the first piece is binary");
        assert!(
            frames[2..].iter().all(|&(_, opcode, length)| opcode == 0x0 && length <= PIECE_BYTES)
        );
        assert!(frames[pieces].0, "the last piece is final");
        assert_eq!(reassembled(&wire).await, vec![short.clone(), full]);
        let small = wire_bytes(&[(short.clone(), true)]).await;
        assert_eq!(frames_on_wire(&small), vec![(true, 0x2, 3)], "a small message stays one frame");
    }

    /// What [`ending_after_failed_write`] makes of a peer that sent an input and then
    /// `farewell` before its socket went away (or, with `hang`, stayed open in silence).
    async fn ending_after(farewell: Option<Message>, hang: bool) -> Ending {
        let (server_io, client_io) = tokio::io::duplex(1 << 16);
        let server = WebSocketStream::from_raw_socket(server_io, Role::Server, None).await;
        let (_sink, mut stream) = server.split();
        let mut client = WebSocketStream::from_raw_socket(client_io, Role::Client, None).await;
        let input = tickwire_protocol::ClientMessage::FullSnapshotRequest.encode();
        client.send(Message::Binary(input)).await.expect("the input should be written");
        if let Some(farewell) = farewell {
            client.send(farewell).await.expect("the farewell should be written");
        }
        let kept = hang.then_some(client); // Otherwise the client's socket is gone now.
        let ending =
            ending_after_failed_write(&mut stream, &NetMetrics::register(&metrics::NoopRecorder))
                .await;
        drop(kept);
        ending
    }

    #[tokio::test]
    async fn a_failed_write_finds_a_goodbye_the_peer_sent_before_it_vanished() {
        let goodbye = Message::Close(None);
        assert!(matches!(ending_after(Some(goodbye), false).await, Ending::PeerClosed));
        assert!(matches!(ending_after(None, false).await, Ending::PeerLost));
        let started = std::time::Instant::now();
        assert!(matches!(ending_after(None, true).await, Ending::PeerLost));
        assert!(started.elapsed() >= UNREAD_GOODBYE_WAIT, "a silent peer is waited for");
    }
}
