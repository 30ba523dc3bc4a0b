//! Ticks are `u32` and wrap: a server whose tick passes `u32::MAX` while clients play
//! keeps sending deltas across the wrap, acks inputs, and every mirror stays exact.

use glam::Vec2;
use tickwire_client::Event;
use tickwire_tests::{TestServer, at_same_tick, test_config, wait_for};

/// Ticks this close to the wrap count as "before" it; this far after it as "after".
const NEAR: u32 = 1 << 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_play_on_across_the_tick_wrap() {
    let mut config = test_config(); // 60 Hz: the wrap comes a second and a half in.
    config.sim.start_tick = u32::MAX - 90;
    let server = TestServer::start(config).await;
    let mut mover = server.connect().await;
    let mut watcher = server.connect().await;
    mover.send_input(Vec2::X).expect("the input should be sent");

    // Snapshots until one after the wrap: the first after it must be a delta.
    let mut saw_before = false;
    let mut seen = Vec::new();
    let first_after = loop {
        assert!(seen.len() < 300, "the ticks should pass the wrap within 300 snapshots: {seen:?}");
        let (tick, full) = wait_for(&mut mover, "a snapshot", |_, event| match event {
            Event::Snapshot { tick, full, .. } => Some((tick, full)),
            _ => None,
        })
        .await;
        seen.push((tick, full));
        if tick > u32::MAX - NEAR {
            saw_before = true;
        } else if saw_before && tick < NEAR {
            break full;
        }
    };
    assert!(!first_after, "the first snapshot after the wrap should be a delta, not a full");

    let sent = mover.send_input(Vec2::Y).expect("the input should be sent");
    let (sequence, tick) = wait_for(&mut mover, "the ack after the wrap", |_, event| match event {
        Event::InputAck { sequence, tick } if sequence == sent => Some((sequence, tick)),
        _ => None,
    })
    .await;
    assert!(tick < NEAR, "the ack of input {sequence} should name a tick after the wrap: {tick}");

    let (mine, theirs) = at_same_tick(&mut mover, &mut watcher).await;
    assert!(mine.tick < NEAR, "both mirrors should be past the wrap: {}", mine.tick);
    assert_eq!(mine, theirs, "mirrors should agree after the wrap");
    server.stop().await.expect("the server should stop cleanly");
}
