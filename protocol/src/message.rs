//! Owned protocol messages: what the rest of the workspace sends and receives.
//!
//! These mirror the schema but hold validated, plain Rust values (`glam::Vec2`, enums),
//! so no caller ever reads an unverified buffer or a NaN that slipped through.

use glam::Vec2;
use thiserror::Error;

use crate::state::ActorRow;

/// Rates and tuning the server drives and pushes to every client.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Simulation ticks per second.
    pub tick_rate_hz: u16,
    /// A snapshot is sent every N ticks.
    pub broadcast_every: u16,
    /// Clients send an input every N ticks.
    pub input_every: u16,
    /// Actor speed in world units per second; the same distance per second at any tick rate.
    pub movement_speed: f32,
    /// Client render smoothing factor in `[0, 1)`: 0 snaps to the newest position.
    pub smoothing: f32,
    /// How far behind the newest snapshot clients render other actors, in milliseconds.
    pub interpolation_delay_ms: u16,
    /// Position quantisation: positions travel as whole steps of `1 / N` world units.
    pub position_steps_per_unit: u16,
}

impl Default for Settings {
    /// 30 Hz simulation, 15 snapshots per second: the common choice for action games
    /// on the open internet, with a 100 ms interpolation delay covering 1.5 snapshot gaps.
    fn default() -> Self {
        Self {
            tick_rate_hz: 30,
            broadcast_every: 2,
            input_every: 2,
            movement_speed: 120.0,
            smoothing: 0.0,
            interpolation_delay_ms: 100,
            // 1/8 unit: sub-pixel at any sane zoom, and a step of up to 15 units per
            // snapshot (120 units/s at 15 snapshots/s is 8) still fits one signed byte.
            position_steps_per_unit: 8,
        }
    }
}

/// A setting outside the range the server can run with.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("invalid setting `{setting}`: {reason}")]
pub struct SettingsError {
    /// The name of the offending setting, as in the config file and flags.
    pub setting: &'static str,
    /// What is wrong with its value.
    pub reason: String,
}

impl Settings {
    /// Highest tick rate accepted; above it a tick's budget is below a millisecond.
    pub const MAX_TICK_RATE_HZ: u16 = 1000;
    /// Finest quantisation accepted; finer steps only cost bytes.
    pub const MAX_STEPS_PER_UNIT: u16 = 1024;

    /// Checks every field.
    ///
    /// # Errors
    /// The first setting that is out of range, named as in the config and flags.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let fail = |setting, reason: String| Err(SettingsError { setting, reason });
        if !(1..=Self::MAX_TICK_RATE_HZ).contains(&self.tick_rate_hz) {
            return fail(
                "tick_rate_hz",
                format!("{} is not in 1..={}", self.tick_rate_hz, Self::MAX_TICK_RATE_HZ),
            );
        }
        if self.broadcast_every == 0 {
            return fail("broadcast_every", "must be at least 1".into());
        }
        if self.input_every == 0 {
            return fail("input_every", "must be at least 1".into());
        }
        if !(self.movement_speed.is_finite() && self.movement_speed >= 0.0) {
            return fail(
                "movement_speed",
                format!("{} is not a finite, non-negative speed", self.movement_speed),
            );
        }
        if !(0.0..1.0).contains(&self.smoothing) {
            return fail("smoothing", format!("{} is not in [0, 1)", self.smoothing));
        }
        if !(1..=Self::MAX_STEPS_PER_UNIT).contains(&self.position_steps_per_unit) {
            return fail(
                "position_steps_per_unit",
                format!(
                    "{} is not in 1..={}",
                    self.position_steps_per_unit,
                    Self::MAX_STEPS_PER_UNIT
                ),
            );
        }
        Ok(())
    }

    /// Length of one tick in seconds.
    pub fn tick_seconds(&self) -> f32 {
        1.0 / f32::from(self.tick_rate_hz.max(1))
    }
}

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
}

/// First message of every connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hello {
    /// The protocol version the client speaks.
    pub protocol_version: u16,
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
}

/// Answer to a valid `Hello`: who the client is and how the server runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Welcome {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_settings_are_valid() {
        assert_eq!(Settings::default().validate(), Ok(()));
    }

    #[test]
    fn invalid_settings_name_the_setting() {
        let cases: [(Settings, &str); 6] = [
            (Settings { tick_rate_hz: 0, ..Default::default() }, "tick_rate_hz"),
            (Settings { broadcast_every: 0, ..Default::default() }, "broadcast_every"),
            (Settings { input_every: 0, ..Default::default() }, "input_every"),
            (Settings { movement_speed: f32::NAN, ..Default::default() }, "movement_speed"),
            (Settings { smoothing: 1.0, ..Default::default() }, "smoothing"),
            (
                Settings { position_steps_per_unit: 0, ..Default::default() },
                "position_steps_per_unit",
            ),
        ];
        for (settings, name) in cases {
            let err = settings.validate().err();
            assert_eq!(err.map(|e| e.setting), Some(name), "{settings:?} should be rejected");
        }
    }
}
