//! Components of an actor: what gameplay systems read and write.
//!
//! Spawn actors with [`actor`] (from a system: `commands.spawn(actor(&mut ids, ...))`);
//! despawn them any way you like: removing a [`NetId`] frees the id (after its quarantine)
//! and removing a [`Player`] forgets its session, so gameplay code cannot leak either.

use bevy_ecs::bundle::Bundle;
use bevy_ecs::component::Component;
use bevy_ecs::lifecycle::HookContext;
use bevy_ecs::world::DeferredWorld;
use glam::Vec2;
use tickwire_protocol::{ActorKind, FIELD_SLOTS};

use crate::command::SessionId;
use crate::resources::{NetIds, SessionActors};

/// The actor's network id: small, dense, chosen by the sim (never `Entity` bits).
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[component(on_remove = free_net_id)]
pub struct NetId(pub u32);

fn free_net_id(mut world: DeferredWorld<'_>, context: HookContext) {
    let Some(id) = world.get::<NetId>(context.entity).map(|id| id.0) else { return };
    if let Some(mut ids) = world.get_resource_mut::<NetIds>() {
        ids.free(id);
    }
}

/// Everything an actor needs to be simulated and replicated: a fresh network id, a
/// position, no velocity yet, and its kind. Add your own components alongside.
pub fn actor(ids: &mut NetIds, position: Vec2, kind: ActorKind) -> impl Bundle {
    (NetId(ids.allocate()), Position(position), Velocity::default(), Kind(kind))
}

/// Position in world units.
#[derive(Component, Debug, Clone, Copy, PartialEq, Default)]
pub struct Position(pub Vec2);

/// Velocity in world units per second.
#[derive(Component, Debug, Clone, Copy, PartialEq, Default)]
pub struct Velocity(pub Vec2);

/// The game's replicated per-actor fields, by slot (declare their names with
/// [`crate::Simulation::replicate_fields`]). Changes reach clients in the next delta.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fields(pub [i32; FIELD_SLOTS]);

/// What the actor is; replicated so clients can draw kinds differently.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind(pub ActorKind);

/// An actor driven by a player's inputs. Gameplay reads the player's intent here:
/// `direction` is the newest input (length at most 1).
#[derive(Component, Debug, Clone, Copy, PartialEq)]
#[component(on_remove = forget_session)]
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

fn forget_session(mut world: DeferredWorld<'_>, context: HookContext) {
    let Some(session) = world.get::<Player>(context.entity).map(|player| player.session) else {
        return;
    };
    if let Some(mut sessions) = world.get_resource_mut::<SessionActors>()
        && sessions.0.get(&session) == Some(&context.entity)
    {
        sessions.0.remove(&session);
    }
}
