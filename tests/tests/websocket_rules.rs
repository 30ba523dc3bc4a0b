//! The server keeps RFC 6455's rules with clients that break them: bad text gets 1007, a
//! bad close code 1002, a bad `Sec-WebSocket-Key` a 400, and every refusal one short line
//! of reason, the same in the `Disconnect` message and the close frame.

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tickwire_protocol::{ClientMessage, Hello};
use tickwire_tests::{RawSocket, TestServer, WAIT, raw_close, test_config};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Control, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame, FrameHeader};

/// A frame with any payload, valid or not, as a client sends it (tungstenite masks it).
fn raw_frame(opcode: OpCode, payload: &[u8]) -> Message {
    let header = FrameHeader { opcode, ..FrameHeader::default() };
    Message::Frame(Frame::from_payload(header, Bytes::copy_from_slice(payload)))
}

/// A close frame with `code` and `reason` as raw bytes.
fn close_frame(code: u16, reason: &[u8]) -> Message {
    raw_frame(OpCode::Control(Control::Close), &[&code.to_be_bytes()[..], reason].concat())
}

async fn connect(server: &TestServer) -> RawSocket {
    let (socket, _) = tokio_tungstenite::connect_async(server.ws_url())
        .await
        .expect("a raw WebSocket should connect");
    socket
}

/// The code of the server's answer to a close frame the client sent first.
async fn close_reply(socket: &mut RawSocket, context: &str) -> u16 {
    let wait = async {
        while let Some(message) = socket.next().await {
            match message {
                Ok(Message::Close(frame)) => return frame.map_or(1005, |frame| frame.code.into()),
                Ok(_) => {}
                Err(error) => panic!("{context}: read failed before the close reply: {error}"),
            }
        }
        panic!("{context}: the connection ended without a close reply")
    };
    tokio::time::timeout(WAIT, wait)
        .await
        .unwrap_or_else(|_| panic!("{context}: no close reply within {WAIT:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_that_is_not_utf8_is_closed_with_1007() {
    let server = TestServer::start(test_config()).await;
    let cases = [
        ("a text frame", raw_frame(OpCode::Data(Data::Text), b"caf\xc3")),
        ("a close reason", close_frame(1000, b"bye \xff\xfe")),
    ];
    for (what, frame) in cases {
        let mut socket = connect(&server).await;
        socket.send(frame).await.expect("the frame should be sent");
        let (code, reason) = raw_close(&mut socket, what).await;
        assert_eq!(code, 1007, "invalid UTF-8 in {what} should be closed with 1007: {reason}");
        assert!(reason.contains("UTF-8"), "the reason should name UTF-8: {reason}");
    }
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_code_no_endpoint_may_send_is_answered_1002() {
    let server = TestServer::start(test_config()).await;
    // RFC 6455 section 7.4: 1005, 1006 and 1015 are never sent, others are unassigned.
    // (tungstenite, which checks them, also refuses 1014.)
    for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] {
        let mut socket = connect(&server).await;
        socket.send(close_frame(code, b"")).await.expect("the close should be sent");
        let reply = close_reply(&mut socket, &format!("close code {code}")).await;
        assert_eq!(reply, 1002, "close code {code} should be answered with 1002");
    }
    for code in [1000, 1001, 1003, 1011, 3000, 4000, 4999] {
        let mut socket = connect(&server).await;
        socket.send(close_frame(code, b"bye")).await.expect("the close should be sent");
        let reply = close_reply(&mut socket, &format!("close code {code}")).await;
        assert_eq!(reply, 1000, "a valid close code {code} should be answered with 1000");
    }
    server.stop().await.expect("the server should stop cleanly");
}

/// The status line the server answers an upgrade request with `key` with.
async fn upgrade_status(server: &TestServer, key: &str) -> String {
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.expect("TCP should connect");
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: {}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n\r\n",
        server.addr
    );
    tcp.write_all(request.as_bytes()).await.expect("the request should be sent");
    let mut response = Vec::new();
    let read = async {
        let mut chunk = [0u8; 512];
        while !response.windows(2).any(|pair| pair == b"\r\n") {
            let read = tcp.read(&mut chunk).await.expect("the response should be readable");
            assert!(read > 0, "the server should answer before closing");
            response.extend_from_slice(&chunk[..read]);
        }
    };
    tokio::time::timeout(WAIT, read).await.expect("the server should answer within the wait");
    let text = String::from_utf8_lossy(&response);
    text.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sec_websocket_key_that_is_not_sixteen_bytes_of_base64_is_refused() {
    let server = TestServer::start(test_config()).await;
    assert!(
        upgrade_status(&server, "dGhlIHNhbXBsZSBub25jZQ==").await.contains(" 101 "),
        "a valid key should be upgraded"
    );
    for key in ["hello", "dGhlIHNhbXBsZSBub25j", "dGhlIHNhbXBsZSBub25jZQ!="] {
        let status = upgrade_status(&server, key).await;
        assert!(status.contains(" 400 "), "key {key:?} should get 400: {status}");
    }
    server.stop().await.expect("the server should stop cleanly");
}

/// A `Hello` with one byte changed, such that the verifier's report on it runs over
/// several lines and past what a close frame holds.
fn frame_with_a_long_verifier_report() -> Bytes {
    let mut hello = Hello::new();
    hello.auth_token = Some("a token long enough to leave room for damage".into());
    let valid = ClientMessage::Hello(hello).encode().to_vec();
    (0..valid.len())
        .flat_map(|at| [0x7f, 0xff].map(|byte| (at, byte)))
        .map(|(at, byte)| {
            let mut damaged = valid.clone();
            damaged[at] = byte;
            damaged
        })
        .find(|damaged| {
            ClientMessage::decode(damaged)
                .is_err_and(|error| error.to_string().trim_end().contains('\n'))
        })
        .expect("some one-byte damage should fail verification with a multi-line report")
        .into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_frame_gets_one_short_line_in_both_the_disconnect_and_the_close() {
    let server = TestServer::start(test_config()).await;
    let mut socket = connect(&server).await;
    socket
        .send(Message::Binary(frame_with_a_long_verifier_report()))
        .await
        .expect("the frame should be sent");
    // `raw_close` checks that the Disconnect and the close frame carry the same reason.
    let (code, reason) = raw_close(&mut socket, "malformed frame").await;
    assert_eq!(code, 1002, "a malformed frame should be closed with 1002: {reason}");
    assert!(reason.starts_with("malformed message"), "the reason should say so: {reason}");
    assert!(reason.len() <= 123, "the reason should fit a close frame: {} bytes", reason.len());
    assert!(
        !reason.chars().any(char::is_control),
        "the reason should be one printable line: {reason:?}"
    );
    server.stop().await.expect("the server should stop cleanly");
}
