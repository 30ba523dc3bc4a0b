//! A client can cap its own snapshot rate; the server says what rate it now gets, sticks
//! to it, and lifts it on request.

use tickwire_client::Client;
use tickwire_protocol::{SnapshotRate, ThrottleReason};
use tickwire_tests::{TestServer, next_rate, next_snapshot, test_config};

async fn gaps(client: &mut Client, count: usize) -> Vec<u32> {
    let mut ticks = Vec::new();
    for _ in 0..count {
        ticks.push(next_snapshot(client, "counting snapshots").await.tick);
    }
    ticks.windows(2).map(|pair| pair[1] - pair[0]).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cap_lowers_the_rate_until_lifted() {
    let server = TestServer::start(test_config()).await; // 60 Hz, every 2 ticks: 30 per second
    let mut client = server.connect().await;
    next_snapshot(&mut client, "before the cap").await;

    client.request_snapshot_rate(6).expect("the request should be sent");
    let capped = next_rate(&mut client, "rate").await;
    assert_eq!(
        capped,
        SnapshotRate { every_ticks: 10, reason: ThrottleReason::ClientCap },
        "6 per second at 60 Hz"
    );
    next_snapshot(&mut client, "first capped snapshot").await;
    let capped_gaps = gaps(&mut client, 6).await;
    assert!(
        capped_gaps.iter().all(|gap| *gap >= 10),
        "capped snapshots should be 10 ticks apart: {capped_gaps:?}"
    );

    client.request_snapshot_rate(0).expect("the request should be sent");
    let lifted = next_rate(&mut client, "rate").await;
    assert_eq!(
        lifted,
        SnapshotRate { every_ticks: 2, reason: ThrottleReason::None },
        "the cap should be lifted"
    );
    next_snapshot(&mut client, "first snapshot after lifting").await;
    let free_gaps = gaps(&mut client, 10).await;
    let exact = free_gaps.iter().filter(|gap| **gap == 2).count();
    assert!(
        exact * 10 >= free_gaps.len() * 8,
        "after lifting, snapshots should come every 2 ticks: {free_gaps:?}"
    );
    server.stop().await.expect("the server should stop cleanly");
}
