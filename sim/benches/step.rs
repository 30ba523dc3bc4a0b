//! Server CPU per tick as the world grows: one simulation step (NPCs wander and move,
//! bouncing off the walls) and one frame build (the quantised, id-sorted copy of the
//! world that every snapshot is encoded from), at 1k, 10k and 100k actors.
//!
//! `cargo bench -p tickwire-sim --bench step`

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tickwire_sim::{SimConfig, Simulation};

const SIZES: [u32; 3] = [1_000, 10_000, 100_000];

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
        group.bench_function(BenchmarkId::from_parameter(actors), |b| {
            b.iter(|| black_box(simulation.snapshot()));
        });
    }
    group.finish();
}

criterion_group!(benches, step, frame_build);
criterion_main!(benches);
