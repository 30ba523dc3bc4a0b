//! World-wide resources: the clock, the settings in force, the arena, randomness, ids.

use std::collections::HashMap;

use bevy_ecs::entity::Entity;
use bevy_ecs::resource::Resource;
use glam::Vec2;
use tickwire_protocol::Settings;

use crate::command::SessionId;

/// The number of the tick being simulated (the first step simulates tick 1).
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tick(pub u32);

/// The settings in force; changes land between ticks.
#[derive(Resource, Debug, Clone, Copy, PartialEq)]
pub struct ActiveSettings(pub Settings);

/// The bounded arena: actors live in `[0, size.x] x [0, size.y]`.
#[derive(Resource, Debug, Clone, Copy, PartialEq)]
pub struct Arena {
    /// Width and height in world units.
    pub size: Vec2,
}

impl Arena {
    /// Clamps a position into the arena.
    pub fn clamp(&self, position: Vec2) -> Vec2 {
        position.clamp(Vec2::ZERO, self.size)
    }
}

/// The world's only source of randomness, seeded from the config so that the same seed
/// and the same inputs give the same world.
#[derive(Resource, Debug, Clone)]
pub struct SimRng(pub fastrand::Rng);

/// Hands out network ids. Ids are never reused, so a client can never confuse a new
/// actor with an old one it still holds.
#[derive(Resource, Debug, Default)]
pub struct NetIds {
    next: u32,
}

impl NetIds {
    /// The next unused id (ids start at 1; 0 means "none" on the wire).
    pub fn allocate(&mut self) -> u32 {
        // Four billion joins wrap around to 1: far beyond any baseline a client holds.
        self.next = self.next.checked_add(1).unwrap_or(1);
        self.next
    }
}

/// Which entity each connected session controls.
#[derive(Resource, Debug, Default)]
pub struct SessionActors(pub HashMap<SessionId, Entity>);
