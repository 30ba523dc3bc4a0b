//! Prints the snapshot size table for BENCHMARKS.md: bytes per snapshot message (the
//! WebSocket frame adds 2 to 4 bytes of header) for full snapshots and deltas, and the
//! per-actor figures the targets are stated in. Sizes are deterministic; no timing.
//!
//! `cargo run --release -p tickwire-protocol --example snapshot_sizes`

use tickwire_protocol::synthetic::consecutive_frames;
use tickwire_protocol::{ServerMessage, Snapshot};

fn main() {
    println!(
        "| actors | moving | full (bytes) | delta (bytes) | delta bytes per moving actor | marginal bytes per moving actor | bytes per resting actor |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for actors in [1_000u32, 10_000] {
        // All resting: what a resting actor costs is what an empty delta costs, spread.
        let (before, after) = consecutive_frames(actors, 0.0, 7);
        let resting = ServerMessage::Snapshot(Snapshot::diff(Some(&before), &after)).encode().len();
        for moving in [0.1f32, 1.0] {
            let (before, after) = consecutive_frames(actors, moving, 7);
            let full = ServerMessage::Snapshot(Snapshot::diff(None, &after)).encode().len();
            let delta =
                ServerMessage::Snapshot(Snapshot::diff(Some(&before), &after)).encode().len();
            let movers = after.rows().zip(before.rows()).filter(|(a, b)| a != b).count().max(1);
            println!(
                "| {actors} | {}% | {full} | {delta} | {:.2} | {:.2} | {:.4} |",
                (moving * 100.0) as u32,
                delta as f64 / movers as f64,
                (delta - resting) as f64 / movers as f64,
                resting as f64 / f64::from(actors),
            );
        }
    }
}
