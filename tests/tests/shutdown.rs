//! A graceful shutdown tells every client why, and `run` returns.

use tickwire_tests::{TestServer, closed, next_snapshot, test_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_sends_every_client_a_reason() {
    let server = TestServer::start(test_config()).await;
    let mut first = server.connect().await;
    let mut second = server.connect().await;
    next_snapshot(&mut first, "first").await;
    next_snapshot(&mut second, "second").await;

    server.stop().await.expect("run should return Ok after a graceful shutdown");
    for (client, name) in [(&mut first, "first"), (&mut second, "second")] {
        let (code, reason) = closed(client, name).await;
        assert_eq!(code, Some(1001), "the {name} client should be told the server is going away");
        assert!(
            reason.contains("shutting down"),
            "the {name} client should get a reason: {reason}"
        );
    }
}
