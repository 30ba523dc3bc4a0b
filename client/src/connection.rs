//! [`Client`]: one connection to a Tickwire server, driven by a background task.

use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use glam::Vec2;
use thiserror::Error;
use tickwire_protocol::{
    ApplyError, ClientMessage, DecodeError, Disconnect, Hello, Input, PROTOCOL_VERSION, Pong,
    ServerMessage, Settings, Snapshot, SnapshotRate, Welcome, WorldState,
};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async_with_config};
use tracing::warn;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long [`Client::connect`] waits for the server's `Welcome`.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// Events decoded but not yet taken by [`Client::next_event`]; when full, the client stops
/// reading its socket.
const EVENT_QUEUE: usize = 64;

/// What the server told this client.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A snapshot was applied: [`Client::world`] now holds the state as of `tick`.
    Snapshot {
        /// The tick the world is now at.
        tick: u32,
        /// Whether it was a full snapshot rather than a delta.
        full: bool,
        /// Size of the snapshot message in bytes.
        bytes: usize,
    },
    /// A snapshot did not fit the mirror (which is left as it was); a full snapshot has
    /// been requested.
    Desync(ApplyError),
    /// New settings, effective now.
    Settings(Settings),
    /// This client's effective snapshot interval changed (throttling or a cap).
    SnapshotRate(SnapshotRate),
    /// The server measured this round-trip time (reported with each ping).
    RoundTrip(Duration),
    /// The connection ended; the last event.
    Closed {
        /// The close code, if the server sent one.
        code: Option<u16>,
        /// The server's reason (from its `Disconnect` or close frame), or what went wrong.
        reason: String,
    },
}

/// What the socket task hands over; snapshots are applied to the mirror only when the
/// caller takes them, so the mirror always matches the events seen.
#[derive(Debug)]
enum Incoming {
    Snapshot(Snapshot, usize),
    Event(Event),
}

/// Why connecting or sending failed.
#[derive(Debug, Error)]
pub enum ClientError {
    /// The WebSocket could not be opened or failed.
    #[error("WebSocket error: {0}")]
    WebSocket(#[from] tokio_tungstenite::tungstenite::Error),
    /// The server sent a frame that failed verification.
    #[error("malformed server message: {0}")]
    Decode(#[from] DecodeError),
    /// The server refused the session.
    #[error("server refused the session ({code}): {reason}")]
    Refused {
        /// The close code.
        code: u16,
        /// The server's reason.
        reason: String,
    },
    /// The server sent something other than `Welcome` first.
    #[error("expected Welcome, got {0}")]
    UnexpectedMessage(String),
    /// No `Welcome` in time.
    #[error("no Welcome within {0:?}")]
    HandshakeTimeout(Duration),
    /// The connection is closed.
    #[error("connection closed")]
    Closed,
}

/// A connected, welcomed client.
#[derive(Debug)]
pub struct Client {
    welcome: Welcome,
    outgoing: mpsc::UnboundedSender<Bytes>,
    incoming: mpsc::Receiver<Incoming>,
    next_sequence: u32,
    world: WorldState,
    /// A full snapshot was requested after a desync; deltas until then are skipped.
    awaiting_full: bool,
}

impl Client {
    /// Connects to `url` (`ws://host:port/ws`), sends `Hello` and waits for `Welcome`.
    ///
    /// # Errors
    /// [`ClientError`] if the connection fails, the server refuses the session, or no
    /// `Welcome` arrives within five seconds.
    pub async fn connect(url: &str) -> Result<Self, ClientError> {
        // Inputs are tiny and latency-bound: no Nagle delay.
        let (socket, _response) = connect_async_with_config(url, None, true).await?;
        let (mut sink, mut stream) = socket.split();
        let hello = ClientMessage::Hello(Hello { protocol_version: PROTOCOL_VERSION });
        sink.send(Message::Binary(hello.encode())).await?;
        let welcome = timeout(HANDSHAKE_TIMEOUT, read_welcome(&mut stream))
            .await
            .map_err(|_| ClientError::HandshakeTimeout(HANDSHAKE_TIMEOUT))??;

        let (outgoing, outgoing_rx) = mpsc::unbounded_channel();
        let (incoming_tx, incoming) = mpsc::channel(EVENT_QUEUE);
        tokio::spawn(drive(sink, stream, outgoing_rx, incoming_tx));
        Ok(Self {
            welcome,
            outgoing,
            incoming,
            next_sequence: 1,
            world: WorldState::default(),
            awaiting_full: false,
        })
    }

    /// The server's `Welcome`: session id, own actor, settings, arena.
    pub fn welcome(&self) -> &Welcome {
        &self.welcome
    }

    /// The mirror of the world, as of the last [`Event::Snapshot`] taken.
    pub fn world(&self) -> &WorldState {
        &self.world
    }

    /// Sends a move direction (clamped to length 1 by the server), acknowledging the
    /// mirror's tick. Returns the input's sequence number.
    ///
    /// # Errors
    /// [`ClientError::Closed`] if the connection has ended.
    pub fn send_input(&mut self, direction: Vec2) -> Result<u32, ClientError> {
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        let input = Input { sequence, direction, ack_tick: self.world.tick };
        self.send(ClientMessage::Input(input).encode())?;
        Ok(sequence)
    }

    /// Caps this client's snapshot rate (0 lifts the cap); the server answers with
    /// [`Event::SnapshotRate`].
    ///
    /// # Errors
    /// [`ClientError::Closed`] if the connection has ended.
    pub fn request_snapshot_rate(&self, max_per_second: u16) -> Result<(), ClientError> {
        self.send(ClientMessage::SnapshotRateRequest { max_per_second }.encode())
    }

    /// Sends raw bytes as one binary frame, as they are. For tests of hostile input.
    ///
    /// # Errors
    /// [`ClientError::Closed`] if the connection has ended.
    pub fn send(&self, frame: Bytes) -> Result<(), ClientError> {
        self.outgoing.send(frame).map_err(|_| ClientError::Closed)
    }

    /// The next event; `None` after [`Event::Closed`] has been returned. Snapshots are
    /// applied to [`Client::world`] as they are returned.
    pub async fn next_event(&mut self) -> Option<Event> {
        loop {
            match self.incoming.recv().await? {
                Incoming::Event(event) => return Some(event),
                Incoming::Snapshot(snapshot, bytes) => {
                    let full = snapshot.baseline_tick.is_none();
                    if self.awaiting_full && !full {
                        continue;
                    }
                    return Some(match self.world.apply(&snapshot) {
                        Ok(()) => {
                            self.awaiting_full = false;
                            Event::Snapshot { tick: snapshot.tick, full, bytes }
                        }
                        Err(error) => {
                            warn!(%error, "snapshot does not fit the mirror; requesting a full snapshot");
                            self.awaiting_full = true;
                            // If the connection is gone, the Closed event follows.
                            let _ = self.send(ClientMessage::FullSnapshotRequest.encode());
                            Event::Desync(error)
                        }
                    });
                }
            }
        }
    }
}

async fn read_welcome(stream: &mut SplitStream<Socket>) -> Result<Welcome, ClientError> {
    let mut disconnect: Option<Disconnect> = None;
    loop {
        match stream.next().await {
            Some(Ok(Message::Binary(frame))) => match ServerMessage::decode(&frame)? {
                ServerMessage::Welcome(welcome) => return Ok(welcome),
                ServerMessage::Disconnect(reason) => disconnect = Some(reason),
                other => return Err(ClientError::UnexpectedMessage(format!("{other:?}"))),
            },
            Some(Ok(Message::Close(frame))) => {
                let (code, reason) = match (disconnect, frame) {
                    (Some(disconnect), _) => (disconnect.code, disconnect.reason),
                    (None, Some(frame)) => (u16::from(frame.code), frame.reason.to_string()),
                    (None, None) => (1005, String::new()),
                };
                return Err(ClientError::Refused { code, reason });
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => return Err(error.into()),
            None => return Err(ClientError::Closed),
        }
    }
}

/// Owns the socket: sends what the caller queues, answers pings, decodes frames into events.
async fn drive(
    mut sink: SplitSink<Socket, Message>,
    mut stream: SplitStream<Socket>,
    mut outgoing: mpsc::UnboundedReceiver<Bytes>,
    events: mpsc::Sender<Incoming>,
) {
    let mut disconnect: Option<Disconnect> = None;
    let closed = loop {
        tokio::select! {
            frame = outgoing.recv() => match frame {
                Some(frame) => {
                    if let Err(error) = sink.send(Message::Binary(frame)).await {
                        break Event::Closed { code: None, reason: error.to_string() };
                    }
                }
                None => {
                    // The caller dropped the client: close politely.
                    let close = CloseFrame { code: WsCloseCode::Normal, reason: "client closed".into() };
                    let _ = sink.send(Message::Close(Some(close))).await;
                    return;
                }
            },
            message = stream.next() => {
                let event = match message {
                    Some(Ok(Message::Binary(frame))) => match ServerMessage::decode(&frame) {
                        Ok(ServerMessage::Snapshot(snapshot)) => Incoming::Snapshot(snapshot, frame.len()),
                        Ok(ServerMessage::Settings(settings)) => Incoming::Event(Event::Settings(settings)),
                        Ok(ServerMessage::SnapshotRate(rate)) => Incoming::Event(Event::SnapshotRate(rate)),
                        Ok(ServerMessage::Ping(ping)) => {
                            let pong = ClientMessage::Pong(Pong { nonce: ping.nonce }).encode();
                            if let Err(error) = sink.send(Message::Binary(pong)).await {
                                break Event::Closed { code: None, reason: error.to_string() };
                            }
                            Incoming::Event(Event::RoundTrip(Duration::from_micros(u64::from(ping.rtt_us))))
                        }
                        Ok(ServerMessage::Disconnect(reason)) => {
                            disconnect = Some(reason);
                            continue;
                        }
                        Ok(ServerMessage::Welcome(_)) => {
                            break Event::Closed { code: None, reason: "server sent Welcome twice".into() };
                        }
                        Err(error) => {
                            break Event::Closed { code: None, reason: format!("malformed server message: {error}") };
                        }
                    },
                    Some(Ok(Message::Close(frame))) => {
                        break match (disconnect.take(), frame) {
                            (Some(disconnect), _) => Event::Closed { code: Some(disconnect.code), reason: disconnect.reason },
                            (None, Some(frame)) => Event::Closed {
                                code: Some(u16::from(frame.code)),
                                reason: frame.reason.to_string(),
                            },
                            (None, None) => Event::Closed { code: None, reason: String::new() },
                        };
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(error)) => break Event::Closed { code: None, reason: error.to_string() },
                    None => break Event::Closed { code: None, reason: "connection lost".into() },
                };
                if events.send(event).await.is_err() {
                    return; // The caller dropped the client.
                }
            }
        }
    };
    let _ = events.send(Incoming::Event(closed)).await;
}
