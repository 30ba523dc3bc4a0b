//! The socket-level side of a session: reading the next client message (with every
//! WebSocket error mapped to how the session ends), writing one, and close reasons.

use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tickwire_protocol::{ClientMessage, CloseCode};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
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
    sink: &mut SplitSink<WebSocketStream<S>, Message>,
    metrics: &NetMetrics,
    message: Bytes,
) -> Result<(), Ending>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    queue(sink, metrics, message).await?;
    sink.flush().await.map_err(send_failed)
}

/// Queues one message to go out with the next [`send`]: the messages that precede a
/// snapshot (its input ack, events and timing) then share the snapshot's write call and
/// TCP segment instead of costing one each.
pub(super) async fn queue<S>(
    sink: &mut SplitSink<WebSocketStream<S>, Message>,
    metrics: &NetMetrics,
    message: Bytes,
) -> Result<(), Ending>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    metrics.sent(message.len());
    sink.feed(Message::Binary(message)).await.map_err(send_failed)
}

fn send_failed(error: WsError) -> Ending {
    debug!(%error, "send failed");
    Ending::PeerLost
}
