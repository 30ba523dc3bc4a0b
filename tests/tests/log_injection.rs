//! Text a client controls cannot forge a log line or repaint an operator's terminal: a
//! player name in an auth token and a close reason, both with a newline and ANSI escapes,
//! reach the log escaped, on the line that reports them.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use futures_util::SinkExt;
use tickwire_protocol::{ClientMessage, Hello};
use tickwire_tests::{TestServer, raw_close, test_config};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Control, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame, FrameHeader};

/// Everything the server logs while a test runs, as the binary would write it.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A forged line, as an attacker would hide it in a name or a reason.
const FORGED: &str = "\n2026-11-26T12:00:00.000000Z  INFO forged: admin logged in\x1b[31m";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_text_reaches_the_log_escaped_on_one_line() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_env_filter("info")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    let mut config = test_config();
    config.auth_secret = Some("secret".into());
    let server = TestServer::start(config).await;

    // A player name: the server refuses the token and logs why.
    let mut hello = Hello::new();
    hello.auth_token = Some(format!("mallory{FORGED}.1.00"));
    let (mut socket, _) = tokio_tungstenite::connect_async(server.ws_url())
        .await
        .expect("a raw WebSocket should connect");
    socket.send(Message::Binary(ClientMessage::Hello(hello).encode())).await.expect("sent");
    let (code, reason) = raw_close(&mut socket, "forged player name").await;
    assert_eq!(code, 4001, "the token should be refused: {reason}");
    assert!(!reason.chars().any(char::is_control), "the client is told one line: {reason:?}");

    // A close reason: the server logs the peer's goodbye.
    let (mut socket, _) = tokio_tungstenite::connect_async(server.ws_url())
        .await
        .expect("a raw WebSocket should connect");
    let payload = [&1000u16.to_be_bytes()[..], format!("bye{FORGED}").as_bytes()].concat();
    let header = FrameHeader { opcode: OpCode::Control(Control::Close), ..FrameHeader::default() };
    let goodbye = Message::Frame(Frame::from_payload(header, Bytes::from(payload)));
    socket.send(goodbye).await.expect("the close should be sent");
    while futures_util::StreamExt::next(&mut socket).await.is_some() {}
    server.stop().await.expect("the server should stop cleanly");

    let log = captured.text();
    let escaped = r"\n2026-11-26T12:00:00.000000Z  INFO forged: admin logged in\u{1b}[31m";
    for (what, prefix) in [("not authorised", "mallory"), ("session ended by the peer", "bye")] {
        let line = log
            .lines()
            .find(|line| line.contains(what))
            .unwrap_or_else(|| panic!("the log should have a line with {what:?}:\n{log}"));
        assert!(
            line.contains(&format!("{prefix}{escaped}")),
            "the peer's text should be on the {what:?} line, escaped: {line}"
        );
    }
    assert!(
        !log.lines().any(|line| line.starts_with("2026-11-26T12:00:00.000000Z")),
        "no forged line should appear in the log:\n{log}"
    );
    assert!(!log.contains('\x1b'), "no raw escape should reach the log:\n{log}");
}
