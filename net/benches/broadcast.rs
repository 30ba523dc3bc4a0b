//! Encode cost of one broadcast as the number of in-sync clients grows: for every session
//! a writer shard takes the snapshot encoded for the tick the session holds, exactly as
//! it does before writing it (`SharedSnapshot::snapshot_for`). With shared encodings,
//! 1,000 clients should cost about what 10 do: one encode, and for each in-sync session
//! a borrow of it, with no lookup and no reference count.
//!
//! `cargo bench -p tickwire-net --bench broadcast`

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use tickwire_net::{SnapshotPublisher, SnapshotRing};
use tickwire_protocol::Settings;
use tickwire_protocol::synthetic::consecutive_frames;
use tickwire_sim::Publication;

/// A ring whose newest frame has no encodings yet, and the tick every client holds.
fn fresh_ring(
    before: &Arc<tickwire_sim::WorldSnapshot>,
    after: &Arc<tickwire_sim::WorldSnapshot>,
) -> Arc<SnapshotRing> {
    let (mut publisher, views) = SnapshotPublisher::new(32);
    for snapshot in [before, after] {
        publisher.publish(Publication {
            snapshot: Arc::clone(snapshot),
            settings: Settings::default(),
            events: Vec::new(),
            input_acks: Vec::new(),
        });
    }
    Arc::clone(&views.borrow())
}

fn broadcast(c: &mut Criterion) {
    let mut group = c.benchmark_group("broadcast");
    for actors in [1_000, 10_000] {
        let (before, after) = consecutive_frames(actors, 0.1, 7);
        let baseline_tick = before.tick;
        let (before, after) = (Arc::new(before), Arc::new(after));
        for clients in [10, 1_000] {
            let name = format!("{actors} actors, 10% moving, {clients} in-sync clients");
            group.bench_function(BenchmarkId::from_parameter(name), |b| {
                b.iter_batched(
                    || fresh_ring(&before, &after),
                    |ring| {
                        let Some(newest) = ring.newest() else { return };
                        for _ in 0..clients {
                            let holds = black_box(Some(baseline_tick));
                            black_box(newest.snapshot_for(&ring, holds).len());
                        }
                    },
                    BatchSize::SmallInput,
                )
            });
        }
    }
    group.finish();
}

criterion_group!(benches, broadcast);
criterion_main!(benches);
