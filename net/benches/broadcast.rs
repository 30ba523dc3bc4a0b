//! Encode cost of one broadcast as the number of in-sync clients grows: for every session
//! a writer shard takes the snapshot encoded for the tick the session holds, exactly as
//! it does before writing it (`SharedSnapshot::snapshot_for`). With shared encodings,
//! 1,000 clients should cost about what 10 do: one encode, and for each in-sync session
//! a borrow of it, with no lookup and no reference count.
//!
//! Two groups:
//! - `broadcast`: the whole broadcast for 10 and for 1,000 clients, each measured on its
//!   own;
//! - `broadcast_paired`: the 1,000-client broadcast timed back to back with the 10-client
//!   one in every iteration, and the ratio of the two printed. Measured apart, the two
//!   cases run seconds away from each other, and the machine's drift in between is as big
//!   as the whole per-session cost; back to back, the drift cancels.
//!
//! `cargo bench -p tickwire-net --bench broadcast`

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// The two frames of a broadcast at `actors` actors, 10% of them moving.
struct Frames {
    before: Arc<tickwire_sim::WorldSnapshot>,
    after: Arc<tickwire_sim::WorldSnapshot>,
}

impl Frames {
    fn new(actors: u32) -> Self {
        let (before, after) = consecutive_frames(actors, 0.1, 7);
        Self { before: Arc::new(before), after: Arc::new(after) }
    }

    fn fresh_ring(&self) -> Arc<SnapshotRing> {
        fresh_ring(&self.before, &self.after)
    }

    /// The tick each of `count` in-sync clients holds, read from memory as a writer shard
    /// reads each session's.
    fn in_sync_clients(&self, count: usize) -> Vec<Option<u32>> {
        black_box(vec![Some(self.before.tick); count])
    }

    /// One broadcast to `clients` (the tick each holds) on a ring that has not encoded it
    /// yet: the first in-sync client's call encodes, the others borrow.
    fn broadcast(&self, ring: &SnapshotRing, clients: &[Option<u32>]) {
        let Some(newest) = ring.newest() else { return };
        let mut bytes = 0;
        for holds in clients {
            bytes += newest.snapshot_for(ring, *holds).len();
        }
        black_box(bytes);
    }

    /// The time one broadcast to `clients` takes, its fresh ring made beforehand.
    fn time_broadcast(&self, clients: &[Option<u32>]) -> Duration {
        let ring = self.fresh_ring();
        let started = Instant::now();
        self.broadcast(&ring, clients);
        started.elapsed()
    }
}

fn broadcast(c: &mut Criterion) {
    let mut group = c.benchmark_group("broadcast");
    for actors in [1_000, 10_000] {
        let frames = Frames::new(actors);
        for count in [10, 1_000] {
            let clients = frames.in_sync_clients(count);
            let name = format!("{actors} actors, 10% moving, {count} in-sync clients");
            group.bench_function(BenchmarkId::from_parameter(name), |b| {
                b.iter_batched(
                    || frames.fresh_ring(),
                    |ring| frames.broadcast(&ring, &clients),
                    BatchSize::SmallInput,
                )
            });
        }
    }
    group.finish();
}

/// The goal's measure: the 1,000-client broadcast against the 10-client one, both timed
/// back to back in every iteration, in alternating order. Criterion reports the
/// 1,000-client time; each of its samples also gives a ratio of the pair's totals, and
/// their median and range are printed.
fn broadcast_paired(c: &mut Criterion) {
    let mut group = c.benchmark_group("broadcast_paired");
    for actors in [1_000, 10_000] {
        let frames = Frames::new(actors);
        let name = format!("{actors} actors, 10% moving, 1,000 in-sync clients, paired with 10");
        let (few_clients, many_clients) =
            (frames.in_sync_clients(10), frames.in_sync_clients(1_000));
        let mut ratios = Vec::new();
        group.bench_function(BenchmarkId::from_parameter(&name), |b| {
            b.iter_custom(|iterations| {
                let (mut few, mut many) = (Duration::ZERO, Duration::ZERO);
                for iteration in 0..iterations {
                    if iteration % 2 == 0 {
                        few += frames.time_broadcast(&few_clients);
                        many += frames.time_broadcast(&many_clients);
                    } else {
                        many += frames.time_broadcast(&many_clients);
                        few += frames.time_broadcast(&few_clients);
                    }
                }
                ratios.push(many.as_secs_f64() / few.as_secs_f64());
                many
            })
        });
        ratios.sort_by(f64::total_cmp);
        if let (Some(low), Some(high)) = (ratios.first(), ratios.last()) {
            let median = ratios[ratios.len() / 2];
            println!(
                "{name}: {median:.3}× the 10-client broadcast (median of {} samples; \
                 {low:.3}–{high:.3})",
                ratios.len()
            );
        }
    }
    group.finish();
}

criterion_group!(benches, broadcast, broadcast_paired);
criterion_main!(benches);
