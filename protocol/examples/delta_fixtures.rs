//! Writes delta-snapshot fixtures as JSON for the browser client's tests: sequences of
//! encoded snapshot frames with the exact mirror state each must produce (or `null` when
//! applying must fail). Covers full snapshots, deltas, skipped snapshots (deltas against
//! an older baseline), big jumps, velocity changes, spawns, despawns and an id reused
//! with another kind.
//!
//! Usage: `cargo run -p tickwire-protocol --example delta_fixtures -- OUT.json`

use std::fmt::Write as _;

use tickwire_protocol::{ActorKind, ActorRow, ServerMessage, Snapshot, WorldState};

fn main() -> std::io::Result<()> {
    let out = std::env::args().nth(1).unwrap_or_else(|| "delta-fixtures.json".into());
    let mut rng = fastrand::Rng::with_seed(2026);
    let mut cases = Vec::new();
    for case in 0..12 {
        cases.push(random_case(&mut rng, case));
    }
    std::fs::write(&out, format!("{{\"cases\":[{}]}}\n", cases.join(",")))?;
    println!("wrote {} cases to {out}", cases.len());
    Ok(())
}

/// A world evolving over 30 frames; the client receives a random subset, each as a delta
/// against the last frame it received, plus one stale delta it must refuse.
fn random_case(rng: &mut fastrand::Rng, case: usize) -> String {
    let steps_per_unit = [1, 8, 100][case % 3];
    let mut next_id = 1u32;
    let mut rows: Vec<ActorRow> = Vec::new();
    let mut frames = Vec::new();
    for tick in 1..=30u32 {
        rows.retain(|_| rng.u8(..100) >= 5);
        for _ in 0..rng.usize(0..4) {
            let kind = if rng.bool() { ActorKind::Npc } else { ActorKind::Player };
            // Now and then reuse a freed id with a new kind.
            let id = if rng.u8(..10) == 0 && next_id > 3 { rng.u32(1..next_id) } else { next_id };
            next_id = next_id.max(id + 1);
            if !rows.iter().any(|row| row.id == id) {
                let (x, y) = (rng.i32(-5000..5000), rng.i32(-5000..5000));
                rows.push(ActorRow { id, x, y, vx: 0, vy: 0, kind, fields: [0; 4] });
            }
        }
        for row in &mut rows {
            match rng.u8(..10) {
                0..=4 => {}
                5..=7 => {
                    row.x += rng.i32(-128..=127);
                    row.y += rng.i32(-128..=127);
                }
                8 => {
                    row.x = rng.i32(i32::MIN / 2..i32::MAX / 2);
                    row.fields[rng.usize(..4)] = if rng.bool() { 0 } else { rng.i32(..) };
                }
                _ => {
                    row.vx = rng.i16(..);
                    row.vy = rng.i16(..);
                }
            }
        }
        frames.push(WorldState::from_rows(tick, steps_per_unit, rows.iter().copied()));
    }

    let mut steps = Vec::new();
    let mut held: Option<&WorldState> = None;
    for frame in &frames {
        if rng.u8(..3) == 0 {
            continue; // This snapshot is skipped: the next delta is against an older baseline.
        }
        steps.push(step(&Snapshot::diff(held, frame), Some(frame)));
        held = Some(frame);
    }
    // A delta against a state the client never held must be refused, mirror unchanged.
    let stale = Snapshot::diff(Some(&frames[0]), &frames[29]);
    if held.is_some_and(|held| held.tick != frames[0].tick) {
        steps.push(step(&stale, None));
    }
    format!(
        "{{\"name\":\"case {case}, {steps_per_unit} steps/unit\",\"steps\":[{}]}}",
        steps.join(",")
    )
}

fn step(snapshot: &Snapshot, expect: Option<&WorldState>) -> String {
    let frame = ServerMessage::Snapshot(snapshot.clone()).encode();
    let hex = frame.iter().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    });
    let expect = expect.map_or("null".to_owned(), |state| {
        let column = |values: Vec<String>| values.join(",");
        let rows: Vec<ActorRow> = state.rows().collect();
        format!(
            "{{\"tick\":{},\"stepsPerUnit\":{},\"ids\":[{}],\"x\":[{}],\"y\":[{}],\"vx\":[{}],\"vy\":[{}],\"kinds\":[{}],\"fields\":[{}]}}",
            state.tick,
            state.steps_per_unit,
            column(rows.iter().map(|row| row.id.to_string()).collect()),
            column(rows.iter().map(|row| row.x.to_string()).collect()),
            column(rows.iter().map(|row| row.y.to_string()).collect()),
            column(rows.iter().map(|row| row.vx.to_string()).collect()),
            column(rows.iter().map(|row| row.vy.to_string()).collect()),
            column(rows.iter().map(|row| if row.kind == ActorKind::Player { "1" } else { "0" }.to_owned()).collect()),
            column(rows.iter().map(|row| format!("[{}]", column(row.fields.iter().map(i32::to_string).collect()))).collect()),
        )
    });
    format!("{{\"frame\":\"{hex}\",\"expect\":{expect}}}")
}
