//! Over real sockets, a client that has applied many deltas holds exactly what a client
//! that just joined receives in full.

use tickwire_client::Event;
use tickwire_tests::{TestServer, WAIT, at_same_tick, test_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mirror_built_from_many_deltas_equals_a_full_snapshot() {
    let mut config = test_config();
    config.sim.npcs = 200;
    let server = TestServer::start(config).await;
    let mut veteran = server.connect().await;

    let (mut fulls, mut deltas, mut delta_bytes, mut full_bytes) = (0, 0, 0, 0);
    let wait = async {
        while deltas < 150 {
            match veteran.next_event().await {
                Some(Event::Snapshot { full: true, bytes, .. }) => {
                    (fulls, full_bytes) = (fulls + 1, bytes)
                }
                Some(Event::Snapshot { full: false, bytes, .. }) => {
                    (deltas, delta_bytes) = (deltas + 1, delta_bytes + bytes)
                }
                Some(Event::Desync(error)) => {
                    panic!("a delta should always fit the mirror: {error}")
                }
                Some(Event::Closed { reason, .. }) => {
                    panic!("the veteran should stay connected: {reason}")
                }
                _ => {}
            }
        }
    };
    tokio::time::timeout(WAIT, wait).await.expect("150 deltas should arrive in time");
    assert_eq!(fulls, 1, "only the first snapshot should be full");
    assert!(
        delta_bytes / deltas < full_bytes,
        "a delta ({} bytes on average) should be smaller than the full snapshot ({full_bytes} bytes)",
        delta_bytes / deltas
    );

    // A newcomer starts from a full snapshot; compare both mirrors at the same tick.
    let mut newcomer = server.connect().await;
    let (old, fresh) = at_same_tick(&mut veteran, &mut newcomer).await;
    assert_eq!(old.len(), 202, "both mirrors should hold 200 NPCs and 2 players");
    assert_eq!(
        old, fresh,
        "after {deltas} deltas the mirror should equal a full snapshot of tick {}",
        old.tick
    );
    server.stop().await.expect("the server should stop cleanly");
}
