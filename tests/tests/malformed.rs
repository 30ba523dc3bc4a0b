//! Bad frames end only the session that sent them, with a code and a reason.

use bytes::Bytes;
use tickwire_client::Client;
use tickwire_tests::{TestServer, closed, next_snapshot, test_config};

/// Sends `frame` from a fresh client, checks the close, and checks a bystander keeps
/// receiving snapshots.
async fn rejected(frame: Bytes, expected_code: u16, reason_contains: &str) {
    let server = TestServer::start(test_config()).await;
    let mut bystander = server.connect().await;
    let mut offender: Client = server.connect().await;
    let before = next_snapshot(&mut bystander, "bystander before").await.tick;

    offender.send(frame).expect("the offender should be able to send");
    let (code, reason) = closed(&mut offender, "offender").await;
    assert_eq!(
        code,
        Some(expected_code),
        "the offender should be closed with {expected_code}: {reason}"
    );
    assert!(
        reason.contains(reason_contains),
        "the reason should mention {reason_contains:?}: {reason}"
    );

    let mut last = before;
    for _ in 0..5 {
        let tick =
            next_snapshot(&mut bystander, "bystander after the offender was closed").await.tick;
        assert!(tick > last, "the bystander's snapshots should keep advancing");
        last = tick;
    }
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_garbage_frame_closes_only_that_session() {
    rejected(Bytes::from_static(b"\x05\x00\x00\x00garbage!"), 1002, "malformed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_over_the_size_limit_closes_only_that_session() {
    rejected(Bytes::from(vec![0u8; 64 * 1024]), 1009, "exceeds").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_hello_closes_only_that_session() {
    let hello = tickwire_protocol::ClientMessage::Hello(tickwire_protocol::Hello::new());
    rejected(hello.encode(), 1002, "Hello").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_frame_is_refused() {
    use tickwire_tests::{raw_close, raw_connect};
    use tokio_tungstenite::tungstenite::Message;
    let server = TestServer::start(test_config()).await;
    let mut socket = raw_connect(&server, Message::Text("{\"hello\": 1}".into())).await;
    let (code, reason) = raw_close(&mut socket, "text frame").await;
    assert_eq!(code, 1003, "a text frame should close with 1003");
    assert!(
        reason.contains("text frames"),
        "the reason should say text frames are not supported: {reason}"
    );
    server.stop().await.expect("the server should stop cleanly");
}
