//! An input moves the own actor, at exactly `movement_speed` units per second of ticks.

use glam::Vec2;
use tickwire_protocol::WorldState;
use tickwire_tests::{TestServer, next_snapshot, test_config};

/// The own actor's position in world units, as the client's mirror has it.
fn own(world: &WorldState, id: u32) -> Vec2 {
    world.position(id).unwrap_or_else(|| {
        panic!("the own actor {id} should be in the mirror at tick {}", world.tick)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_input_moves_the_own_actor_in_later_snapshots() {
    let config = test_config();
    let settings = config.sim.settings;
    let server = TestServer::start(config.clone()).await;
    let mut client = server.connect().await;
    let me = client.welcome().actor_id;
    let start = own(&next_snapshot(&mut client, "before input").await, me);

    // Head for the far side so the walk cannot hit a wall within the test.
    let direction = if start.x < config.sim.arena_size.x / 2.0 { Vec2::X } else { Vec2::NEG_X };
    client.send_input(direction).expect("sending an input should work");

    // Wait until the actor moves, then measure over a stretch of ticks.
    let mut first = next_snapshot(&mut client, "waiting for movement").await;
    while own(&first, me) == start {
        first = next_snapshot(&mut client, "waiting for movement").await;
    }
    let mut last = next_snapshot(&mut client, "measuring movement").await;
    while last.tick < first.tick + 20 {
        last = next_snapshot(&mut client, "measuring movement").await;
    }
    let moved = own(&last, me) - own(&first, me);
    let seconds = (last.tick - first.tick) as f32 / f32::from(settings.tick_rate_hz);
    let expected = direction * settings.movement_speed * seconds;
    assert!(
        moved.abs_diff_eq(expected, 2.0 / f32::from(settings.position_steps_per_unit)),
        "over {} ticks the actor should move {expected} (speed x ticks, to within quantisation), moved {moved}",
        last.tick - first.tick
    );
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_acks_the_newest_input_it_applied_before_the_snapshot_of_that_tick() {
    use tickwire_client::Event;
    use tickwire_tests::wait_for;

    let server = TestServer::start(test_config()).await;
    let mut client = server.connect().await;
    next_snapshot(&mut client, "before input").await;
    let mut last = 0;
    for _ in 0..3 {
        last = client.send_input(Vec2::Y).expect("sending an input should work");
    }
    let (sequence, tick) =
        wait_for(&mut client, "an ack of the last input", |_, event| match event {
            Event::InputAck { sequence, tick } if sequence == last => Some((sequence, tick)),
            _ => None,
        })
        .await;
    assert_eq!(sequence, 3, "the newest input should be acked");
    let snapshot = next_snapshot(&mut client, "the snapshot after the ack").await;
    assert_eq!(snapshot.tick, tick, "an ack should precede the snapshot of its tick");
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_input_ack_is_sent_before_the_first_input() {
    use tickwire_client::Event;
    use tickwire_tests::wait_for;

    let server = TestServer::start(test_config()).await;
    let mut client = server.connect().await;
    let mut snapshots = 0;
    let early_ack = wait_for(&mut client, "ten snapshots without input", |_, event| match event {
        Event::InputAck { sequence, .. } => Some(Some(sequence)),
        Event::Snapshot { .. } => {
            snapshots += 1;
            (snapshots == 10).then_some(None)
        }
        _ => None,
    })
    .await;
    assert_eq!(early_ack, None, "no input was sent, so none should be acked");
    let sent = client.send_input(Vec2::Y).expect("sending an input should work");
    let acked = wait_for(&mut client, "the first ack", |_, event| match event {
        Event::InputAck { sequence, .. } => Some(sequence),
        _ => None,
    })
    .await;
    assert_eq!(acked, sent, "the first ack should be for the first input");
    server.stop().await.expect("the server should stop cleanly");
}
