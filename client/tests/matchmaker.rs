//! The matchmaking client against a canned HTTP server: what it sends, how it reads
//! seats and room lists, and how it reports errors, oversized answers and silence.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod util;

use std::time::Duration;

use tickwire_client::{Label, MatchError, MatchRequest, Matchmaker, RoomState};
use util::{CannedHttp, answer, seat_json};

fn matchmaker(server: &CannedHttp) -> Matchmaker {
    Matchmaker::new(&server.base()).expect("a canned server's address should be valid")
}

#[tokio::test]
async fn join_or_create_posts_the_request_and_reads_the_seat() {
    let seat = seat_json("k3v9qz2a", "ws://127.0.0.1:9/ws", "token-1");
    let mut server = CannedHttp::start(vec![answer("200 OK", &seat)]).await;
    let options = serde_json::json!({"npcs": 20}).as_object().cloned().unwrap();
    let request = MatchRequest::new("default").label("mode", "ffa").options(options);

    let seat = matchmaker(&server).join_or_create(&request).await.expect("a seat should come");
    assert_eq!(
        (seat.room.as_str(), seat.name.as_str(), seat.url.as_str(), seat.seat.as_str()),
        ("k3v9qz2a", "default", "ws://127.0.0.1:9/ws", "token-1")
    );
    assert_eq!(seat.expires_in, Duration::from_millis(15000));

    let asked = server.request().await;
    assert_eq!(asked.line, "POST /matchmake HTTP/1.1");
    let host = format!("host: {}", server.addr);
    assert!(asked.headers.contains(&host), "the Host header should be sent: {asked:?}");
    let body: serde_json::Value = serde_json::from_str(&asked.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"name": "default", "label": {"mode": "ffa"}, "options": {"npcs": 20}})
    );
}

#[tokio::test]
async fn create_and_join_use_their_own_routes() {
    let mut server = CannedHttp::start(vec![
        answer("201 Created", &seat_json("r1", "ws://h/ws", "a")),
        answer("200 OK", &seat_json("r/1", "ws://h/ws", "b")),
    ])
    .await;
    let matchmaker = matchmaker(&server);
    let created = matchmaker.create(&MatchRequest::new("default")).await.unwrap();
    assert_eq!(created.room, "r1");
    let asked = server.request().await;
    assert_eq!(asked.line, "POST /rooms HTTP/1.1");
    assert_eq!(asked.body, r#"{"name":"default"}"#);

    let joined = matchmaker.join("r/1").await.unwrap();
    assert_eq!(joined.seat, "b");
    let asked = server.request().await;
    assert_eq!(asked.line, "POST /rooms/r%2F1/join HTTP/1.1", "the id should stay one segment");
}

#[tokio::test]
async fn list_sends_the_filter_as_query_and_reads_the_rooms() {
    let rooms = serde_json::json!({"rooms": [
        {"id": "a", "name": "default", "clients": 3, "max_clients": 5,
         "label": {"mode": "ffa"}, "tick_rate_hz": 30, "state": "open"},
        {"id": "b", "name": "default", "clients": 5, "max_clients": 5,
         "tick_rate_hz": 20, "state": "closing-soon"},
    ]});
    let mut server = CannedHttp::start(vec![
        answer("200 OK", &rooms.to_string()),
        answer("200 OK", r#"{"rooms": []}"#),
    ])
    .await;
    let matchmaker = matchmaker(&server);
    let mut label = Label::new();
    label.insert("mode".into(), "free for all".into());
    label.insert("level".into(), 3.into());

    let listed = matchmaker.list(Some("default"), &label).await.expect("a list should come");
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].label.get("mode").and_then(|mode| mode.as_str()), Some("ffa"));
    assert_eq!(
        (listed[0].clients, listed[0].max_clients, listed[0].state),
        (3, 5, RoomState::Open)
    );
    assert!(listed[1].label.is_empty(), "a room without a label should have an empty one");
    assert_eq!(listed[1].state, RoomState::Other, "an unknown state should not fail the list");
    let asked = server.request().await;
    assert_eq!(asked.line, "GET /rooms?name=default&level=3&mode=free%20for%20all HTTP/1.1");

    assert!(matchmaker.list(None, &Label::new()).await.unwrap().is_empty());
    assert_eq!(server.request().await.line, "GET /rooms HTTP/1.1");
}

#[tokio::test]
async fn error_answers_carry_the_status_and_the_servers_text() {
    let server = CannedHttp::start(vec![
        answer("409 Conflict", r#"{"error": "room k3 is full"}"#),
        answer("404 Not Found", r#"{"error": "no room \u001b[31mx"}"#),
        Some(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 16\r\n\r\n<html>502</html>".to_vec()),
    ])
    .await;
    let matchmaker = matchmaker(&server);

    let full = matchmaker.join("k3").await.expect_err("a full room should be an error");
    assert_eq!(full.status(), Some(409));
    assert!(
        matches!(&full, MatchError::Refused { message, .. } if message == "room k3 is full"),
        "the server's error text should be kept: {full:?}"
    );
    let missing = matchmaker.join("x").await.expect_err("a missing room should be an error");
    assert_eq!(missing.status(), Some(404));
    let shown = missing.to_string();
    assert!(!shown.contains('\u{1b}'), "the server's text should be escaped when shown: {shown}");

    let proxy = matchmaker.join("y").await.expect_err("a proxy error should be an error");
    assert!(
        matches!(&proxy, MatchError::Refused { status: 502, message } if message == "<html>502</html>"),
        "a non-JSON answer should give its start as the text: {proxy:?}"
    );
}

#[tokio::test]
async fn answers_that_break_the_contract_are_errors() {
    let server = CannedHttp::start(vec![
        answer("200 OK", r#"{"room": "r1"}"#),
        answer("200 OK", &"x".repeat(2 << 20)),
    ])
    .await;
    let matchmaker = matchmaker(&server);
    let half = matchmaker.join("r1").await.expect_err("a half seat should be an error");
    assert!(matches!(half, MatchError::Malformed(_)), "{half:?}");
    let huge = matchmaker.join("r1").await.expect_err("a 2 MiB answer should be cut off");
    assert!(matches!(huge, MatchError::TooLarge), "{huge:?}");
}

#[tokio::test(start_paused = true)]
async fn a_silent_server_times_out() {
    let server = CannedHttp::start(vec![None]).await;
    let timeout = Duration::from_secs(3);
    let error = matchmaker(&server).timeout(timeout).join("r1").await.expect_err("no answer");
    assert!(matches!(error, MatchError::Timeout(after) if after == timeout), "{error:?}");
}

#[tokio::test]
async fn an_unreachable_server_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let matchmaker = Matchmaker::new(&format!("ws://{addr}/ws")).unwrap();
    let error = matchmaker.join("r1").await.expect_err("nobody listens");
    assert!(matches!(error, MatchError::Connect(_)), "{error:?}");
}
