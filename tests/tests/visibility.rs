//! Players see each other, and a player who leaves disappears for the others.

use tickwire_protocol::ActorKind;
use tickwire_tests::{TestServer, next_snapshot, snapshot_after, test_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_see_each_others_actors_and_a_leaver_disappears() {
    let server = TestServer::start(test_config()).await;
    let mut alice = server.connect().await;
    let mut bob = server.connect().await;
    let (alice_id, bob_id) = (alice.welcome().actor_id, bob.welcome().actor_id);

    let bob_joined = bob.welcome().tick;
    let seen_by_alice = snapshot_after(&mut alice, bob_joined, "alice").await;
    let bob_seen_by_alice = seen_by_alice.get(bob_id);
    assert_eq!(
        bob_seen_by_alice.map(|actor| actor.kind),
        Some(ActorKind::Player),
        "alice should see bob's actor as a player"
    );
    let seen_by_bob = next_snapshot(&mut bob, "bob").await;
    assert!(seen_by_bob.get(alice_id).is_some(), "bob should see alice's actor");

    drop(bob);
    let mut snapshot = next_snapshot(&mut alice, "after bob left").await;
    for _ in 0..120 {
        if snapshot.get(bob_id).is_none() {
            break;
        }
        snapshot = next_snapshot(&mut alice, "after bob left").await;
    }
    assert!(snapshot.get(bob_id).is_none(), "bob's actor should disappear after he leaves");
    assert!(snapshot.get(alice_id).is_some(), "alice's actor should stay");
    server.stop().await.expect("the server should stop cleanly");
}
