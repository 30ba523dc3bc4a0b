//! A message that never ends costs its sender, not the server: every WebSocket frame takes
//! from the client's message budget (each empty continuation frame too), and a message
//! must be whole within a deadline of its first byte. Bystanders carry on.

use std::time::Duration;

use bytes::Bytes;
use futures_util::SinkExt;
use tickwire_protocol::{ClientMessage, Hello};
use tickwire_tests::{RawSocket, TestServer, next_snapshot, raw_close, raw_connect, test_config};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

fn fragment(opcode: Data, payload: &'static [u8]) -> Message {
    Message::Frame(Frame::message(Bytes::from_static(payload), OpCode::Data(opcode), false))
}

/// A session past its handshake: a `Hello` sent and its `Welcome` waiting to be read.
async fn joined(server: &TestServer) -> RawSocket {
    raw_connect(server, Message::Binary(ClientMessage::Hello(Hello::new()).encode())).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_empty_continuation_frames_are_cut_off_and_others_carry_on() {
    let server = TestServer::start(test_config()).await;
    let mut bystander = server.connect().await;
    let mut flooder = joined(&server).await;

    // A binary message that never ends: a first frame without FIN, then nothing but
    // empty continuation frames, far beyond the burst of 240.
    let _ = flooder.feed(fragment(Data::Binary, b"\x00")).await;
    for _ in 0..20_000 {
        if flooder.feed(fragment(Data::Continue, b"")).await.is_err() {
            break; // The server has closed: that is the point.
        }
    }
    let _ = flooder.flush().await;
    let (code, reason) = raw_close(&mut flooder, "continuation flood").await;
    assert_eq!(code, 4004, "a frame flood should be closed as sending too fast: {reason}");
    assert!(reason.contains("too fast"), "the reason should say so: {reason}");
    let closed = r#"tickwire_sessions_closed_total{reason="rate_limited"}"#;
    assert_eq!(server.metric(closed).await, 1.0, "the closure should be counted");

    let before = next_snapshot(&mut bystander, "bystander").await.tick;
    let after = next_snapshot(&mut bystander, "bystander").await.tick;
    assert!(after > before, "the bystander should keep getting snapshots");
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_left_unfinished_is_closed_at_its_deadline_not_the_idle_timeout() {
    let mut config = test_config();
    config.net.idle_timeout = Duration::from_secs(60);
    let server = TestServer::start(config).await;
    let mut slow = joined(&server).await;
    slow.send(fragment(Data::Binary, b"\x00")).await.expect("the first fragment should be sent");
    // Then silence: the idle timeout is a minute away, the message deadline much closer.
    let closing = raw_close(&mut slow, "unfinished message");
    let (code, reason) = tokio::time::timeout(Duration::from_secs(8), closing)
        .await
        .expect("an unfinished message should be closed long before the idle timeout");
    assert_eq!(code, 1008, "an unfinished message should be a policy violation: {reason}");
    assert!(reason.contains("whole within"), "the reason should name the deadline: {reason}");
    server.stop().await.expect("the server should stop cleanly");
}
