//! [`Client`]: one connection to a Tickwire server, driven by a background task.

use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use glam::Vec2;
use thiserror::Error;
use tickwire_protocol::{
    ClientMessage, DecodeError, Disconnect, Hello, Input, PROTOCOL_VERSION, Pong, ServerMessage,
    Settings, Snapshot, Welcome,
};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long [`Client::connect`] waits for the server's `Welcome`.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// Events decoded but not yet taken by [`Client::next_event`]; when full, the client stops
/// reading its socket.
const EVENT_QUEUE: usize = 64;

/// What the server told this client.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A snapshot of the world.
    Snapshot(Snapshot),
    /// New settings, effective now.
    Settings(Settings),
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
    events: mpsc::Receiver<Event>,
    next_sequence: u32,
}

impl Client {
    /// Connects to `url` (`ws://host:port/ws`), sends `Hello` and waits for `Welcome`.
    ///
    /// # Errors
    /// [`ClientError`] if the connection fails, the server refuses the session, or no
    /// `Welcome` arrives within five seconds.
    pub async fn connect(url: &str) -> Result<Self, ClientError> {
        let (socket, _response) = connect_async(url).await?;
        let (mut sink, mut stream) = socket.split();
        let hello = ClientMessage::Hello(Hello {
            protocol_version: PROTOCOL_VERSION,
        });
        sink.send(Message::Binary(hello.encode())).await?;
        let welcome = timeout(HANDSHAKE_TIMEOUT, read_welcome(&mut stream))
            .await
            .map_err(|_| ClientError::HandshakeTimeout(HANDSHAKE_TIMEOUT))??;

        let (outgoing, outgoing_rx) = mpsc::unbounded_channel();
        let (events_tx, events) = mpsc::channel(EVENT_QUEUE);
        tokio::spawn(drive(sink, stream, outgoing_rx, events_tx));
        Ok(Self {
            welcome,
            outgoing,
            events,
            next_sequence: 1,
        })
    }

    /// The server's `Welcome`: session id, own actor, settings, arena.
    pub fn welcome(&self) -> &Welcome {
        &self.welcome
    }

    /// Sends a move direction (clamped to length 1 by the server). Returns its sequence
    /// number.
    ///
    /// # Errors
    /// [`ClientError::Closed`] if the connection has ended.
    pub fn send_input(&mut self, direction: Vec2) -> Result<u32, ClientError> {
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        self.send(
            ClientMessage::Input(Input {
                sequence,
                direction,
            })
            .encode(),
        )?;
        Ok(sequence)
    }

    /// Sends raw bytes as one binary frame, as they are. For tests of hostile input.
    ///
    /// # Errors
    /// [`ClientError::Closed`] if the connection has ended.
    pub fn send(&self, frame: Bytes) -> Result<(), ClientError> {
        self.outgoing.send(frame).map_err(|_| ClientError::Closed)
    }

    /// The next event; `None` after [`Event::Closed`] has been returned.
    pub async fn next_event(&mut self) -> Option<Event> {
        self.events.recv().await
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
    events: mpsc::Sender<Event>,
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
                        Ok(ServerMessage::Snapshot(snapshot)) => Event::Snapshot(snapshot),
                        Ok(ServerMessage::Settings(settings)) => Event::Settings(settings),
                        Ok(ServerMessage::Ping(ping)) => {
                            let pong = ClientMessage::Pong(Pong { nonce: ping.nonce }).encode();
                            if let Err(error) = sink.send(Message::Binary(pong)).await {
                                break Event::Closed { code: None, reason: error.to_string() };
                            }
                            Event::RoundTrip(Duration::from_micros(u64::from(ping.rtt_us)))
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
    let _ = events.send(closed).await;
}
