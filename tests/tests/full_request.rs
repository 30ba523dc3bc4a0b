//! `FullSnapshotRequest` is answered at once: the full snapshot comes before the next
//! frame and before the next ping, even when the client asks right after a snapshot (a
//! delta that did not fit), when the frame it asks about was already sent as a delta.

use tickwire_client::{Client, Event};
use tickwire_protocol::{ClientMessage, Settings};
use tickwire_tests::{TestServer, next_snapshot, test_config, wait_for};

/// What came after a request made right after a snapshot.
#[derive(Debug, PartialEq)]
struct Answer {
    /// The tick of the snapshot the request followed.
    asked_after: u32,
    /// The first snapshot after the request: its tick and whether it was full.
    snapshot: (u32, bool),
    /// Whether a ping came between the request and that snapshot.
    ping_first: bool,
}

/// Asks for a full snapshot right after a snapshot arrives (as a client whose delta did
/// not fit does), and says what came next.
async fn request_right_after_a_snapshot(client: &mut Client) -> Answer {
    let asked_after = wait_for(client, "a snapshot", |_, event| match event {
        Event::Snapshot { tick, .. } => Some(tick),
        _ => None,
    })
    .await;
    client.send(ClientMessage::FullSnapshotRequest.encode()).expect("the request should be sent");
    let mut ping_first = false;
    let snapshot = wait_for(client, "the answer to the request", |_, event| match event {
        Event::Snapshot { tick, full, .. } => Some((tick, full)),
        Event::RoundTrip(_) => {
            ping_first = true;
            None
        }
        _ => None,
    })
    .await;
    Answer { asked_after, snapshot, ping_first }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_right_after_a_heartbeat_in_a_still_world_is_answered_before_the_next_ping() {
    let mut config = test_config();
    config.sim.npcs = 0; // A still world: a heartbeat once a second, with the ping.
    let server = TestServer::start(config).await;
    let mut client = server.connect().await;
    next_snapshot(&mut client, "the first, full snapshot").await;

    let answer = request_right_after_a_snapshot(&mut client).await;
    assert!(
        answer.snapshot.1 && !answer.ping_first,
        "a full snapshot should come before the next ping (the next wakeup): {answer:?}"
    );
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_right_after_a_snapshot_in_a_moving_world_gets_that_frame_in_full() {
    let mut config = test_config();
    // NPCs keep moving, and a snapshot goes out once a second.
    config.sim.settings = Settings { tick_rate_hz: 30, broadcast_every: 30, ..config.sim.settings };
    let server = TestServer::start(config).await;
    let mut client = server.connect().await;
    next_snapshot(&mut client, "the first, full snapshot").await;

    for _ in 0..2 {
        let answer = request_right_after_a_snapshot(&mut client).await;
        assert_eq!(
            answer.snapshot,
            (answer.asked_after, true),
            "the frame just sent as a delta should come again in full, before the next frame"
        );
    }
    server.stop().await.expect("the server should stop cleanly");
}
