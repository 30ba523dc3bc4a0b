//! The read side of a session: the socket half tungstenite reads from, the next client
//! message (with every WebSocket error mapped to how the session ends). Writing is
//! `outbox`'s.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tickwire_protocol::{ClientMessage, CloseCode};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::timeout;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tracing::debug;

use super::Ending;
use super::close_reason::CloseReason;
use crate::message_budget::MessageBudget;
use crate::metrics::NetMetrics;
use crate::untrusted::Untrusted;

/// The read half of a session's socket, as tungstenite sees it. Every byte the server
/// sends goes through the session's `Outbox`, so what tungstenite would write on its own
/// is dropped here: its reply to a close frame (the session replies itself) and pongs to
/// WebSocket pings, which Tickwire clients do not send (the protocol has its own ping).
pub(super) struct ReadSide<R>(pub(super) R);

impl<R: AsyncRead + Unpin> AsyncRead for ReadSide<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<R: Unpin> AsyncWrite for ReadSide<R> {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// The next client message, skipping WebSocket control frames. Every frame the client
/// sends takes from its `budget`, control frames too (a ping flood costs the server as
/// much as a message flood); a client over it is closed with `RateLimited`.
pub(super) async fn next_message<R>(
    stream: &mut WebSocketStream<R>,
    metrics: &NetMetrics,
    budget: &mut MessageBudget,
) -> Result<ClientMessage, Ending>
where
    R: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        let message = stream.next().await;
        if matches!(message, Some(Ok(ref message)) if !message.is_close())
            && !budget.take(Instant::now())
        {
            return Err(Ending::close(
                CloseCode::RateLimited,
                format!(
                    "sending too fast: the limit is {} messages per second",
                    budget.per_second()
                ),
            ));
        }
        match message {
            None => return Err(Ending::PeerLost),
            Some(Ok(Message::Close(goodbye))) => return Err(Ending::PeerClosed(goodbye)),
            Some(Ok(Message::Binary(frame))) => {
                metrics.received(frame.len());
                return ClientMessage::decode(&frame).map_err(|error| {
                    // A verifier's report runs over several lines: its first says what is
                    // wrong, the rest where; the peer is told what, the log gets where.
                    let report = error.to_string();
                    let what = report.lines().next().unwrap_or_default();
                    let reason = CloseReason::new(&format!("malformed message: {what}"));
                    Ending::close(CloseCode::ProtocolError, reason.with_detail(report))
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
            Some(Err(WsError::Utf8(detail))) => {
                let reason = CloseReason::new("invalid UTF-8 in a text message or close reason");
                return Err(Ending::close(CloseCode::InvalidPayload, reason.with_detail(detail)));
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
                debug!(error = %Untrusted(&error.to_string()), "read failed");
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
pub(super) async fn ending_after_failed_write<R>(
    stream: &mut WebSocketStream<R>,
    metrics: &NetMetrics,
    budget: &mut MessageBudget,
) -> Ending
where
    R: AsyncRead + AsyncWrite + Unpin,
{
    let unread_ending = async {
        loop {
            if let Err(ending) = next_message(stream, metrics, budget).await {
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
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::protocol::Role;

    use super::*;

    fn ample_budget() -> MessageBudget {
        MessageBudget::new(1000, 1000, Instant::now())
    }

    #[tokio::test]
    async fn control_frames_take_from_the_budget_too() {
        let (server_io, client_io) = tokio::io::duplex(1 << 16);
        let mut server =
            WebSocketStream::from_raw_socket(ReadSide(server_io), Role::Server, None).await;
        let mut client = WebSocketStream::from_raw_socket(client_io, Role::Client, None).await;
        for _ in 0..10 {
            client.send(Message::Ping(b"flood".to_vec().into())).await.expect("ping written");
        }
        let metrics = NetMetrics::register(&metrics::NoopRecorder);
        let mut budget = MessageBudget::new(1, 5, Instant::now());
        match next_message(&mut server, &metrics, &mut budget).await {
            Err(Ending::Close(code, reason)) => {
                assert_eq!(code, CloseCode::RateLimited);
                assert!(reason.as_str().contains("too fast"), "the reason should say so: {reason}");
            }
            other => panic!("a ping flood should be rate limited: {other:?}"),
        }
    }

    /// What [`ending_after_failed_write`] makes of a peer that sent an input and then
    /// `farewell` before its socket went away (or, with `hang`, stayed open in silence).
    async fn ending_after(farewell: Option<Message>, hang: bool) -> Ending {
        let (server_io, client_io) = tokio::io::duplex(1 << 16);
        let mut server =
            WebSocketStream::from_raw_socket(ReadSide(server_io), Role::Server, None).await;
        let mut client = WebSocketStream::from_raw_socket(client_io, Role::Client, None).await;
        let input = tickwire_protocol::ClientMessage::FullSnapshotRequest.encode();
        client.send(Message::Binary(input)).await.expect("the input should be written");
        if let Some(farewell) = farewell {
            client.send(farewell).await.expect("the farewell should be written");
        }
        let kept = hang.then_some(client); // Otherwise the client's socket is gone now.
        let metrics = NetMetrics::register(&metrics::NoopRecorder);
        let ending = ending_after_failed_write(&mut server, &metrics, &mut ample_budget()).await;
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
            WebSocketStream::from_raw_socket(ReadSide(server_io), Role::Server, None).await;
        let mut client = WebSocketStream::from_raw_socket(client_io, Role::Client, None).await;
        client.send(Message::Ping(b"hi".to_vec().into())).await.expect("ping written");
        client.send(Message::Close(None)).await.expect("close written");

        let metrics = NetMetrics::register(&metrics::NoopRecorder);
        let ending = next_message(&mut server, &metrics, &mut ample_budget()).await;
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
