//! Snapshot encode and apply cost per actor: full snapshots and deltas, 1k and 10k
//! actors, 10% and 100% of them moving. Criterion reports elements (actors) per second;
//! BENCHMARKS.md turns that into nanoseconds per actor.
//!
//! `cargo bench -p tickwire-protocol --bench snapshot`

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tickwire_protocol::synthetic::consecutive_frames;
use tickwire_protocol::{ServerMessage, Snapshot, WorldState};

fn cases() -> Vec<(String, u32, WorldState, WorldState)> {
    let mut cases = Vec::new();
    for actors in [1_000, 10_000] {
        for moving in [0.1, 1.0] {
            let (before, after) = consecutive_frames(actors, moving, 7);
            cases.push((
                format!("{actors} actors, {}% moving", (moving * 100.0) as u32),
                actors,
                before,
                after,
            ));
        }
    }
    cases
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    for (name, actors, before, after) in cases() {
        group.throughput(Throughput::Elements(u64::from(actors)));
        group.bench_function(BenchmarkId::new("delta", &name), |b| {
            b.iter(|| ServerMessage::Snapshot(Snapshot::diff(Some(&before), &after)).encode())
        });
        group.bench_function(BenchmarkId::new("full", &name), |b| {
            b.iter(|| ServerMessage::Snapshot(Snapshot::diff(None, &after)).encode())
        });
    }
    group.finish();
}

fn decode_and_apply(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode_and_apply");
    for (name, actors, before, after) in cases() {
        group.throughput(Throughput::Elements(u64::from(actors)));
        let delta = ServerMessage::Snapshot(Snapshot::diff(Some(&before), &after)).encode();
        group.bench_function(BenchmarkId::new("delta", &name), |b| {
            b.iter_batched(
                || before.clone(),
                |mut mirror| {
                    if let Ok(ServerMessage::Snapshot(snapshot)) = ServerMessage::decode(&delta) {
                        let _ = mirror.apply(&snapshot);
                    }
                    mirror
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, encode, decode_and_apply);
criterion_main!(benches);
