//! Server CPU per tick as the world grows, at 1k, 10k and 100k actors:
//!
//! - `sim_step`: one simulation step (NPCs wander and move, bouncing off the walls).
//! - `frame_build`: one frame build (the quantised, id-sorted copy of the world that every
//!   snapshot is encoded from), nothing spawned or despawned since the previous one;
//!   "recycled" is written into a frame handed back, as the runner does with the frame
//!   that left the snapshot ring, "fresh" into new columns.
//! - `frame_build_churn`: the same after 1% of the actors were despawned and as many
//!   spawned (some reusing freed network ids).
//! - `broadcast_tick`: everything the sim thread does on a snapshot tick besides draining
//!   commands and handing the frame to the ring: step, frame build, events, input acks of
//!   1,000 players, and the net side's "did anything change" comparison with the previous
//!   frame, with frames kept in a ring of 32 and the one leaving it handed back.
//!   "moving": every NPC wanders; "still": nothing moves, the comparison's worst case.
//!
//! `cargo bench -p tickwire-sim --bench step`

use std::collections::VecDeque;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy_ecs::prelude::*;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use glam::Vec2;
use tickwire_protocol::ActorKind;
use tickwire_sim::components::{NetId, Velocity, Wander, actor};
use tickwire_sim::resources::NetIds;
use tickwire_sim::{SimConfig, Simulation, WorldSnapshot};

const SIZES: [u32; 3] = [1_000, 10_000, 100_000];

/// Players joined in `broadcast_tick`: the 1,000 clients of the load target.
const PLAYERS: u64 = 1_000;

/// A world of `actors` wandering NPCs, run for a second so they are all on the move.
fn warmed_up(actors: u32) -> Simulation {
    let mut simulation = Simulation::new(SimConfig { npcs: actors, ..SimConfig::default() });
    for _ in 0..30 {
        simulation.step();
    }
    simulation
}

fn step(c: &mut Criterion) {
    let mut group = c.benchmark_group("sim_step");
    for actors in SIZES {
        let mut simulation = warmed_up(actors);
        group.throughput(Throughput::Elements(u64::from(actors)));
        group.bench_function(BenchmarkId::from_parameter(actors), |b| {
            b.iter(|| simulation.step());
        });
    }
    group.finish();
}

fn frame_build(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame_build");
    for actors in SIZES {
        let mut simulation = warmed_up(actors);
        group.throughput(Throughput::Elements(u64::from(actors)));
        group.bench_function(BenchmarkId::new("fresh", actors), |b| {
            b.iter(|| black_box(simulation.snapshot()));
        });
        group.bench_function(BenchmarkId::new("recycled", actors), |b| {
            b.iter(|| {
                let frame = black_box(simulation.snapshot());
                simulation.recycle_frame(frame);
            });
        });
    }
    group.finish();
}

/// Despawns every hundredth actor (a different hundredth each round) and spawns as many.
fn churn(simulation: &mut Simulation, round: u32) {
    let world = simulation.world_mut();
    let doomed: Vec<Entity> = world
        .query::<(Entity, &NetId)>()
        .iter(world)
        .filter(|(_, id)| id.0 % 100 == round % 100)
        .map(|(entity, _)| entity)
        .collect();
    for &entity in &doomed {
        world.despawn(entity);
    }
    for index in 0..doomed.len() {
        let position = Vec2::splat(index as f32 % 1000.0);
        let bundle = actor(&mut world.resource_mut::<NetIds>(), position, ActorKind::Npc);
        world.spawn((bundle, Wander { next_turn_tick: 0 }));
    }
}

fn frame_build_churn(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame_build_churn");
    for actors in SIZES {
        let mut simulation = warmed_up(actors);
        let mut round = 0;
        group.throughput(Throughput::Elements(u64::from(actors)));
        group.bench_function(BenchmarkId::from_parameter(actors), |b| {
            b.iter_custom(|iterations| {
                let mut took = Duration::ZERO;
                for _ in 0..iterations {
                    round += 1;
                    churn(&mut simulation, round);
                    let started = Instant::now();
                    black_box(simulation.snapshot());
                    took += started.elapsed();
                }
                took
            });
        });
    }
    group.finish();
}

/// `warmed_up` plus `PLAYERS` joined players (standing still); with `still`, the NPCs
/// stop and stop turning.
fn broadcast_world(actors: u32, still: bool) -> Simulation {
    let mut simulation = warmed_up(actors);
    for session in 1..=PLAYERS {
        simulation.join(session);
    }
    if still {
        let world = simulation.world_mut();
        let npcs: Vec<Entity> =
            world.query_filtered::<Entity, With<Wander>>().iter(world).collect();
        for npc in npcs {
            world.entity_mut(npc).remove::<Wander>().insert(Velocity(Vec2::ZERO));
        }
    }
    simulation
}

/// Frames the ring keeps (the default `frame_history`).
const RING: usize = 32;

/// One snapshot tick's work on the sim thread (see the module doc), with the `RING`
/// newest frames in `ring`.
fn broadcast_tick_once(simulation: &mut Simulation, ring: &mut VecDeque<Arc<WorldSnapshot>>) {
    simulation.step();
    let snapshot = Arc::new(simulation.snapshot());
    black_box(simulation.take_events());
    black_box(simulation.input_acks());
    if let Some(previous) = ring.back() {
        black_box(snapshot.same_actors(previous));
    }
    ring.push_back(snapshot);
    if ring.len() > RING
        && let Some(left) = ring.pop_front().and_then(Arc::into_inner)
    {
        simulation.recycle_frame(left);
    }
}

fn broadcast_tick(c: &mut Criterion) {
    let mut group = c.benchmark_group("broadcast_tick");
    for actors in SIZES {
        for still in [false, true] {
            let mut simulation = broadcast_world(actors, still);
            let mut ring = VecDeque::new();
            let motion = if still { "still" } else { "moving" };
            group.throughput(Throughput::Elements(u64::from(actors)));
            group.bench_function(BenchmarkId::new(motion, actors), |b| {
                b.iter(|| broadcast_tick_once(&mut simulation, &mut ring));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, step, frame_build, frame_build_churn, broadcast_tick);
criterion_main!(benches);
