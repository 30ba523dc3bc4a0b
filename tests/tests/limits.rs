//! Every admission limit holds and every refusal says why, with a close code and a
//! reason; the sessions already admitted carry on.

use std::time::Duration;

use bytes::Bytes;
use futures_util::SinkExt;
use tickwire_protocol::{ClientMessage, Hello, Pong};
use tickwire_tests::{TestServer, closed, next_snapshot, raw_close, raw_connect, test_config};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

fn hello() -> Message {
    Message::Binary(ClientMessage::Hello(Hello::new()).encode())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_server_says_so() {
    let mut config = test_config();
    config.net.max_sessions = 2;
    let server = TestServer::start(config).await;
    let mut first = server.connect().await;
    let _second = server.connect().await;
    let mut third = raw_connect(&server, hello()).await;
    let (code, reason) = raw_close(&mut third, "third session").await;
    assert_eq!(code, 1013, "a full server should close with 1013 (try again later)");
    assert!(reason.contains("full"), "the reason should say the server is full: {reason}");
    next_snapshot(&mut first, "an admitted session").await;
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_take_every_slot() {
    let mut config = test_config();
    config.net.max_sessions_per_address = 1;
    let server = TestServer::start(config).await;
    let _first = server.connect().await;
    let mut second = raw_connect(&server, hello()).await;
    let (code, reason) = raw_close(&mut second, "second session from one address").await;
    assert_eq!(code, 4002, "too many sessions from one address should close with 4002");
    assert!(reason.contains("address"), "the reason should name the address limit: {reason}");
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_from_other_origins_are_refused() {
    let mut config = test_config();
    config.net.allowed_origins = vec!["https://play.example".into()];
    let server = TestServer::start(config).await;
    for (origin, allowed) in [("https://evil.example", false), ("https://play.example", true)] {
        let mut request =
            server.ws_url().into_client_request().expect("the URL should make a request");
        request.headers_mut().insert("origin", origin.parse().expect("a valid header"));
        let (mut socket, _) =
            tokio_tungstenite::connect_async(request).await.expect("the upgrade should succeed");
        futures_util::SinkExt::send(&mut socket, hello()).await.expect("Hello should be sent");
        if allowed {
            let first = futures_util::StreamExt::next(&mut socket).await;
            assert!(
                matches!(first, Some(Ok(Message::Binary(_)))),
                "{origin} should be welcomed: {first:?}"
            );
        } else {
            let (code, reason) = raw_close(&mut socket, origin).await;
            assert_eq!(code, 4003, "{origin} should be closed with 4003");
            assert!(reason.contains(origin), "the reason should name the origin: {reason}");
        }
    }
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn floods_of_messages_and_of_pings_are_cut_off_and_others_carry_on() {
    let mut config = test_config();
    config.net.max_messages_per_second = 50;
    config.net.message_burst = 50;
    let server = TestServer::start(config).await;
    let mut bystander = server.connect().await;

    let mut flooder = tickwire_client::ClientBuilder::new(server.ws_url())
        .reconnect(false)
        .connect()
        .await
        .expect("the flooder should connect");
    let pong = ClientMessage::Pong(Pong { nonce: 1 }).encode();
    // The server may cut the flood off before it is all queued; that is the point.
    for _ in 0..500 {
        if flooder.send(Bytes::clone(&pong)).is_err() {
            break;
        }
    }
    let (code, reason) = closed(&mut flooder, "flooder").await;
    assert_eq!(code, Some(4004), "a flood should be closed with 4004: {reason}");
    assert!(reason.contains("too fast"), "the reason should say so: {reason}");

    // WebSocket pings are not game messages, but they cost the server all the same.
    let mut pinger = raw_connect(&server, hello()).await;
    for _ in 0..500 {
        if pinger.send(Message::Ping(Bytes::from_static(b"flood"))).await.is_err() {
            break;
        }
    }
    let (code, reason) = raw_close(&mut pinger, "ping flooder").await;
    assert_eq!(code, 4004, "a ping flood should be closed with 4004: {reason}");
    assert!(reason.contains("too fast"), "the reason should say so: {reason}");

    let before = next_snapshot(&mut bystander, "bystander").await.tick;
    let after = next_snapshot(&mut bystander, "bystander").await.tick;
    assert!(after > before, "the bystander should keep getting snapshots");
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_closed_though_it_still_sends() {
    let mut config = test_config();
    // Large snapshots into small buffers: a client that reads nothing blocks a write soon.
    config.sim.npcs = 2000;
    config.net.send_buffer_bytes = Some(16 * 1024);
    config.net.idle_timeout = Duration::from_secs(1);
    config.net.ping_interval = Duration::from_millis(500);
    let server = TestServer::start(config).await;

    let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
    socket.set_recv_buffer_size(4096).expect("a small receive buffer");
    let tcp = socket.connect(server.addr).await.expect("TCP should connect");
    let (mut stuck, _) = tokio_tungstenite::client_async(server.ws_url(), tcp)
        .await
        .expect("the WebSocket handshake should succeed");
    stuck.send(hello()).await.expect("Hello should be sent");
    // It keeps talking (a pong every 200 ms, so it is never silent) but never reads, and
    // it is the only session: nothing else can be what gets closed.
    let pong = Message::Binary(ClientMessage::Pong(Pong { nonce: 0 }).encode());
    let closed_for_policy = r#"tickwire_sessions_closed_total{reason="policy_violation"}"#;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    while server.metric(closed_for_policy).await < 1.0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "a session whose client reads nothing should be closed within a few seconds"
        );
        stuck.send(pong.clone()).await.expect("the stuck client can still send");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(server.metric("tickwire_sessions").await, 0.0, "the stuck session is gone");
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_session_times_out() {
    let mut config = test_config();
    config.net.idle_timeout = Duration::from_millis(300);
    config.net.ping_interval = Duration::from_millis(150);
    let server = TestServer::start(config).await;
    // Says Hello, then nothing: it does not even answer pings.
    let mut silent = raw_connect(&server, hello()).await;
    let (code, reason) = raw_close(&mut silent, "silent session").await;
    assert_eq!(code, 1008, "a silent session should be closed with 1008");
    assert!(reason.contains("timed out"), "the reason should say it timed out: {reason}");
    server.stop().await.expect("the server should stop cleanly");
}
