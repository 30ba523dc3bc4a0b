//! The handshake: Welcome carries the settings; wrong versions, wrong first messages and
//! silent connections are refused with a code and a reason.

use std::time::Duration;

use glam::Vec2;
use tickwire_protocol::{ClientMessage, Hello, Input, PROTOCOL_VERSION, Settings};
use tickwire_tests::{TestServer, raw_close, raw_connect, test_config};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn welcome_carries_the_servers_settings_and_own_actor() {
    let mut config = test_config();
    config.sim.settings = Settings {
        tick_rate_hz: 45,
        broadcast_every: 3,
        input_every: 5,
        movement_speed: 77.5,
        smoothing: 0.25,
        interpolation_delay_ms: 150,
        position_steps_per_unit: 16,
    };
    config.sim.arena_size = Vec2::new(640.0, 480.0);
    let server = TestServer::start(config.clone()).await;

    let first = server.connect().await;
    let second = server.connect().await;
    let welcome = first.welcome().clone();
    assert_eq!(
        welcome.settings, config.sim.settings,
        "Welcome should carry the settings the server runs with"
    );
    assert_eq!(welcome.arena_size, Vec2::new(640.0, 480.0), "Welcome should carry the arena size");
    assert_ne!(welcome.actor_id, 0, "the own actor should have a real network id");
    assert_ne!(
        welcome.actor_id,
        second.welcome().actor_id,
        "each session should get its own actor"
    );
    assert_ne!(
        welcome.session_id,
        second.welcome().session_id,
        "each session should get its own id"
    );
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_protocol_version_is_refused_with_a_reason() {
    let server = TestServer::start(test_config()).await;
    let hello =
        ClientMessage::Hello(Hello { protocol_version: PROTOCOL_VERSION + 1, ..Hello::new() });
    let mut socket = raw_connect(&server, Message::Binary(hello.encode())).await;
    let (code, reason) = raw_close(&mut socket, "version mismatch").await;
    assert_eq!(code, 4000, "a version mismatch should close with 4000");
    assert!(reason.contains("protocol version"), "the reason should name the problem: {reason}");
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_message_other_than_hello_is_a_protocol_error() {
    let server = TestServer::start(test_config()).await;
    let input = ClientMessage::Input(Input { sequence: 1, direction: Vec2::X, ack_tick: 0 });
    let mut socket = raw_connect(&server, Message::Binary(input.encode())).await;
    let (code, reason) = raw_close(&mut socket, "input before hello").await;
    assert_eq!(code, 1002, "skipping Hello should close with 1002");
    assert!(reason.contains("Hello"), "the reason should say Hello was expected: {reason}");
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_never_says_hello_is_dropped() {
    let mut config = test_config();
    config.net.handshake_timeout = Duration::from_millis(200);
    let server = TestServer::start(config).await;
    let mut socket = raw_connect(&server, Message::Ping(Default::default())).await;
    let (code, reason) = raw_close(&mut socket, "silent connection").await;
    assert_eq!(code, 1008, "a handshake time-out should close with 1008");
    assert!(
        reason.contains("timed out"),
        "the reason should say the handshake timed out: {reason}"
    );
    server.stop().await.expect("the server should stop cleanly");
}
