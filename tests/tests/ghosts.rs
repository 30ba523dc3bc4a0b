//! Actors waiting for a resume ("ghosts") count toward the session limits: a client that
//! connects, says `Hello` and drops, over and over, cannot fill the world with actors.
//! A newcomer who needs a slot takes the oldest ghost's; live sessions are never evicted.

use tickwire_protocol::{Hello, ResumeToken};
use tickwire_tests::{TestServer, raw_hello, test_config};

const PER_ADDRESS: usize = 3;

/// Connects, says `Hello` (with `token`), and drops without a goodbye once the server
/// has noticed (no session left open). Returns whether it resumed and its token.
async fn hello_and_drop(server: &TestServer, token: Option<ResumeToken>) -> (bool, ResumeToken) {
    let (socket, welcome) = raw_hello(server, Hello { resume_token: token, ..Hello::new() }).await;
    drop(socket);
    server.metric_until("tickwire_sessions", |open| open == 0.0).await;
    (welcome.resumed, welcome.resume_token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_sessions_cannot_fill_the_world_and_the_oldest_make_room() {
    let mut config = test_config();
    config.sim.npcs = 0;
    config.net.max_sessions_per_address = PER_ADDRESS;
    let server = TestServer::start(config).await; // grace window: 30 s

    let mut tokens = Vec::new();
    for round in 0..3 * PER_ADDRESS {
        let (_, token) = hello_and_drop(&server, None).await;
        tokens.push(token);
        // The actor count is published with each frame (every 2 ticks): wait for a frame
        // that has this round's actor in it.
        let actors = server.metric_until("tickwire_actors", |actors| actors >= 1.0).await;
        assert!(
            actors <= PER_ADDRESS as f64,
            "round {round}: actors waiting for a resume should never exceed the per-address \
             limit of {PER_ADDRESS}, found {actors}"
        );
    }
    let evicted = server.metric("tickwire_sessions_evicted_total").await;
    assert_eq!(
        evicted,
        (2 * PER_ADDRESS) as f64,
        "each session beyond the limit should evict one dropped session's actor"
    );
    server.metric_until("tickwire_actors", |actors| actors == PER_ADDRESS as f64).await;

    let (resumed, _) = hello_and_drop(&server, Some(tokens[0])).await;
    assert!(!resumed, "an evicted session's token should start a fresh session");
    let newest = tokens[3 * PER_ADDRESS - 1];
    let (resumed, _) = hello_and_drop(&server, Some(newest)).await;
    assert!(resumed, "the newest dropped sessions should still be resumable");
    server.stop().await.expect("the server should stop cleanly");
}
