//! One WebSocket session: handshake, then inputs in, snapshots and pings out.
//!
//! Everything the peer sends is verified and decoded before use; anything wrong ends this
//! session alone with a `Disconnect` message and a close frame carrying the same code and
//! reason, plus a log line in the session's span. Nothing here can reach the accept loop
//! or another session.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tickwire_protocol::{
    ClientMessage, CloseCode, Disconnect, PROTOCOL_VERSION, Ping, ServerMessage, Welcome,
};
use tickwire_sim::{Joined, SendRefused, SessionId};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{MissedTickBehavior, interval, timeout};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tracing::{Instrument, debug, info, info_span, warn};

use crate::endpoint::Inner;

/// Why a session ended.
#[derive(Debug)]
enum Ending {
    /// The peer closed the connection or went away; nothing more to send.
    PeerLeft,
    /// The server ends the session and tells the peer why.
    Close(CloseCode, String),
}

impl Ending {
    fn close(code: CloseCode, reason: impl Into<String>) -> Self {
        Self::Close(code, reason.into())
    }
}

/// Runs a session to its end.
pub(crate) async fn run<S>(
    net: Arc<Inner>,
    id: SessionId,
    peer: SocketAddr,
    socket: WebSocketStream<S>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let span = info_span!("session", id, %peer);
    async move {
        let (sink, stream) = socket.split();
        let mut session = Session {
            net,
            id,
            sink,
            stream,
            joined: false,
        };
        let ending = session.handshake_and_serve().await;
        if session.joined {
            session.net.sim.leave(id);
        }
        match ending {
            Ending::PeerLeft => info!("session ended by the peer"),
            Ending::Close(code, reason) => {
                if code == CloseCode::GoingAway {
                    info!(code = code.as_u16(), %reason, "closing session");
                } else {
                    warn!(code = code.as_u16(), %reason, "closing session");
                }
                session.close(code, reason).await;
            }
        }
    }
    .instrument(span)
    .await;
}

struct Session<S> {
    net: Arc<Inner>,
    id: SessionId,
    sink: SplitSink<WebSocketStream<S>, Message>,
    stream: SplitStream<WebSocketStream<S>>,
    /// Whether the sim spawned an actor for this session (so it must be told we left).
    joined: bool,
}

impl<S> Session<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    async fn handshake_and_serve(&mut self) -> Ending {
        let shutdown = self.net.shutdown.clone();
        tokio::select! {
            ending = async {
                let joined = match self.handshake().await {
                    Ok(joined) => joined,
                    Err(ending) => return ending,
                };
                self.serve(joined).await
            } => ending,
            () = shutdown.cancelled() => Ending::close(CloseCode::GoingAway, "server is shutting down"),
        }
    }

    /// Waits for a valid `Hello`, joins the sim, and sends `Welcome`.
    async fn handshake(&mut self) -> Result<Joined, Ending> {
        let hello = match timeout(
            self.net.config.handshake_timeout,
            next_message(&mut self.stream),
        )
        .await
        {
            Err(_elapsed) => {
                return Err(Ending::close(
                    CloseCode::PolicyViolation,
                    "handshake timed out: send Hello first",
                ));
            }
            Ok(Err(ending)) => return Err(ending),
            Ok(Ok(ClientMessage::Hello(hello))) => hello,
            Ok(Ok(_)) => {
                return Err(Ending::close(
                    CloseCode::ProtocolError,
                    "expected Hello as the first message",
                ));
            }
        };
        if hello.protocol_version != PROTOCOL_VERSION {
            return Err(Ending::close(
                CloseCode::VersionMismatch,
                format!(
                    "protocol version {} is not supported; this server speaks version {PROTOCOL_VERSION}",
                    hello.protocol_version
                ),
            ));
        }
        let stopped = || Ending::close(CloseCode::GoingAway, "server is shutting down");
        let answer = self.net.sim.join(self.id).map_err(|_| stopped())?;
        let joined = answer.await.map_err(|_| stopped())?;
        self.joined = true;
        let welcome = ServerMessage::Welcome(Welcome {
            session_id: self.id,
            actor_id: joined.actor_id,
            tick: joined.tick,
            settings: joined.settings,
            arena_size: joined.arena_size,
        });
        self.send(welcome.encode()).await?;
        info!(actor_id = joined.actor_id, "session joined");
        Ok(joined)
    }

    /// The session's main loop: inputs in, snapshots and pings out.
    async fn serve(&mut self, joined: Joined) -> Ending {
        let mut frames = self.net.frames.clone();
        frames.mark_changed(); // Send the newest frame right away.
        let mut pings = interval(self.net.config.ping_interval);
        pings.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut ping = PingState::default();
        let mut dropped_inputs: u64 = 0;
        debug!(actor_id = joined.actor_id, "serving");

        loop {
            tokio::select! {
                message = next_message(&mut self.stream) => match message {
                    Ok(ClientMessage::Input(input)) => match self.net.sim.input(self.id, input) {
                        Ok(()) => {}
                        Err(SendRefused::Full) => {
                            dropped_inputs += 1;
                            debug!(dropped_inputs, "input queue full; input dropped");
                        }
                        Err(SendRefused::Stopped) => {
                            return Ending::close(CloseCode::GoingAway, "server is shutting down");
                        }
                    },
                    Ok(ClientMessage::Pong(pong)) => ping.answered(pong.nonce),
                    Ok(ClientMessage::Hello(_)) => {
                        return Ending::close(CloseCode::ProtocolError, "Hello sent twice");
                    }
                    Err(ending) => return ending,
                },
                changed = frames.changed() => {
                    if changed.is_err() {
                        return Ending::close(CloseCode::GoingAway, "server is shutting down");
                    }
                    let frame = Arc::clone(&frames.borrow_and_update());
                    if frame.tick() <= joined.tick {
                        continue; // Built before this session's actor existed.
                    }
                    if let Err(ending) = self.send(frame.snapshot_message()).await {
                        return ending;
                    }
                }
                _ = pings.tick() => {
                    let message = ServerMessage::Ping(ping.next());
                    if let Err(ending) = self.send(message.encode()).await {
                        return ending;
                    }
                }
            }
        }
    }

    async fn send(&mut self, frame: bytes::Bytes) -> Result<(), Ending> {
        self.sink
            .send(Message::Binary(frame))
            .await
            .map_err(|error| {
                debug!(%error, "send failed");
                Ending::PeerLeft
            })
    }

    /// Sends `Disconnect` and a close frame with the same code and reason, then closes
    /// lingeringly: waits for the peer's close reply, half-closes, and discards whatever
    /// the peer still sends until it closes too. Dropping a socket with unread bytes makes
    /// the kernel send a reset, which can destroy the close frame before the peer reads
    /// it (for example after refusing an oversized frame mid-payload). Bounded by
    /// `close_timeout`.
    async fn close(self, code: CloseCode, reason: String) {
        let Self {
            net,
            mut sink,
            mut stream,
            ..
        } = self;
        let disconnect = ServerMessage::Disconnect(Disconnect {
            code: code.as_u16(),
            reason: reason.clone(),
        });
        let close_frame = CloseFrame {
            code: code.as_u16().into(),
            reason: close_reason(&reason).into(),
        };
        let lingering_close = async {
            let sent = async {
                sink.send(Message::Binary(disconnect.encode())).await?;
                sink.send(Message::Close(Some(close_frame))).await
            };
            if let Err(error) = sent.await {
                debug!(%error, "peer gone before the close was sent");
            }
            while let Some(Ok(_)) = stream.next().await {}
            let Ok(mut socket) = sink.reunite(stream) else {
                return;
            };
            let raw = socket.get_mut();
            let _ = raw.shutdown().await;
            let mut discard = [0u8; 4096];
            while matches!(raw.read(&mut discard).await, Ok(read) if read > 0) {}
        };
        if timeout(net.config.close_timeout, lingering_close)
            .await
            .is_err()
        {
            debug!("peer did not finish the close in time");
        }
    }
}

/// The next client message, skipping WebSocket control frames.
async fn next_message<S>(
    stream: &mut SplitStream<WebSocketStream<S>>,
) -> Result<ClientMessage, Ending>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        match stream.next().await {
            None | Some(Ok(Message::Close(_))) => return Err(Ending::PeerLeft),
            Some(Ok(Message::Binary(frame))) => {
                return ClientMessage::decode(&frame).map_err(|error| {
                    Ending::close(
                        CloseCode::ProtocolError,
                        format!("malformed message: {error}"),
                    )
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
                return Err(Ending::PeerLeft);
            }
            Some(Err(WsError::Protocol(error))) => {
                return Err(Ending::close(
                    CloseCode::ProtocolError,
                    format!("WebSocket protocol error: {error}"),
                ));
            }
            Some(Err(error)) => {
                debug!(%error, "read failed");
                return Err(Ending::PeerLeft);
            }
        }
    }
}

/// A close frame's reason is limited to 123 bytes; cut at a character boundary.
fn close_reason(reason: &str) -> String {
    const MAX: usize = 123;
    let mut end = reason.len().min(MAX);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_owned()
}

/// Round-trip measurement: one ping in flight at a time.
#[derive(Debug, Default)]
struct PingState {
    nonce: u32,
    sent_at: Option<Instant>,
    rtt_us: u32,
}

impl PingState {
    /// The next ping to send, carrying the last measured round-trip time.
    fn next(&mut self) -> Ping {
        self.nonce = self.nonce.wrapping_add(1);
        self.sent_at = Some(Instant::now());
        Ping {
            nonce: self.nonce,
            rtt_us: self.rtt_us,
        }
    }

    /// A pong arrived; only the answer to the newest ping counts.
    fn answered(&mut self, nonce: u32) {
        if nonce == self.nonce
            && let Some(sent_at) = self.sent_at.take()
        {
            self.rtt_us = u32::try_from(sent_at.elapsed().as_micros()).unwrap_or(u32::MAX);
        }
    }
}
