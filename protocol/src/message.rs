//! Owned protocol messages: what the rest of the workspace sends and receives.
//!
//! These mirror the schema but hold validated, plain Rust values (`glam::Vec2`, enums),
//! so no caller ever reads an unverified buffer or a NaN that slipped through.

use glam::Vec2;

use crate::settings::Settings;
use crate::state::ActorRow;

/// A message from a client to the server.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientMessage {
    /// First message of every connection.
    Hello(Hello),
    /// Movement intent.
    Input(Input),
    /// Answer to a [`Ping`].
    Pong(Pong),
    /// Asks for a full snapshot next.
    FullSnapshotRequest,
    /// Caps this client's snapshot rate (0 lifts the cap).
    SnapshotRateRequest {
        /// Most snapshots per second wanted; 0: no cap.
        max_per_second: u16,
    },
}

/// First message of every connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    /// The protocol version the client speaks.
    pub protocol_version: u16,
    /// Proof of who the player is, when the server requires one.
    pub auth_token: Option<String>,
    /// From an earlier `Welcome`: resume that session's actor if still possible.
    pub resume_token: Option<ResumeToken>,
    /// Ask for a [`ServerMessage::SnapshotTiming`] before every snapshot.
    pub timing: bool,
    /// A seat from the matchmaking API: the room to join, reserved for this client.
    /// `None`: the server's default room.
    pub seat: Option<String>,
    /// The room `resume_token` belongs to ([`Welcome::room`]), for a resume without a seat.
    pub room: Option<String>,
}

impl Hello {
    /// A plain `Hello` for this build's protocol version.
    pub fn new() -> Self {
        Self {
            protocol_version: crate::PROTOCOL_VERSION,
            auth_token: None,
            resume_token: None,
            timing: false,
            seat: None,
            room: None,
        }
    }
}

impl Default for Hello {
    fn default() -> Self {
        Self::new()
    }
}

/// A secret that lets a client resume its session after a dropped connection.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResumeToken(pub [u8; 16]);

impl std::fmt::Debug for ResumeToken {
    /// Never prints the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResumeToken(..)")
    }
}

/// The player's movement intent for the coming ticks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Input {
    /// Increases by one per input; older sequence numbers are stale.
    pub sequence: u32,
    /// Desired direction; finite (decode rejects NaN and infinities), length not yet clamped.
    pub direction: Vec2,
    /// The tick of the newest snapshot the client has applied (0: none yet).
    pub ack_tick: u32,
}

/// Answer to a [`Ping`], echoing its nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pong {
    /// The nonce of the ping being answered.
    pub nonce: u32,
}

/// A message from the server to a client.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerMessage {
    /// Answer to a valid `Hello`.
    Welcome(Welcome),
    /// World state.
    Snapshot(Snapshot),
    /// New settings, effective from now on.
    Settings(Settings),
    /// Heartbeat.
    Ping(Ping),
    /// The reason the server is about to close the connection.
    Disconnect(Disconnect),
    /// This client's effective snapshot interval.
    SnapshotRate(SnapshotRate),
    /// The newest of this client's inputs applied by `tick`, sent before that tick's
    /// snapshot when it changed.
    InputAck {
        /// The input's sequence number.
        sequence: u32,
        /// The tick of the snapshot it precedes.
        tick: u32,
    },
    /// When the snapshot of `tick` left the simulation; sent right before it to clients
    /// that asked with [`Hello::timing`].
    SnapshotTiming {
        /// The tick of the snapshot it precedes.
        tick: u32,
        /// Server wall clock at publication, microseconds since the Unix epoch.
        published_unix_us: u64,
    },
    /// Gameplay events up to `tick`, sent before that tick's snapshot.
    GameEvents {
        /// The tick of the snapshot they precede.
        tick: u32,
        /// The events, in order.
        events: Vec<GameEvent>,
    },
}

/// A one-off gameplay happening, such as "actor 12 tagged actor 7".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct GameEvent {
    /// Index into `Welcome::event_names`.
    pub kind: u16,
    /// The actor it is about (0: none).
    pub actor: u32,
    /// A second actor it involves (0: none).
    pub other: u32,
    /// A number that goes with it.
    pub value: i32,
}

/// A client's effective snapshot interval and why it differs from the broadcast rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotRate {
    /// A snapshot every N ticks.
    pub every_ticks: u16,
    /// Why, if it differs from `Settings::broadcast_every`.
    pub reason: ThrottleReason,
}

/// Why a client gets fewer snapshots than the broadcast rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ThrottleReason {
    /// It does not.
    None,
    /// Its connection fell behind.
    Congested,
    /// It asked for a cap.
    ClientCap,
}

/// Answer to a valid `Hello`: who the client is and how the server runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Welcome {
    /// Names of the game's replicated per-actor fields, by slot (at most
    /// [`crate::state::FIELD_SLOTS`]).
    pub field_names: Vec<String>,
    /// Names of the game's event kinds, by kind.
    pub event_names: Vec<String>,
    /// Lets this client resume this session after a dropped connection.
    pub resume_token: ResumeToken,
    /// Whether this session resumed an earlier one (same actor).
    pub resumed: bool,
    /// This connection's session id.
    pub session_id: u64,
    /// Network id of the actor this client controls.
    pub actor_id: u32,
    /// Server tick when the session joined; every snapshot after it holds the own actor.
    pub tick: u32,
    /// The settings in force.
    pub settings: Settings,
    /// Arena size in world units; the arena spans `[0, x] x [0, y]`.
    pub arena_size: Vec2,
    /// The id of the room this session plays in.
    pub room: String,
    /// The room's type, as the game defined it.
    pub room_name: String,
    /// The longest the server goes without sending anything, in milliseconds (0: not
    /// said): a `Ping` comes at least this often.
    pub quiet_interval_ms: u32,
}

/// The world as of `tick`: in full, or as the changes since a snapshot the client holds.
/// Built by [`Snapshot::diff`], applied by [`crate::WorldState::apply`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// The tick this state is from.
    pub tick: u32,
    /// `None`: a full snapshot. Otherwise the tick of the state this delta applies to.
    pub baseline_tick: Option<u32>,
    /// Quantisation of every position and velocity here.
    pub steps_per_unit: u16,
    /// Actors new since the baseline (every actor, in a full snapshot), by ascending id.
    pub spawned: Vec<ActorRow>,
    /// Actors that moved a short way, by ascending id.
    pub moved: Vec<Moved>,
    /// Actors that moved further than a short step, by ascending id.
    pub jumped: Vec<Jumped>,
    /// Actors whose velocity changed, by ascending id.
    pub turned: Vec<Turned>,
    /// Actors gone since the baseline, ascending.
    pub despawned: Vec<u32>,
    /// Actors whose gameplay fields changed, by ascending id.
    pub refielded: Vec<Refielded>,
}

/// An actor's gameplay fields changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refielded {
    /// Network id.
    pub id: u32,
    /// Which slots changed (bit i: slot i).
    pub mask: u8,
    /// The actor's fields; only the slots in `mask` are sent.
    pub fields: [i32; crate::state::FIELD_SLOTS],
}

/// An actor moved by at most one signed byte of steps on each axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    /// Network id.
    pub id: u32,
    /// Steps moved along x.
    pub dx: i8,
    /// Steps moved along y.
    pub dy: i8,
}

/// An actor moved further: its new position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Jumped {
    /// Network id.
    pub id: u32,
    /// New position in steps.
    pub x: i32,
    /// New position in steps.
    pub y: i32,
}

/// An actor's velocity changed: its new velocity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Turned {
    /// Network id.
    pub id: u32,
    /// New velocity in steps per second.
    pub vx: i16,
    /// New velocity in steps per second.
    pub vy: i16,
}

/// What an actor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorKind {
    /// Driven by the server's gameplay systems.
    Npc,
    /// Driven by a connected (or recently dropped) player.
    Player,
}

/// Heartbeat from the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ping {
    /// Echoed by the client's [`Pong`].
    pub nonce: u32,
    /// The last round-trip time the server measured for this session, in microseconds.
    pub rtt_us: u32,
}

/// Why the server is closing the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disconnect {
    /// The close code; the WebSocket close frame carries the same.
    pub code: u16,
    /// A human-readable reason.
    pub reason: String,
}
