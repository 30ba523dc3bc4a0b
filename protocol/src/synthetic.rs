//! Reproducible synthetic worlds with a chosen share of moving actors, for the benchmarks
//! and the snapshot size report (`cargo run --release -p tickwire-protocol --example
//! snapshot_sizes`), so both measure the same thing.
//!
//! The world mimics the demo at its defaults: a 1000 x 1000 arena at 8 steps per unit,
//! snapshots at 15 per second. A moving actor has a speed of 60 to 120 units per second,
//! so it moves 32 to 64 steps per snapshot, and one mover in 30 turns (a new velocity)
//! per snapshot, as wandering NPCs do every one to three seconds. Resting actors have
//! zero velocity and do not change.

use crate::message::ActorKind;
use crate::state::{ActorRow, FIELD_SLOTS, WorldState};

/// Quantisation of the synthetic worlds.
pub const STEPS_PER_UNIT: u16 = 8;
const SNAPSHOTS_PER_SECOND: f32 = 15.0;

/// Two consecutive snapshot frames (ticks 100 and 102) of `actors` actors with dense ids,
/// of which `moving_share` (0 to 1) move between them.
pub fn consecutive_frames(actors: u32, moving_share: f32, seed: u64) -> (WorldState, WorldState) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let arena = 1000 * i32::from(STEPS_PER_UNIT);
    let mut before = Vec::with_capacity(actors as usize);
    let mut after = Vec::with_capacity(actors as usize);
    for id in 1..=actors {
        let kind = if id % 10 == 0 { ActorKind::Player } else { ActorKind::Npc };
        let (x, y) = (rng.i32(0..arena), rng.i32(0..arena));
        if rng.f32() >= moving_share {
            let row = ActorRow { id, x, y, vx: 0, vy: 0, kind, fields: [0; FIELD_SLOTS] };
            before.push(row);
            after.push(row);
            continue;
        }
        let velocity = |rng: &mut fastrand::Rng| {
            let speed = (60.0 + 60.0 * rng.f32()) * f32::from(STEPS_PER_UNIT);
            let heading = rng.f32() * std::f32::consts::TAU;
            ((speed * heading.cos()) as i16, (speed * heading.sin()) as i16)
        };
        let (vx, vy) = velocity(&mut rng);
        before.push(ActorRow { id, x, y, vx, vy, kind, fields: [0; FIELD_SLOTS] });
        let (vx, vy) = if rng.u8(..30) == 0 { velocity(&mut rng) } else { (vx, vy) };
        let step = |v: i16| (f32::from(v) / SNAPSHOTS_PER_SECOND).round() as i32;
        after.push(ActorRow {
            id,
            x: x + step(vx),
            y: y + step(vy),
            vx,
            vy,
            kind,
            fields: [0; FIELD_SLOTS],
        });
    }
    (
        WorldState::from_rows(100, STEPS_PER_UNIT, before),
        WorldState::from_rows(102, STEPS_PER_UNIT, after),
    )
}
