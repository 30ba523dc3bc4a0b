//! World-wide resources: the clock, the settings in force, the arena, randomness, ids.
//!
//! Each resource type costs every world that holds it room for 64 values of its size
//! (bevy_ecs 0.20 keeps a resource as a sparse-set component whose storage starts at 64
//! slots, plus change ticks and an entity per slot), so resources here stay few and
//! small: what only the sim reads lives in [`crate::Simulation`] instead, and a resource
//! with more than a pointer's worth of state keeps it behind one.

use std::collections::{HashMap, VecDeque};

use bevy_ecs::entity::Entity;
use bevy_ecs::resource::Resource;
use glam::Vec2;
use serde_json::Value;
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

/// Hands out network ids: small and dense, so id lists cost a byte per id on the wire.
///
/// A freed id is quarantined until `quarantine_frames` more frames have been built: by
/// then every frame that still held it has left the history a client's baseline may come
/// from, so no client can mistake a new actor for an old one.
#[derive(Resource, Debug)]
pub struct NetIds(Box<IdBook>);

/// [`NetIds`]' state, behind a pointer (see the module's note on resource sizes).
#[derive(Debug)]
struct IdBook {
    next: u32,
    /// Freed ids with the frame count at which they were freed, oldest first.
    freed: VecDeque<(u32, u64)>,
    quarantine_frames: u64,
    frames_built: u64,
}

impl NetIds {
    /// An allocator whose freed ids wait `quarantine_frames` frames before reuse.
    pub fn new(quarantine_frames: u64) -> Self {
        Self(Box::new(IdBook {
            next: 0,
            freed: VecDeque::new(),
            quarantine_frames,
            frames_built: 0,
        }))
    }

    /// A free id: the longest-freed one whose quarantine is over, or a new one.
    pub fn allocate(&mut self) -> u32 {
        if let Some(&(id, freed_at)) = self.0.freed.front()
            && self.0.frames_built > freed_at + self.0.quarantine_frames
        {
            self.0.freed.pop_front();
            return id;
        }
        // Ids start at 1 (0 means "none"); four billion live ids are out of reach.
        self.0.next = self.0.next.checked_add(1).unwrap_or(1);
        self.0.next
    }

    /// Returns an id for reuse after its quarantine.
    pub fn free(&mut self, id: u32) {
        self.0.freed.push_back((id, self.0.frames_built));
    }

    /// Counts a built frame; quarantines are measured in frames.
    pub fn frame_built(&mut self) {
        self.0.frames_built += 1;
    }
}

/// The room this world is: its id, its type's name, and the options it was created with
/// (the matchmaking API's `options` object; empty for the default room). Games read it
/// while they build the world, to size or vary it per room: `options.room`,
/// `options.options` ([`RoomDetails`]' fields, through `Deref`).
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct RoomOptions(Box<RoomDetails>);

/// What [`RoomOptions`] says, behind a pointer (see the module's note on resource sizes).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoomDetails {
    /// The room's id.
    pub room: String,
    /// The room's type, as the game defined it.
    pub name: String,
    /// The creation options, as JSON fields.
    pub options: serde_json::Map<String, serde_json::Value>,
}

impl RoomOptions {
    /// Room `room` of type `name`, created with `options`.
    pub fn new(room: String, name: String, options: serde_json::Map<String, Value>) -> Self {
        Self(Box::new(RoomDetails { room, name, options }))
    }
}

impl std::ops::Deref for RoomOptions {
    type Target = RoomDetails;

    fn deref(&self) -> &RoomDetails {
        &self.0
    }
}

/// Whether the game has locked its room against new players (a match under way):
/// matchmaking then passes the room by and joins by id answer 409, as for a full room.
/// Players already in it stay, and resumes still work. Set it from a gameplay system;
/// the server reads it after every tick.
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoomLock {
    /// Locked by the game.
    pub locked: bool,
}

/// Which entity each connected session controls (boxed: see the module's note).
#[derive(Resource, Debug, Default)]
pub struct SessionActors(pub Box<HashMap<SessionId, Entity>>);

/// Gameplay events since the last frame; the sim sends them with the next snapshot.
/// Push with [`GameEvents::send`] from any system.
#[derive(Resource, Debug, Clone, Default, PartialEq, Eq)]
pub struct GameEvents(pub Vec<tickwire_protocol::GameEvent>);

impl GameEvents {
    /// Records an event of `kind` (an index into the names given to
    /// [`crate::Simulation::replicate_events`]) about `actor` and `other` (network ids, 0
    /// for none), with a `value`.
    pub fn send(&mut self, kind: u16, actor: u32, other: u32, value: i32) {
        self.0.push(tickwire_protocol::GameEvent { kind, actor, other, value });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_game_reads_its_room_options_by_field() {
        let mut options = serde_json::Map::new();
        options.insert("npcs".to_owned(), Value::from(3));
        let room = RoomOptions::new("r1".to_owned(), "duel".to_owned(), options);
        assert_eq!((room.room.as_str(), room.name.as_str()), ("r1", "duel"));
        assert_eq!(room.options.get("npcs"), Some(&Value::from(3)), "options should read through");
    }
}
