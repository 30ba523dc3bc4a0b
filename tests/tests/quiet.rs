//! Quiet skipping: while nothing changes, a client gets a heartbeat snapshot with each
//! ping (every ping interval, stretching to the quiet interval `Welcome` names) instead of
//! every broadcast; any change (an actor moving, a new actor) is sent at the next
//! broadcast, as a delta from the state the client holds. The servers here ping every
//! second (2 s by default), so that a few seconds show the pattern.

use std::time::Duration;

use tickwire_client::{Client, Event};
use tickwire_protocol::ClientMessage;
use tickwire_server::ServerConfig;
use tickwire_tests::{TestServer, next_snapshot, test_config, wait_for};
use tokio::time::{Instant, timeout_at};

/// The tests' configuration, pinging every second.
fn pinging_every_second() -> ServerConfig {
    let mut config = test_config();
    config.net.ping_interval = Duration::from_secs(1);
    config
}

/// Snapshots a client gets within `window`.
async fn snapshots_within(client: &mut Client, window: Duration) -> u32 {
    let deadline = Instant::now() + window;
    let mut snapshots = 0;
    loop {
        match timeout_at(deadline, client.next_event()).await {
            Ok(Some(Event::Snapshot { .. })) => snapshots += 1,
            Ok(Some(Event::Desync(error))) => panic!("a quiet delta did not fit: {error}"),
            Ok(Some(Event::Closed { reason, .. })) => panic!("closed: {reason}"),
            Ok(Some(_)) => {}
            Ok(None) => panic!("the connection ended"),
            Err(_) => return snapshots,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_still_world_is_sent_as_heartbeats_and_changes_at_once() {
    let mut config = pinging_every_second(); // 60 Hz, a broadcast every 2 ticks: 30 a second
    config.sim.npcs = 0;
    let server = TestServer::start(config).await;
    let mut watcher = server.connect().await;
    next_snapshot(&mut watcher, "the first, full snapshot").await;

    let still = snapshots_within(&mut watcher, Duration::from_millis(1500)).await;
    assert!(
        (1..=6).contains(&still),
        "a still world should send a few heartbeats in 1.5 s, not 45 broadcasts: {still}"
    );

    let mut mover = server.connect().await;
    let seen = next_snapshot(&mut watcher, "the snapshot with the newcomer").await;
    assert_eq!(seen.len(), 2, "the new actor should arrive at once");
    mover.send_input(glam::Vec2::X).expect("the input should be sent");
    let moving = snapshots_within(&mut watcher, Duration::from_millis(1000)).await;
    assert!(moving >= 20, "a moving actor should be sent at every broadcast: {moving} in 1 s");

    let (_, metrics) = server.http(hyper::Method::GET, "/metrics", "", None).await;
    let quiet = metrics
        .lines()
        .find_map(|line| line.strip_prefix("tickwire_frames_quiet_total "))
        .and_then(|value| value.parse::<f64>().ok())
        .expect("/metrics should count quiet frames");
    assert!(quiet >= 30.0, "the still 1.5 s should be counted as quiet frames: {quiet}");
    server.stop().await.expect("the server should stop cleanly");
}

/// A server with a still world (no NPCs; a 6 s idle timeout, so the quiet interval is
/// 3 s) and a client that has just had a ping, so its next wakeup is about a second away.
async fn still_world_just_after_a_ping() -> (TestServer, Client) {
    let mut config = pinging_every_second();
    config.sim.npcs = 0;
    config.net.idle_timeout = Duration::from_secs(6);
    let server = TestServer::start(config).await;
    let mut client = server.connect().await;
    next_snapshot(&mut client, "the first, full snapshot").await;
    wait_for(&mut client, "a ping", |_, event| matches!(event, Event::RoundTrip(_)).then_some(()))
        .await;
    (server, client)
}

/// The gaps between the pings `client` gets within `window`, from now.
async fn ping_gaps(client: &mut Client, window: Duration) -> Vec<Duration> {
    let deadline = Instant::now() + window;
    let mut last = Instant::now();
    let mut gaps = Vec::new();
    while let Ok(Some(event)) = timeout_at(deadline, client.next_event()).await {
        if matches!(event, Event::RoundTrip(_)) {
            gaps.push(last.elapsed());
            last = Instant::now();
        }
    }
    gaps
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_snapshot_request_in_a_still_world_is_answered_at_once() {
    let (server, mut client) = still_world_just_after_a_ping().await;
    snapshots_within(&mut client, Duration::from_millis(100)).await; // the heartbeat

    client.send(ClientMessage::FullSnapshotRequest.encode()).expect("the request should be sent");
    let answer = wait_for(&mut client, "the full snapshot", |_, event| match event {
        Event::Snapshot { full, .. } => Some(Ok(full)),
        Event::RoundTrip(_) => Some(Err(())),
        _ => None,
    })
    .await;
    assert_eq!(
        answer,
        Ok(true),
        "the full snapshot should come before the next wakeup's ping, not with it"
    );
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_client_is_pinged_less_and_less_often_down_to_the_interval_it_was_told() {
    let (server, mut client) = still_world_just_after_a_ping().await;
    assert_eq!(client.welcome().quiet_interval_ms, 3000, "half the idle timeout");
    let gaps = ping_gaps(&mut client, Duration::from_millis(9500)).await;
    let seconds: Vec<f32> = gaps.iter().map(Duration::as_secs_f32).collect();
    // Wakeups 1 s, then 2 s, then 3 s (doubled, and capped at the quiet interval) apart:
    // pings at about 1, 3, 6 and 9 s. Every second, as in a moving world, would be 9.
    assert!((3..=4).contains(&gaps.len()), "pings stretch while nothing changes: {seconds:?}");
    let expected = [1.0, 2.0, 3.0, 3.0];
    for (gap, expected) in seconds.iter().zip(expected) {
        assert!((gap - expected).abs() < 0.6, "gaps of 1, 2, then 3 s: {seconds:?}");
    }
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_in_a_moving_world_is_pinged_every_ping_interval() {
    let mut config = pinging_every_second(); // Three wandering NPCs.
    config.net.idle_timeout = Duration::from_secs(6);
    let server = TestServer::start(config).await;
    let mut client = server.connect().await;
    wait_for(&mut client, "a ping", |_, event| matches!(event, Event::RoundTrip(_)).then_some(()))
        .await;
    let gaps = ping_gaps(&mut client, Duration::from_millis(4500)).await;
    let seconds: Vec<f32> = gaps.iter().map(Duration::as_secs_f32).collect();
    assert!((4..=5).contains(&gaps.len()), "4.5 s after a ping, 4 more: {seconds:?}");
    server.stop().await.expect("the server should stop cleanly");
}
