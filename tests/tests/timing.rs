//! Snapshot timing (`Hello.timing`): a client that asks gets the publication time of each
//! snapshot right before it, so it can measure delivery latency; a client that does not
//! ask gets nothing extra.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tickwire_client::{ClientBuilder, Event};
use tickwire_tests::{TestServer, next_snapshot, test_config, wait_for};

fn unix_us_now() -> u64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).expect("the clock is after 1970");
    u64::try_from(since.as_micros()).expect("microseconds fit u64")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timing_client_gets_each_snapshots_publication_time_first() {
    let server = TestServer::start(test_config()).await;
    let mut client = ClientBuilder::new(server.ws_url())
        .timing(true)
        .connect()
        .await
        .expect("a timing client should connect");
    let mut stamped = 0;
    while stamped < 10 {
        let (tick, published) =
            wait_for(&mut client, "a snapshot timing", |_, event| match event {
                Event::SnapshotTiming { tick, published_unix_us } => {
                    Some((tick, published_unix_us))
                }
                _ => None,
            })
            .await;
        let received = unix_us_now();
        assert!(published <= received, "published {published} µs is after receipt {received} µs");
        assert!(
            received - published < 5_000_000,
            "a snapshot took {} µs from publication to receipt",
            received - published
        );
        let next = wait_for(&mut client, "the stamped snapshot", |_, event| match event {
            Event::Snapshot { tick, .. } => Some(tick),
            Event::SnapshotTiming { tick, .. } => panic!("two timings in a row (tick {tick})"),
            _ => None,
        })
        .await;
        assert_eq!(next, tick, "the timing should name the snapshot that follows it");
        stamped += 1;
    }
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_client_gets_no_timing() {
    let server = TestServer::start(test_config()).await;
    let mut client = server.connect().await;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
    let mut snapshots = 0;
    while tokio::time::Instant::now() < deadline {
        match tokio::time::timeout_at(deadline, client.next_event()).await {
            Ok(Some(Event::SnapshotTiming { tick, .. })) => {
                panic!("a client that did not ask got a timing for tick {tick}")
            }
            Ok(Some(Event::Snapshot { .. })) => snapshots += 1,
            Ok(Some(_)) => {}
            Ok(None) => panic!("the connection ended"),
            Err(_) => break,
        }
    }
    assert!(snapshots >= 5, "only {snapshots} snapshots in 500 ms at 30 a second");
    next_snapshot(&mut client, "still served").await;
    server.stop().await.expect("the server should stop cleanly");
}
