//! The read side of a session: the socket half tungstenite reads from, the next client
//! message (with every WebSocket error mapped to how the session ends). Writing is
//! `outbox`'s.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tickwire_protocol::{ClientMessage, CloseCode};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::time::{Instant, Sleep, sleep_until, timeout};
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tracing::debug;

use super::Ending;
use super::close_reason::CloseReason;
use super::frame_meter::FrameMeter;
use super::message_stream::MessageStream;
use crate::message_budget::MessageBudget;
use crate::metrics::NetMetrics;
use tickwire_protocol::Untrusted;

/// How long a client may take over one message (or control frame), from its first byte
/// to its last. Client messages are at most a KiB and leave in one write, so this is
/// generous even for a lossy link; a message that trickles in or never ends is an attack
/// on the server's memory and time.
pub(super) const MESSAGE_DEADLINE: Duration = Duration::from_secs(2);

/// Why the read side refused what a client sent.
#[derive(Debug, thiserror::Error)]
pub(super) enum ReadLimit {
    /// More frames than the client's budget allows.
    #[error("sending too fast: the limit is {per_second} messages per second")]
    OverBudget {
        /// The average rate allowed.
        per_second: f64,
    },
    /// A message not whole by [`MESSAGE_DEADLINE`].
    #[error("a message must arrive whole within {} s of its first byte", MESSAGE_DEADLINE.as_secs_f32())]
    TooSlow,
}

impl ReadLimit {
    pub(super) fn close_code(&self) -> CloseCode {
        match self {
            Self::OverBudget { .. } => CloseCode::RateLimited,
            Self::TooSlow => CloseCode::PolicyViolation,
        }
    }
}

/// The read half of a session's socket, as tungstenite sees it.
///
/// It meters what the client sends before tungstenite parses it (see `frame_meter` for
/// why there): every frame takes from the client's budget, control frames and each
/// fragment of a message too (a flood of pings or of empty continuation frames costs the
/// server as much as a flood of messages), and a message must be whole by
/// [`MESSAGE_DEADLINE`]. Either refusal is a read error carrying a [`ReadLimit`].
pub(super) struct ReadSide<R> {
    socket: R,
    meter: FrameMeter,
    budget: MessageBudget,
    /// Wakes the reader when the message in progress is due; made only while one waits.
    deadline: Option<Pin<Box<Sleep>>>,
}

impl<R> ReadSide<R> {
    /// Reads `socket`, charging `budget` for every frame.
    pub(super) fn new(socket: R, budget: MessageBudget) -> Self {
        Self { socket, meter: FrameMeter::default(), budget, deadline: None }
    }

    /// Meters `read_ahead`, what was read from the socket before this side took it over.
    pub(super) fn meter_read_ahead(&mut self, read_ahead: &[u8]) -> Result<(), ReadLimit> {
        self.check_limits(read_ahead, Instant::now(), None)
    }

    /// The socket itself, past the meter: for discarding what a closed peer still sends.
    pub(super) fn socket(&mut self) -> &mut R {
        &mut self.socket
    }

    /// Charges the frames in `read` (bytes just read at `now`) and checks the deadline of
    /// the message in progress; with `waiting`, the read found nothing, so the deadline
    /// is armed to wake the reader.
    fn check_limits(
        &mut self,
        read: &[u8],
        now: Instant,
        waiting: Option<&mut Context<'_>>,
    ) -> Result<(), ReadLimit> {
        let frames = self.meter.feed(read, now.into_std());
        if frames > 0 && !self.budget.take(frames, now.into_std()) {
            return Err(ReadLimit::OverBudget { per_second: self.budget.per_second() });
        }
        let Some(started) = self.meter.started_at() else {
            self.deadline = None;
            return Ok(());
        };
        let due = Instant::from_std(started) + MESSAGE_DEADLINE;
        if now >= due {
            return Err(ReadLimit::TooSlow);
        }
        if let Some(cx) = waiting {
            let deadline = self.deadline.get_or_insert_with(|| Box::pin(sleep_until(due)));
            if deadline.deadline() != due {
                deadline.as_mut().reset(due);
            }
            if deadline.as_mut().poll(cx).is_ready() {
                return Err(ReadLimit::TooSlow);
            }
        }
        Ok(())
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for ReadSide<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        let read = Pin::new(&mut this.socket).poll_read(cx, buf);
        let metered = match &read {
            Poll::Ready(Ok(())) => this.check_limits(&buf.filled()[before..], Instant::now(), None),
            Poll::Pending => this.check_limits(&[], Instant::now(), Some(cx)),
            Poll::Ready(Err(_)) => Ok(()),
        };
        match metered {
            Ok(()) => read,
            Err(limit) => Poll::Ready(Err(io::Error::other(limit))),
        }
    }
}

/// The next client message, skipping WebSocket control frames. A client over its frame
/// budget is closed with `RateLimited`, one whose message is not whole in time with
/// `PolicyViolation` (see [`ReadSide`]).
pub(super) async fn next_message<R>(
    stream: &mut MessageStream<R>,
    metrics: &NetMetrics,
) -> Result<ClientMessage, Ending>
where
    R: AsyncRead + Unpin,
{
    poll_fn(|cx| poll_next_message(stream, metrics, cx)).await
}

/// [`next_message`] for a hand-written loop: `Pending` once nothing whole is left to
/// read, with the task woken when more arrives.
pub(super) fn poll_next_message<R>(
    stream: &mut MessageStream<R>,
    metrics: &NetMetrics,
    cx: &mut Context<'_>,
) -> Poll<Result<ClientMessage, Ending>>
where
    R: AsyncRead + Unpin,
{
    loop {
        if let Some(message) = client_message(ready!(stream.poll_next(cx)), metrics) {
            return Poll::Ready(message);
        }
    }
}

/// What one item of the WebSocket stream means for the session: a client message, an
/// ending, or nothing (a control frame, skipped).
fn client_message(
    item: Option<Result<Message, WsError>>,
    metrics: &NetMetrics,
) -> Option<Result<ClientMessage, Ending>> {
    let ending = match item {
        None => Ending::PeerLost,
        Some(Ok(Message::Close(goodbye))) => Ending::PeerClosed(goodbye),
        Some(Ok(Message::Binary(frame))) => {
            metrics.received(frame.len());
            return Some(ClientMessage::decode(&frame).map_err(|error| {
                // A verifier's report runs over several lines: its first says what is
                // wrong, the rest where; the peer is told what, the log gets where.
                let report = error.to_string();
                let what = report.lines().next().unwrap_or_default();
                let reason = CloseReason::new(&format!("malformed message: {what}"));
                Ending::close(CloseCode::ProtocolError, reason.with_detail(report))
            }));
        }
        Some(Ok(Message::Text(_))) => Ending::close(
            CloseCode::UnsupportedData,
            "text frames are not supported; send binary FlatBuffers messages",
        ),
        Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => return None,
        Some(Err(WsError::Capacity(CapacityError::MessageTooLong { size, max_size }))) => {
            Ending::close(
                CloseCode::MessageTooBig,
                format!("message of {size} bytes exceeds the limit of {max_size}"),
            )
        }
        Some(Err(WsError::Utf8(detail))) => {
            let reason = CloseReason::new("invalid UTF-8 in a text message or close reason");
            Ending::close(CloseCode::InvalidPayload, reason.with_detail(detail))
        }
        Some(Err(WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake))) => {
            Ending::PeerLost
        }
        Some(Err(WsError::Protocol(error))) => {
            Ending::close(CloseCode::ProtocolError, format!("WebSocket protocol error: {error}"))
        }
        Some(Err(WsError::Io(error))) => ending_after_read_error(&error),
        Some(Err(error)) => {
            debug!(error = %Untrusted(&error.to_string()), "read failed");
            Ending::PeerLost
        }
    };
    Some(Err(ending))
}

/// How a session whose socket read failed ends: closed if it broke a [`ReadLimit`], lost
/// otherwise.
fn ending_after_read_error(error: &io::Error) -> Ending {
    match error.get_ref().and_then(|inner| inner.downcast_ref::<ReadLimit>()) {
        Some(limit) => Ending::close(limit.close_code(), limit.to_string()),
        None => {
            debug!(%error, "read failed");
            Ending::PeerLost
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
pub(super) async fn ending_after_failed_write<R>(
    stream: &mut MessageStream<R>,
    metrics: &NetMetrics,
) -> Ending
where
    R: AsyncRead + Unpin,
{
    let unread_ending = async {
        loop {
            if let Err(ending) = next_message(stream, metrics).await {
                return ending;
            }
        }
    };
    match timeout(UNREAD_GOODBYE_WAIT, unread_ending).await {
        Ok(goodbye @ Ending::PeerClosed(_)) => goodbye,
        _ => Ending::PeerLost,
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::WebSocketStream;
    use tokio_tungstenite::tungstenite::protocol::Role;
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

    use super::*;

    fn budget(per_second: u32, burst: u32) -> MessageBudget {
        MessageBudget::new(per_second, burst, Instant::now().into_std())
    }

    fn ample_budget() -> MessageBudget {
        budget(1000, 1000)
    }

    /// A server reading what `client_sends` wrote, with `budget`.
    async fn ending_of(client_sends: Vec<Message>, budget: MessageBudget) -> Ending {
        let (server_io, client_io) = tokio::io::duplex(1 << 16);
        let mut server = MessageStream::new(ReadSide::new(server_io, budget), Vec::new(), None);
        let mut client = WebSocketStream::from_raw_socket(client_io, Role::Client, None).await;
        for message in client_sends {
            client.feed(message).await.expect("the client's frame should be written");
        }
        client.flush().await.expect("the client's frames should be written");
        let metrics = NetMetrics::register(&metrics::NoopRecorder);
        let ending = loop {
            if let Err(ending) = next_message(&mut server, &metrics).await {
                break ending;
            }
        };
        drop(client);
        ending
    }

    fn assert_closed(ending: &Ending, expected: CloseCode, says: &str) {
        match ending {
            Ending::Close(code, reason) => {
                assert_eq!(*code, expected, "{reason}");
                assert!(reason.as_str().contains(says), "the reason should say {says:?}: {reason}");
            }
            other => panic!("the client should be closed with {expected:?}: {other:?}"),
        }
    }

    #[tokio::test]
    async fn control_frames_take_from_the_budget_too() {
        let pings = vec![Message::Ping(b"flood".to_vec().into()); 10];
        let ending = ending_of(pings, budget(1, 5)).await;
        assert_closed(&ending, CloseCode::RateLimited, "too fast");
    }

    #[tokio::test]
    async fn every_fragment_of_a_message_takes_from_the_budget() {
        let fragment = |opcode, fin| {
            Message::Frame(Frame::message(Bytes::from_static(b""), OpCode::Data(opcode), fin))
        };
        let mut flood = vec![fragment(Data::Binary, false)];
        flood.extend(std::iter::repeat_with(|| fragment(Data::Continue, false)).take(500));
        let ending = ending_of(flood, budget(100, 200)).await;
        assert_closed(&ending, CloseCode::RateLimited, "too fast");
    }

    #[test]
    fn what_was_read_ahead_takes_from_the_budget_too() {
        let empty_binary = [0x82, 0x80, 1, 2, 3, 4]; // Binary with FIN, empty, masked.
        let mut read_side = ReadSide::new((), budget(1, 1));
        assert!(read_side.meter_read_ahead(&empty_binary).is_ok(), "one frame is in budget");
        let mut read_side = ReadSide::new((), budget(1, 1));
        let two = [empty_binary, empty_binary].concat();
        let refused = read_side.meter_read_ahead(&two);
        assert!(matches!(refused, Err(ReadLimit::OverBudget { .. })), "{refused:?}");
    }

    #[test]
    fn a_message_must_be_whole_by_its_deadline() {
        let start = Instant::now();
        let mut read_side = ReadSide::new((), ample_budget());
        let first_fragment = [0x02, 0x80, 1, 2, 3, 4]; // Binary, no FIN, empty, masked.
        assert!(read_side.check_limits(&first_fragment, start, None).is_ok());
        let almost = start + MESSAGE_DEADLINE - Duration::from_millis(1);
        assert!(read_side.check_limits(&[], almost, None).is_ok(), "before the deadline: fine");
        let late = start + MESSAGE_DEADLINE;
        assert!(
            matches!(read_side.check_limits(&[], late, None), Err(ReadLimit::TooSlow)),
            "a message not whole by its deadline should be refused"
        );

        let mut read_side = ReadSide::new((), ample_budget());
        let whole = [0x82, 0x80, 1, 2, 3, 4]; // Binary with FIN, empty, masked.
        assert!(read_side.check_limits(&whole, start, None).is_ok());
        assert!(
            read_side.check_limits(&[], start + 10 * MESSAGE_DEADLINE, None).is_ok(),
            "no message in progress"
        );
    }

    /// What [`ending_after_failed_write`] makes of a peer that sent an input and then
    /// `farewell` before its socket went away (or, with `hang`, stayed open in silence).
    async fn ending_after(farewell: Option<Message>, hang: bool) -> Ending {
        let (server_io, client_io) = tokio::io::duplex(1 << 16);
        let mut server =
            MessageStream::new(ReadSide::new(server_io, ample_budget()), Vec::new(), None);
        let mut client = WebSocketStream::from_raw_socket(client_io, Role::Client, None).await;
        let input = tickwire_protocol::ClientMessage::FullSnapshotRequest.encode();
        client.send(Message::Binary(input)).await.expect("the input should be written");
        if let Some(farewell) = farewell {
            client.send(farewell).await.expect("the farewell should be written");
        }
        let kept = hang.then_some(client); // Otherwise the client's socket is gone now.
        let metrics = NetMetrics::register(&metrics::NoopRecorder);
        let ending = ending_after_failed_write(&mut server, &metrics).await;
        drop(kept);
        ending
    }

    #[tokio::test]
    async fn a_failed_write_finds_a_goodbye_the_peer_sent_before_it_vanished() {
        let goodbye = Message::Close(None);
        assert!(matches!(ending_after(Some(goodbye), false).await, Ending::PeerClosed(None)));
        assert!(matches!(ending_after(None, false).await, Ending::PeerLost));
        let started = std::time::Instant::now();
        assert!(matches!(ending_after(None, true).await, Ending::PeerLost));
        assert!(started.elapsed() >= UNREAD_GOODBYE_WAIT, "a silent peer is waited for");
    }

    #[tokio::test]
    async fn replies_tungstenite_would_write_are_dropped_without_failing_the_read() {
        let (server_io, client_io) = tokio::io::duplex(1 << 16);
        let mut server =
            MessageStream::new(ReadSide::new(server_io, ample_budget()), Vec::new(), None);
        let mut client = WebSocketStream::from_raw_socket(client_io, Role::Client, None).await;
        client.send(Message::Ping(b"hi".to_vec().into())).await.expect("ping written");
        client.send(Message::Close(None)).await.expect("close written");

        let metrics = NetMetrics::register(&metrics::NoopRecorder);
        let ending = next_message(&mut server, &metrics).await;
        assert!(
            matches!(ending, Err(Ending::PeerClosed(None))),
            "the ping (and its pong) should be skipped and the close read: {ending:?}"
        );
        drop(server);
        let reply = client.next().await;
        assert!(
            !matches!(reply, Some(Ok(Message::Pong(_) | Message::Close(_)))),
            "tungstenite's own replies should not reach the peer: {reply:?}"
        );
    }
}
