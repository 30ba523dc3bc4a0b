//! Property: whatever the world does and whichever snapshots a client receives, applying
//! what the server sends (through real encode and decode) leaves the client's mirror
//! exactly equal to the server's quantised state after every applied snapshot.

use proptest::prelude::*;
use tickwire_protocol::{ActorKind, ActorRow, ServerMessage, Snapshot, WorldState};

/// Frames a server keeps as baselines; an older baseline gets a full snapshot.
const RING: usize = 8;

#[derive(Debug, Clone)]
enum Op {
    /// Gameplay changes one of an actor's fields.
    SetField {
        pick: usize,
        slot: usize,
        value: i32,
    },
    Spawn {
        player: bool,
        x: i32,
        y: i32,
    },
    Despawn {
        pick: usize,
    },
    Step {
        pick: usize,
        dx: i32,
        dy: i32,
    },
    Teleport {
        pick: usize,
        x: i32,
        y: i32,
    },
    Turn {
        pick: usize,
        vx: i16,
        vy: i16,
    },
    /// Despawn an actor and spawn a new one under the same id with the other kind.
    ReuseId {
        pick: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (any::<bool>(), -10_000..10_000i32, -10_000..10_000i32)
            .prop_map(|(player, x, y)| Op::Spawn { player, x, y }),
        any::<usize>().prop_map(|pick| Op::Despawn { pick }),
        (any::<usize>(), -200..200i32, -200..200i32).prop_map(|(pick, dx, dy)| Op::Step {
            pick,
            dx,
            dy
        }),
        (any::<usize>(), any::<i32>(), any::<i32>()).prop_map(|(pick, x, y)| Op::Teleport {
            pick,
            x,
            y
        }),
        (any::<usize>(), any::<i16>(), any::<i16>()).prop_map(|(pick, vx, vy)| Op::Turn {
            pick,
            vx,
            vy
        }),
        any::<usize>().prop_map(|pick| Op::ReuseId { pick }),
        (any::<usize>(), 0..4usize, prop_oneof![Just(0), any::<i32>()])
            .prop_map(|(pick, slot, value)| Op::SetField { pick, slot, value }),
    ]
}

/// Runs the ops, one batch per frame, and returns every frame.
fn frames(batches: &[Vec<Op>], steps_per_unit: u16) -> Vec<WorldState> {
    let mut rows: Vec<ActorRow> = Vec::new();
    let mut next_id = 1;
    let mut frames = Vec::new();
    for (index, batch) in batches.iter().enumerate() {
        for op in batch {
            let len = rows.len();
            match *op {
                Op::Spawn { player, x, y } => {
                    let kind = if player { ActorKind::Player } else { ActorKind::Npc };
                    rows.push(ActorRow { id: next_id, x, y, vx: 0, vy: 0, kind, fields: [0; 4] });
                    next_id += 1;
                }
                _ if len == 0 => {}
                Op::Despawn { pick } => {
                    rows.swap_remove(pick % len);
                }
                Op::Step { pick, dx, dy } => {
                    let row = &mut rows[pick % len];
                    row.x = row.x.saturating_add(dx);
                    row.y = row.y.saturating_add(dy);
                }
                Op::Teleport { pick, x, y } => (rows[pick % len].x, rows[pick % len].y) = (x, y),
                Op::Turn { pick, vx, vy } => (rows[pick % len].vx, rows[pick % len].vy) = (vx, vy),
                Op::SetField { pick, slot, value } => rows[pick % len].fields[slot] = value,
                Op::ReuseId { pick } => {
                    let row = &mut rows[pick % len];
                    row.kind =
                        if row.kind == ActorKind::Npc { ActorKind::Player } else { ActorKind::Npc };
                    row.vx = 0;
                }
            }
        }
        frames.push(WorldState::from_rows(index as u32 + 1, steps_per_unit, rows.iter().copied()));
    }
    frames
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_mirror_always_equals_the_server_state(
        batches in prop::collection::vec(prop::collection::vec(op(), 0..12), 1..40),
        received in prop::collection::vec(prop::bool::weighted(0.6), 40),
        joins_at in 0usize..8,
        steps_per_unit in prop_oneof![Just(1u16), Just(8), Just(1000)],
    ) {
        let frames = frames(&batches, steps_per_unit);
        let mut mirror = WorldState::default();
        let mut held: Option<usize> = None; // Index of the frame the client holds.
        for (index, frame) in frames.iter().enumerate().skip(joins_at) {
            if !received[index] {
                continue;
            }
            let baseline = held.filter(|&held| index - held <= RING).map(|held| &frames[held]);
            let bytes = ServerMessage::Snapshot(Snapshot::diff(baseline, frame)).encode();
            let Ok(ServerMessage::Snapshot(snapshot)) = ServerMessage::decode(&bytes) else {
                return Err(TestCaseError::fail(format!("snapshot of tick {} should decode", frame.tick)));
            };
            prop_assert_eq!(snapshot.baseline_tick, baseline.map(|baseline| baseline.tick));
            mirror.apply(&snapshot).map_err(|error| TestCaseError::fail(format!("tick {}: {error}", frame.tick)))?;
            prop_assert_eq!(&mirror, frame, "the mirror should equal the server's frame at tick {}", frame.tick);
            held = Some(index);
        }
    }

    #[test]
    fn a_delta_against_another_state_is_refused_and_changes_nothing(
        batches in prop::collection::vec(prop::collection::vec(op(), 1..12), 3..10),
    ) {
        let frames = frames(&batches, 8);
        let mut mirror = WorldState::default();
        mirror.apply(&Snapshot::diff(None, &frames[0])).map_err(|error| TestCaseError::fail(error.to_string()))?;
        let before = mirror.clone();
        let wrong = Snapshot::diff(Some(&frames[1]), &frames[2]);
        prop_assert!(mirror.apply(&wrong).is_err(), "a delta against tick 2 should not apply to tick 1");
        prop_assert_eq!(mirror, before, "a refused delta should leave the mirror unchanged");
    }
}

#[test]
fn resting_actors_cost_nothing_and_moving_ones_three_bytes() {
    let rows = (1..=1000).map(|id| ActorRow {
        id,
        x: id as i32 * 10,
        y: 5,
        vx: 3,
        vy: 0,
        kind: ActorKind::Npc,
        fields: [0; 4],
    });
    let before = WorldState::from_rows(1, 8, rows.clone());
    let resting = WorldState::from_rows(2, 8, rows.clone());
    let empty_delta = ServerMessage::Snapshot(Snapshot::diff(Some(&before), &resting)).encode();
    assert!(
        empty_delta.len() <= 50,
        "a delta where nothing changed should be at most 50 bytes, was {}",
        empty_delta.len()
    );

    let moved = WorldState::from_rows(2, 8, rows.map(|row| ActorRow { x: row.x + 3, ..row }));
    let delta = ServerMessage::Snapshot(Snapshot::diff(Some(&before), &moved)).encode();
    let per_actor = (delta.len() - empty_delta.len()) as f64 / 1000.0;
    assert!(per_actor <= 3.1, "a small move should cost about 3 bytes per actor, cost {per_actor}");
}
