//! A client that stops reading never slows the tick or other clients, and when it reads
//! again it skips to the newest snapshot instead of working through a backlog.

use std::time::Duration;

use futures_util::SinkExt;
use tickwire_client::Event;
use tickwire_protocol::{ClientMessage, Hello, Settings, ThrottleReason};
use tickwire_server::ServerConfig;
use tickwire_tests::{TestServer, WAIT, at_same_tick, next_snapshot, test_config};
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::Message;

/// A world whose snapshots fill a stalled client's pipe within a second: 30 Hz, a
/// snapshot every tick, 2000 NPCs (~200 KB/s of deltas), a 16 KiB send buffer.
fn busy_world() -> ServerConfig {
    let mut config = test_config();
    config.sim.settings = Settings { tick_rate_hz: 30, broadcast_every: 1, ..config.sim.settings };
    config.sim.npcs = 2000;
    config.net.send_buffer_bytes = Some(16 * 1024);
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_client_skips_ahead_and_never_slows_the_others() {
    // The stalled pipe (socket buffers and the client's event queue, ~400 KB) fills in
    // about two seconds of the six-second stall.
    let server = TestServer::start(busy_world()).await;
    let mut stalled = server.connect().await;
    let mut reader = server.connect().await;
    next_snapshot(&mut stalled, "stalled, before stalling").await;

    // The stalled client reads nothing while the other one takes 180 snapshots (6 s).
    let mut ticks = Vec::new();
    for _ in 0..180 {
        ticks.push(next_snapshot(&mut reader, "the reading client").await.tick);
    }
    let gaps: Vec<u32> = ticks.windows(2).map(|pair| pair[1] - pair[0]).collect();
    let exact = gaps.iter().filter(|gap| **gap == 1).count();
    assert!(
        exact * 10 >= gaps.len() * 8,
        "the reading client should still get a snapshot every tick while another stalls: {gaps:?}"
    );

    // Reading again: what was already in the pipes comes first, then one jump to the newest.
    // On the way the server says it throttled this client for congestion.
    let newest = *ticks.last().unwrap_or(&0);
    let mut seen = Vec::new();
    let mut rates = Vec::new();
    let catch_up = async {
        while seen.last().is_none_or(|tick| *tick < newest) {
            match stalled.next_event().await {
                Some(Event::Snapshot { tick, .. }) => seen.push(tick),
                Some(Event::SnapshotRate(rate)) => rates.push(rate),
                Some(Event::Closed { reason, .. }) => {
                    panic!("the stalled client should stay connected: {reason}")
                }
                Some(Event::Desync(error)) => panic!("snapshots should fit the mirror: {error}"),
                Some(_) => {}
                None => panic!("the stalled client's events ended"),
            }
        }
    };
    tokio::time::timeout(WAIT, catch_up).await.expect("the stalled client should catch up in time");
    assert!(
        rates.iter().any(|rate| rate.reason == ThrottleReason::Congested && rate.every_ticks > 1),
        "the stalled client should be told it was throttled for congestion: {rates:?}"
    );
    let biggest_gap = seen.windows(2).map(|pair| pair[1] - pair[0]).max().unwrap_or(0);
    assert!(
        biggest_gap >= 30,
        "the stalled client should skip the stale snapshots in one jump (largest gap {biggest_gap} ticks): {seen:?}"
    );
    assert!(
        seen.len() < 150,
        "the stalled client should not be sent every missed snapshot ({} received for {} ticks)",
        seen.len(),
        newest
    );

    // And from then on it keeps up, with a mirror equal to the other client's.
    let (mine, theirs) = at_same_tick(&mut stalled, &mut reader).await;
    assert_eq!(mine, theirs, "after skipping ahead the stalled client's mirror should be exact");
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_whose_write_is_blocked_counts_as_throttled_while_it_is_blocked() {
    let server = TestServer::start(busy_world()).await;
    // A client with a small receive buffer that says Hello and never reads again.
    let socket = TcpSocket::new_v4().expect("a socket should be made");
    socket.set_recv_buffer_size(4096).expect("the receive buffer should be set");
    let stream = socket.connect(server.addr).await.expect("the client should connect");
    let (mut stalled, _) = tokio_tungstenite::client_async(server.ws_url(), stream)
        .await
        .expect("the WebSocket handshake should work");
    let hello = ClientMessage::Hello(Hello::new()).encode();
    stalled.send(Message::Binary(hello)).await.expect("Hello should be sent");

    // Its first snapshot never finishes writing; the gauge must not wait for it to.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut throttled = 0.0;
    while throttled < 1.0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        throttled = server.metric("tickwire_sessions_throttled").await;
    }
    assert_eq!(throttled, 1.0, "the blocked session should count as throttled while blocked");
    drop(stalled);
    server.stop().await.expect("the server should stop cleanly");
}
