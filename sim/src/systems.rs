//! Built-in gameplay systems and the phases they run in.
//!
//! Players steer by their newest input, NPCs wander, and everything moves at
//! `movement_speed` units per second inside the arena. Speeds are per second and scaled by
//! the tick length, so a change of tick rate never changes how fast things move.

use bevy_ecs::prelude::*;
use glam::Vec2;

use crate::components::{Player, Position, Velocity, Wander};
use crate::resources::{ActiveSettings, Arena, SimRng, Tick};

/// The phases of one tick, in order.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimSet {
    /// Turn received inputs into intent (velocities).
    Receive,
    /// Gameplay: decide and move.
    Simulate,
    /// Last touches before the frame is read.
    Publish,
}

/// Sets each player's velocity from its newest input direction.
pub fn steer_players(settings: Res<ActiveSettings>, mut players: Query<(&Player, &mut Velocity)>) {
    for (player, mut velocity) in &mut players {
        velocity.0 = player.direction * settings.0.movement_speed;
    }
}

/// NPCs pick a new random heading every one to three seconds.
pub fn wander_npcs(
    tick: Res<Tick>,
    settings: Res<ActiveSettings>,
    mut rng: ResMut<SimRng>,
    mut npcs: Query<(&mut Wander, &mut Velocity)>,
) {
    let tick_rate = u32::from(settings.0.tick_rate_hz);
    for (mut wander, mut velocity) in &mut npcs {
        if tickwire_protocol::tick::is_after(wander.next_turn_tick, tick.0) {
            continue;
        }
        let heading = rng.0.f32() * std::f32::consts::TAU;
        let speed = settings.0.movement_speed * (0.4 + 0.6 * rng.0.f32());
        velocity.0 = Vec2::from_angle(heading) * speed;
        wander.next_turn_tick = tick.0.wrapping_add(rng.0.u32(tick_rate..=3 * tick_rate));
    }
}

/// Advances every actor by one tick and keeps it in the arena; NPCs bounce off the walls.
pub fn move_actors(
    settings: Res<ActiveSettings>,
    arena: Res<Arena>,
    mut actors: Query<(&mut Position, &mut Velocity, Has<Wander>)>,
) {
    let dt = settings.0.tick_seconds();
    for (mut position, mut velocity, bounces) in &mut actors {
        let moved = position.0 + velocity.0 * dt;
        let clamped = arena.clamp(moved);
        if bounces {
            if clamped.x != moved.x {
                velocity.0.x = -velocity.0.x;
            }
            if clamped.y != moved.y {
                velocity.0.y = -velocity.0.y;
            }
        }
        position.0 = clamped;
    }
}
