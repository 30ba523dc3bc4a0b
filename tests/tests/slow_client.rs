//! A client that stops reading never slows the tick or other clients, and when it reads
//! again it skips to the newest snapshot instead of working through a backlog.

use tickwire_client::Event;
use tickwire_protocol::{Settings, ThrottleReason};
use tickwire_tests::{TestServer, WAIT, at_same_tick, next_snapshot, test_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_client_skips_ahead_and_never_slows_the_others() {
    let mut config = test_config();
    // Big, frequent snapshots and small socket buffers fill the stalled pipe quickly.
    config.sim.settings = Settings { tick_rate_hz: 30, broadcast_every: 1, ..config.sim.settings };
    // ~200 KB/s of deltas: the stalled pipe (socket buffers and the client's event queue,
    // ~400 KB) fills in about two seconds of the six-second stall.
    config.sim.npcs = 2000;
    config.net.send_buffer_bytes = Some(16 * 1024);
    let server = TestServer::start(config).await;
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
