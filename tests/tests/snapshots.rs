//! Snapshots arrive every `broadcast_every` ticks, counted in ticks, not wall time.

use tickwire_protocol::Settings;
use tickwire_tests::{TestServer, next_snapshot, test_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_come_every_broadcast_every_ticks() {
    for broadcast_every in [1u16, 3] {
        let mut config = test_config();
        config.sim.settings = Settings { tick_rate_hz: 60, broadcast_every, ..config.sim.settings };
        let server = TestServer::start(config).await;
        let mut client = server.connect().await;

        let mut ticks = Vec::new();
        for _ in 0..30 {
            ticks.push(next_snapshot(&mut client, "counting snapshots").await.tick);
        }
        let every = u32::from(broadcast_every);
        assert!(
            ticks.iter().all(|tick| tick % every == 0),
            "every snapshot tick should be a multiple of {every}: {ticks:?}"
        );
        let gaps: Vec<u32> = ticks.windows(2).map(|pair| pair[1].wrapping_sub(pair[0])).collect();
        assert!(
            gaps.iter().all(|gap| *gap > 0 && gap % every == 0),
            "snapshots should move forward in steps of {every} ticks: {ticks:?}"
        );
        // A session may skip a frame when the machine stalls it; it must never get extra ones.
        let exact = gaps.iter().filter(|gap| **gap == every).count();
        assert!(
            exact * 10 >= gaps.len() * 8,
            "at least 80% of gaps should be exactly {every} ticks: {gaps:?}"
        );
        server.stop().await.expect("the server should stop cleanly");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_hold_every_actor_sorted_by_id() {
    let mut config = test_config();
    config.sim.npcs = 12;
    let server = TestServer::start(config).await;
    let mut client = server.connect().await;
    let own = client.welcome().actor_id;
    let snapshot = next_snapshot(&mut client, "first snapshot").await;
    let ids = snapshot.ids();
    assert_eq!(ids.len(), 13, "a snapshot should hold 12 NPCs and the own actor: {ids:?}");
    assert!(ids.contains(&own), "a snapshot should hold the own actor {own}: {ids:?}");
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "actors should be sorted by id: {ids:?}");
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_larger_than_one_read_of_the_client_arrives_whole() {
    let mut config = test_config();
    // At least 8 bytes an actor (id and position): some 40 KB, more than the 8 KiB a
    // client reads at a time (`tickwire_client::websocket_config`).
    config.sim.npcs = 5000;
    let server = TestServer::start(config).await;
    let mut client = server.connect().await;
    let first = next_snapshot(&mut client, "first snapshot").await;
    assert_eq!(first.ids().len(), 5001, "the first snapshot should hold every actor");
    let next = next_snapshot(&mut client, "a delta after it").await;
    assert!(next.tick > first.tick, "snapshots should keep coming after the large one");
    assert_eq!(client.world().len(), 5001, "the mirror should hold every actor");
    server.stop().await.expect("the server should stop cleanly");
}
