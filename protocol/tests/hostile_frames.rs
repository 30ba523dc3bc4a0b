//! Random and mutated frames against every inbound path: decoding a client frame (the
//! server's input), decoding a server frame and applying it to a mirror (a client's).
//! Nothing may panic; whatever decodes must survive a re-encode unchanged. The stable
//! counterpart of the cargo-fuzz target in `fuzz/`.

use proptest::prelude::*;
use tickwire_protocol::synthetic::consecutive_frames;
use tickwire_protocol::{
    ClientMessage, Hello, Input, Pong, ResumeToken, ServerMessage, Snapshot, WorldState,
};

fn valid_client_frames() -> Vec<Vec<u8>> {
    [
        ClientMessage::Hello(Hello {
            auth_token: Some("alice.1.ab".into()),
            resume_token: Some(ResumeToken([3; 16])),
            ..Hello::new()
        }),
        ClientMessage::Input(Input {
            sequence: 9,
            direction: glam::Vec2::new(0.5, -1.0),
            ack_tick: 40,
        }),
        ClientMessage::Pong(Pong { nonce: 77 }),
        ClientMessage::FullSnapshotRequest,
        ClientMessage::SnapshotRateRequest { max_per_second: 4 },
    ]
    .iter()
    .map(|message| message.encode().to_vec())
    .collect()
}

fn valid_snapshot_frames() -> (WorldState, Vec<Vec<u8>>) {
    let (before, after) = consecutive_frames(40, 0.5, 3);
    // Give some actors gameplay fields, so the field columns are mutated too.
    let after = WorldState::from_rows(
        after.tick,
        after.steps_per_unit,
        after.rows().map(|mut row| {
            row.fields[usize::try_from(row.id % 4).unwrap_or(0)] = row.id as i32;
            row
        }),
    );
    let frames = [Snapshot::diff(None, &after), Snapshot::diff(Some(&before), &after)]
        .into_iter()
        .map(|snapshot| ServerMessage::Snapshot(snapshot).encode().to_vec())
        .collect();
    (before, frames)
}

/// A frame with some bytes changed, some cut off or some added.
fn mutated(frames: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    (
        0..frames.len(),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        any::<u16>(),
        any::<bool>(),
    )
        .prop_map(move |(pick, edits, cut, grow)| {
            let mut frame = frames[pick].clone();
            for (at, byte) in edits {
                let index = at.index(frame.len());
                frame[index] = byte;
            }
            if grow {
                frame.extend(std::iter::repeat_n(0xAB, usize::from(cut % 32)));
            } else {
                frame.truncate(frame.len() - usize::from(cut) % (frame.len() + 1));
            }
            frame
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(frame in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = ClientMessage::decode(&frame);
        if let Ok(ServerMessage::Snapshot(snapshot)) = ServerMessage::decode(&frame) {
            let _ = WorldState::default().apply(&snapshot);
        }
    }

    #[test]
    fn mutated_client_frames_are_rejected_or_round_trip(frame in mutated(valid_client_frames())) {
        if let Ok(message) = ClientMessage::decode(&frame) {
            prop_assert_eq!(ClientMessage::decode(&message.encode()), Ok(message));
        }
    }

    #[test]
    fn mutated_snapshots_never_corrupt_a_mirror(frame in mutated(valid_snapshot_frames().1)) {
        let (baseline, _) = valid_snapshot_frames();
        if let Ok(ServerMessage::Snapshot(snapshot)) = ServerMessage::decode(&frame) {
            let mut mirror = baseline.clone();
            if mirror.apply(&snapshot).is_err() {
                prop_assert_eq!(mirror, baseline, "a refused snapshot should leave the mirror as it was");
            }
        }
    }
}
