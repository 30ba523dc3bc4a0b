//! Gameplay events reach every client in order and without gaps: across snapshots it
//! skips (a capped rate) and across a dropped connection it resumes.

use std::time::Duration;

use bevy_ecs::prelude::*;
use tickwire_client::{Client, ClientBuilder, Event};
use tickwire_sim::resources::{GameEvents, Tick};
use tickwire_sim::{SimSet, Simulation};
use tickwire_tests::{Proxy, TestServer, next_snapshot, test_config, wait_for};

/// A game that sends a "beat" event every tick, carrying the tick.
fn heartbeat_game(simulation: &mut Simulation) {
    simulation.replicate_events(&["beat"]);
    simulation.add_systems(SimSet::Simulate, |tick: Res<Tick>, mut events: ResMut<GameEvents>| {
        events.send(0, 0, 0, tick.0 as i32);
    });
}

/// Collects beat values until one reaches `until`.
async fn beats_until(client: &mut Client, until: i32) -> Vec<i32> {
    let mut beats = Vec::new();
    while beats.last().is_none_or(|&last| last < until) {
        let batch = wait_for(client, "beats", |_, event| match event {
            Event::Game { events, .. } => Some(events),
            _ => None,
        })
        .await;
        beats.extend(batch.iter().map(|event| event.value));
    }
    beats
}

fn assert_contiguous(beats: &[i32], what: &str) {
    assert!(
        beats.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "{what}: beats should have no gaps: {beats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_not_lost_when_snapshots_are_skipped() {
    let server = TestServer::start_game("127.0.0.1:0", test_config(), heartbeat_game).await; // 60 Hz
    let mut client = server.connect().await;
    assert_eq!(
        client.welcome().event_names,
        vec!["beat".to_owned()],
        "Welcome should name the event kinds"
    );
    client.request_snapshot_rate(3).expect("the cap should be sent"); // one snapshot in 20 ticks
    next_snapshot(&mut client, "first snapshot").await;
    let first = beats_until(&mut client, 0).await[0];
    let beats = beats_until(&mut client, first + 120).await;
    assert_contiguous(&beats, "a capped client");
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_client_gets_the_events_it_missed() {
    let server = TestServer::start_game("127.0.0.1:0", test_config(), heartbeat_game).await;
    let proxy = Proxy::start(server.addr).await;
    let mut client = ClientBuilder::new(proxy.ws_url())
        .retry(Duration::from_millis(50), Duration::from_millis(300), 50)
        .connect()
        .await
        .expect("the client should connect");
    let before = beats_until(&mut client, 0).await;
    let start = *before.last().unwrap_or(&0);
    let mut beats = beats_until(&mut client, start + 10).await;

    proxy.cut();
    tokio::time::sleep(Duration::from_millis(300)).await; // beats go on while it is away
    let last = *beats.last().unwrap_or(&0);
    beats.extend(beats_until(&mut client, last + 60).await);
    assert_contiguous(&beats, "a client that dropped and resumed");
    server.stop().await.expect("the server should stop cleanly");
}
