//! A graceful shutdown tells every client why, and `run` returns.

use tickwire_client::{Client, Event};
use tickwire_tests::{TestServer, WAIT, next_snapshot, test_config};

/// The client's first `Reconnecting` or `Closed` event.
async fn connection_end(client: &mut Client, name: &str) -> Event {
    let wait = async {
        loop {
            match client.next_event().await {
                Some(event @ (Event::Reconnecting { .. } | Event::Closed { .. })) => return event,
                Some(_) => {}
                None => panic!("{name}: events ended without a Reconnecting or Closed event"),
            }
        }
    };
    tokio::time::timeout(WAIT, wait)
        .await
        .unwrap_or_else(|_| panic!("{name}: not closed within {WAIT:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_sends_every_client_a_reason() {
    let server = TestServer::start(test_config()).await;
    let mut first = server.connect().await;
    let mut second = server.connect().await;
    next_snapshot(&mut first, "first").await;
    next_snapshot(&mut second, "second").await;

    server.stop().await.expect("run should return Ok after a graceful shutdown");
    for (client, name) in [(&mut first, "first"), (&mut second, "second")] {
        let event = connection_end(client, name).await;
        let Event::Reconnecting { code, reason } = &event else {
            panic!(
                "the {name} client should come back after a restart (1001 is retried), not {event:?}"
            )
        };
        assert_eq!(*code, Some(1001), "the {name} client should be told the server is going away");
        assert!(
            reason.contains("shutting down"),
            "the {name} client should get a reason: {reason}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_within_its_bound_even_with_clients_that_never_read() {
    let mut config = test_config();
    config.shutdown_grace = std::time::Duration::from_millis(500);
    config.sim.npcs = 500;
    let server = TestServer::start(config).await;
    // One client that stops reading after its first snapshot, one raw socket that never
    // reads at all (and so never answers the close).
    let mut stalled = server.connect().await;
    next_snapshot(&mut stalled, "stalled").await;
    let _silent = tickwire_tests::raw_connect(
        &server,
        tokio_tungstenite::tungstenite::Message::Binary(
            tickwire_protocol::ClientMessage::Hello(tickwire_protocol::Hello::new()).encode(),
        ),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // `stop` fails the test if `run` has not returned within the test wait.
    server.stop().await.expect("run should return Ok within its shutdown bound");
}
