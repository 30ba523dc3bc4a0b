//! Components of an actor: what gameplay systems read and write.

use bevy_ecs::component::Component;
use glam::Vec2;
use tickwire_protocol::ActorKind;

use crate::command::SessionId;

/// The actor's network id: small, dense, chosen by the sim (never `Entity` bits).
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NetId(pub u32);

/// Position in world units.
#[derive(Component, Debug, Clone, Copy, PartialEq, Default)]
pub struct Position(pub Vec2);

/// Velocity in world units per second.
#[derive(Component, Debug, Clone, Copy, PartialEq, Default)]
pub struct Velocity(pub Vec2);

/// What the actor is; replicated so clients can draw kinds differently.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind(pub ActorKind);

/// An actor driven by a player's inputs.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct Player {
    /// The session controlling it.
    pub session: SessionId,
    /// The newest input direction (length at most 1).
    pub direction: Vec2,
    /// Sequence number of the newest input applied; older ones are stale.
    pub last_sequence: u32,
    /// Set while the player's connection is down: the tick after which the actor is
    /// removed unless the player resumes.
    pub detached_until: Option<u32>,
}

/// An NPC that picks a new random heading now and then.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wander {
    /// The tick at which it turns next.
    pub next_turn_tick: u32,
}
