//! [`Client`]: one player's connection to a Tickwire server, with its world mirror.

use std::time::Duration;

use bytes::Bytes;
use glam::Vec2;
use thiserror::Error;
use tickwire_protocol::{
    ApplyError, ClientMessage, DecodeError, GameEvent, Hello, Input, Settings, Snapshot,
    SnapshotRate, Welcome, WorldState,
};
use tokio::sync::mpsc;
use tracing::warn;

use crate::driver;
use crate::matchmaker::{MatchError, MatchRequest, Matchmaker, Seat};
use crate::seating::Seating;

/// Events decoded but not yet taken by [`Client::next_event`]; when full, the client stops
/// reading its socket.
const EVENT_QUEUE: usize = 64;

/// What the server told this client, or what happened to the connection.
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
    /// The server had applied this client's inputs up to `sequence` by `tick` (the next
    /// snapshot's tick): what a predicting client reconciles against.
    InputAck {
        /// The newest input applied.
        sequence: u32,
        /// The tick of the snapshot it precedes.
        tick: u32,
    },
    /// When the snapshot of `tick` (next to arrive) left the server's simulation, in
    /// microseconds since the Unix epoch; only with [`ClientBuilder::timing`].
    SnapshotTiming {
        /// The tick of the snapshot it precedes.
        tick: u32,
        /// The server's wall clock at publication.
        published_unix_us: u64,
    },
    /// Gameplay events up to `tick` (kinds named in [`Client::welcome`]'s `event_names`),
    /// before that tick's snapshot.
    Game {
        /// The tick of the snapshot they precede.
        tick: u32,
        /// The events, in order.
        events: Vec<GameEvent>,
    },
    /// The server measured this round-trip time (reported with each ping).
    RoundTrip(Duration),
    /// The connection was lost, or closed with a code that is retried
    /// ([`tickwire_protocol::CLOSE_CODES`]); the client is reconnecting (with backoff) to
    /// resume.
    Reconnecting {
        /// The close code, if the server sent one.
        code: Option<u16>,
        /// Why the connection ended.
        reason: String,
    },
    /// The client reconnected. With `resumed` it kept its actor; otherwise it has a new
    /// one ([`Client::welcome`] says which): the server had forgotten the session, or
    /// refused the resume into the room (4005) and the client joined the room again with
    /// a new seat from the matchmaker, or (a client that matchmade) its room or server was
    /// gone and the matchmaker placed it in another room. A full snapshot follows.
    Reconnected {
        /// Whether the session, and so the actor, carried on.
        resumed: bool,
    },
    /// The connection ended for good (a code retrying cannot help, or too many failed
    /// attempts); the last event.
    Closed {
        /// The close code, if the server sent one.
        code: Option<u16>,
        /// The server's reason (from its `Disconnect` or close frame), or what went wrong.
        reason: String,
    },
}

/// What the socket task hands over. Snapshots are applied to the mirror only when the
/// caller takes them, so the mirror always matches the events seen.
#[derive(Debug)]
pub(crate) enum Incoming {
    Snapshot(Snapshot, usize),
    Reconnected(Welcome),
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
    /// The matchmaker could not give a seat.
    #[error("matchmaking: {0}")]
    Matchmaking(#[from] MatchError),
    /// The connection is closed.
    #[error("connection closed")]
    Closed,
}

/// How a client connects and reconnects (where to is [`Seating`]'s job).
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) auth_token: Option<String>,
    pub(crate) timing: bool,
    pub(crate) reconnect: bool,
    pub(crate) first_retry: Duration,
    pub(crate) max_retry: Duration,
    pub(crate) max_attempts: u32,
}

impl Options {
    /// A `Hello` with this client's auth token and timing choice.
    pub(crate) fn hello(&self) -> Hello {
        Hello { auth_token: self.auth_token.clone(), timing: self.timing, ..Hello::new() }
    }
}

/// How the first connection finds its room.
#[derive(Debug, Clone)]
enum Entry {
    /// The server's default room, at this URL; no matchmaking.
    DefaultRoom(String),
    /// A seat already reserved.
    Seat(Seat),
    /// A seat to ask this matchmaker for when connecting.
    Matchmake(Matchmaker, MatchRequest),
}

/// Builds a [`Client`]. The defaults suit a player: reconnect on a lost connection with
/// backoff from 100 ms up to 5 s, for up to 20 attempts, resuming the session.
///
/// A client plays in one room. [`ClientBuilder::new`] joins the server's default room;
/// [`ClientBuilder::seat`] and [`ClientBuilder::matchmake`] join the room of a seat from
/// the server's [`Matchmaker`]. Reconnects resume the session in its room; if the server
/// refuses that resume (close code 4005, the room no longer holds the session), the
/// client asks the matchmaker once for a new seat in the same room and comes back as a
/// new player ([`Event::Reconnected`] with `resumed: false`); if that fails too, it ends
/// with [`Event::Closed`].
///
/// # Example
/// ```no_run
/// # async fn demo() -> Result<(), tickwire_client::ClientError> {
/// use tickwire_client::{ClientBuilder, MatchRequest, Matchmaker};
///
/// let matchmaker = Matchmaker::new("http://127.0.0.1:8080")?;
/// let request = MatchRequest::new("default").label("mode", "ffa");
/// let client = ClientBuilder::matchmake(matchmaker, request).connect().await?;
/// println!("playing in room {}", client.welcome().room);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    entry: Entry,
    options: Options,
}

impl ClientBuilder {
    /// A client for the default room of the server at `url` (`ws://host:port/ws`).
    pub fn new(url: impl Into<String>) -> Self {
        Self::entering(Entry::DefaultRoom(url.into()))
    }

    /// A client redeeming `seat`: it connects to the seat's URL and joins its room. A
    /// refused resume asks the matchmaker on the seat URL's host and port for a new seat.
    pub fn seat(seat: Seat) -> Self {
        Self::entering(Entry::Seat(seat))
    }

    /// A client that asks `matchmaker` to join or create a room as `request` describes
    /// ([`Matchmaker::join_or_create`]) when it connects, then redeems the seat.
    pub fn matchmake(matchmaker: Matchmaker, request: MatchRequest) -> Self {
        Self::entering(Entry::Matchmake(matchmaker, request))
    }

    fn entering(entry: Entry) -> Self {
        Self {
            entry,
            options: Options {
                auth_token: None,
                timing: false,
                reconnect: true,
                first_retry: Duration::from_millis(100),
                max_retry: Duration::from_secs(5),
                max_attempts: 20,
            },
        }
    }

    /// Sends `token` in every `Hello`, for servers that authenticate players.
    pub fn auth_token(mut self, token: impl Into<String>) -> Self {
        self.options.auth_token = Some(token.into());
        self
    }

    /// Asks the server to stamp every snapshot with its publication time
    /// ([`Event::SnapshotTiming`]), to measure delivery latency (default: no).
    pub fn timing(mut self, timing: bool) -> Self {
        self.options.timing = timing;
        self
    }

    /// Whether to reconnect and resume after a lost connection (default: yes).
    pub fn reconnect(mut self, reconnect: bool) -> Self {
        self.options.reconnect = reconnect;
        self
    }

    /// Backoff bounds between reconnection attempts, and how many attempts to make.
    pub fn retry(mut self, first: Duration, max: Duration, attempts: u32) -> Self {
        (self.options.first_retry, self.options.max_retry, self.options.max_attempts) =
            (first, max, attempts);
        self
    }

    /// Gets a seat if matchmaking, connects, sends `Hello` and waits for `Welcome`.
    ///
    /// # Errors
    /// [`ClientError`] if matchmaking or the connection fails, the server refuses the
    /// session, or no `Welcome` arrives within five seconds.
    pub async fn connect(self) -> Result<Client, ClientError> {
        let mut seating = match self.entry {
            Entry::DefaultRoom(url) => Seating::default_room(url),
            Entry::Seat(seat) => {
                let matchmaker = Matchmaker::new(&seat.url).ok();
                Seating::seated(seat, matchmaker)
            }
            Entry::Matchmake(matchmaker, request) => {
                let seat = matchmaker.join_or_create(&request).await?;
                Seating::matched(seat, matchmaker, request)
            }
        };
        let hello = seating.hello(self.options.hello());
        let (sink, stream, welcome) = driver::handshake(seating.url(), hello).await?;
        seating.welcomed(&welcome);
        let (outgoing, outgoing_rx) = mpsc::unbounded_channel();
        let (incoming_tx, incoming) = mpsc::channel(EVENT_QUEUE);
        tokio::spawn(driver::drive(
            self.options,
            seating,
            welcome.session_id,
            (sink, stream),
            outgoing_rx,
            incoming_tx,
        ));
        Ok(Client {
            welcome,
            outgoing,
            incoming,
            next_sequence: 1,
            world: WorldState::default(),
            awaiting_full: false,
        })
    }
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
    /// Connects to the default room of the server at `url` with the default
    /// [`ClientBuilder`] settings.
    ///
    /// # Errors
    /// As [`ClientBuilder::connect`].
    pub async fn connect(url: &str) -> Result<Self, ClientError> {
        ClientBuilder::new(url).connect().await
    }

    /// The server's latest `Welcome`: session id, own actor, settings, arena, room.
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
    /// [`ClientError::Closed`] if the connection has ended for good.
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
    /// [`ClientError::Closed`] if the connection has ended for good.
    pub fn request_snapshot_rate(&self, max_per_second: u16) -> Result<(), ClientError> {
        self.send(ClientMessage::SnapshotRateRequest { max_per_second }.encode())
    }

    /// Sends raw bytes as one binary frame, as they are. For tests of hostile input.
    ///
    /// # Errors
    /// [`ClientError::Closed`] if the connection has ended for good.
    pub fn send(&self, frame: Bytes) -> Result<(), ClientError> {
        self.outgoing.send(frame).map_err(|_| ClientError::Closed)
    }

    /// The next event; `None` after [`Event::Closed`] has been returned. Snapshots are
    /// applied to [`Client::world`] as they are returned.
    pub async fn next_event(&mut self) -> Option<Event> {
        loop {
            match self.incoming.recv().await? {
                Incoming::Event(event) => return Some(event),
                Incoming::Reconnected(welcome) => {
                    let resumed = welcome.resumed;
                    self.welcome = welcome;
                    // A full snapshot follows; nothing from before carries over.
                    self.world = WorldState::default();
                    self.awaiting_full = false;
                    return Some(Event::Reconnected { resumed });
                }
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
