//! A client in a room resumes into that room, and when the room refuses the resume
//! (4005) asks the matchmaker once for a new seat in it; if the room is gone (404), a
//! client that matchmade asks the matchmaker again with its request. Against a scripted
//! game server and a canned matchmaker.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod util;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tickwire_client::protocol::{
    ClientMessage, Disconnect, Hello, ResumeToken, ServerMessage, Settings, Welcome,
};
use tickwire_client::{Client, ClientBuilder, Event, MatchRequest, Matchmaker};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use util::{CannedHttp, WAIT, answer, seat_json};

/// What the scripted game server does with one connection, after reading its `Hello`.
enum Step {
    /// Welcome the client into room `r1` with this resume token, then close with 1011
    /// (retried with backoff) if `then_close`, else stay open.
    Welcome { token: u8, then_close: bool },
    /// Refuse with this code.
    Refuse(u16),
}

/// A game server on 127.0.0.1:0 playing `script`, one connection per step, reporting
/// each `Hello` it reads.
async fn game_server(script: Vec<Step>) -> (SocketAddr, mpsc::UnboundedReceiver<Hello>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (hellos, received) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut open = Vec::new();
        for step in script {
            let (stream, _) = listener.accept().await.unwrap();
            let mut socket = tokio_tungstenite::accept_async(stream).await.unwrap();
            let Some(Ok(Message::Binary(frame))) = socket.next().await else { return };
            let Ok(ClientMessage::Hello(hello)) = ClientMessage::decode(&frame) else { return };
            let _ = hellos.send(hello);
            let (code, reason) = match step {
                Step::Welcome { token, then_close } => {
                    let welcome = ServerMessage::Welcome(welcome(token));
                    socket.send(Message::Binary(welcome.encode())).await.unwrap();
                    if !then_close {
                        open.push(socket);
                        continue;
                    }
                    (1011, "scripted failure")
                }
                Step::Refuse(code) => (code, "scripted refusal"),
            };
            let disconnect = Disconnect { code, reason: reason.into() };
            let _ =
                socket.send(Message::Binary(ServerMessage::Disconnect(disconnect).encode())).await;
            let close = CloseFrame { code: code.into(), reason: reason.into() };
            let _ = socket.send(Message::Close(Some(close))).await;
            // The client need not answer the close while it reconnects: keep it as it is.
            open.push(socket);
        }
        // Keep the connections open until the test ends.
        std::future::pending::<()>().await;
        drop(open);
    });
    (addr, received)
}

fn welcome(token: u8) -> Welcome {
    Welcome {
        field_names: Vec::new(),
        event_names: Vec::new(),
        resume_token: ResumeToken([token; 16]),
        resumed: false,
        session_id: u64::from(token),
        actor_id: u32::from(token),
        tick: 0,
        settings: Settings::default(),
        arena_size: glam::Vec2::splat(100.0),
        room: "r1".into(),
        room_name: "default".into(),
        quiet_interval_ms: 0,
    }
}

async fn next_event(client: &mut Client) -> Event {
    timeout(WAIT, client.next_event())
        .await
        .expect("an event should come within the wait")
        .expect("the client should not be finished")
}

async fn connect(http: &CannedHttp) -> Client {
    let matchmaker = Matchmaker::new(&http.base()).unwrap();
    ClientBuilder::matchmake(matchmaker, MatchRequest::new("default"))
        .retry(Duration::from_millis(10), Duration::from_millis(50), 5)
        .connect()
        .await
        .expect("the client should connect with its seat")
}

async fn hello(hellos: &mut mpsc::UnboundedReceiver<Hello>) -> Hello {
    timeout(WAIT, hellos.recv()).await.expect("a Hello within the wait").expect("server running")
}

#[tokio::test]
async fn a_refused_resume_rejoins_the_room_with_a_new_seat() {
    let (game, mut hellos) = game_server(vec![
        Step::Welcome { token: 1, then_close: true },
        Step::Refuse(4005),
        Step::Welcome { token: 2, then_close: false },
    ])
    .await;
    let url = format!("ws://{game}/ws");
    let mut http = CannedHttp::start(vec![
        answer("200 OK", &seat_json("r1", &url, "seat-1")),
        answer("200 OK", &seat_json("r1", &url, "seat-2")),
    ])
    .await;

    let mut client = connect(&http).await;
    assert_eq!(client.welcome().room, "r1", "the client should know its room");
    assert_eq!(hello(&mut hellos).await.seat.as_deref(), Some("seat-1"));
    assert_eq!(http.request().await.line, "POST /matchmake HTTP/1.1");

    let lost = next_event(&mut client).await;
    assert!(
        matches!(lost, Event::Reconnecting { code: Some(1011), .. }),
        "the scripted failure should start a reconnect: {lost:?}"
    );
    let resume = hello(&mut hellos).await;
    assert_eq!(resume.resume_token, Some(ResumeToken([1; 16])), "the reconnect should resume");
    assert_eq!(resume.room.as_deref(), Some("r1"), "the resume should name its room");
    assert_eq!(resume.seat, None, "a used seat should not be sent again");

    let back = next_event(&mut client).await;
    assert_eq!(back, Event::Reconnected { resumed: false }, "a rejoin is a new player");
    assert_eq!(http.request().await.line, "POST /rooms/r1/join HTTP/1.1");
    let rejoin = hello(&mut hellos).await;
    assert_eq!(rejoin.seat.as_deref(), Some("seat-2"), "the rejoin should redeem the new seat");
    assert_eq!(rejoin.resume_token, None);
    assert_eq!(client.welcome().resume_token, ResumeToken([2; 16]));
}

#[tokio::test]
async fn a_gone_room_sends_a_matchmade_client_back_to_the_matchmaker() {
    let (game, mut hellos) = game_server(vec![
        Step::Welcome { token: 1, then_close: true },
        Step::Refuse(4005),
        Step::Welcome { token: 3, then_close: false },
    ])
    .await;
    let url = format!("ws://{game}/ws");
    let mut http = CannedHttp::start(vec![
        answer("200 OK", &seat_json("r1", &url, "seat-1")),
        answer("404 Not Found", r#"{"error": "no room r1"}"#),
        answer("200 OK", &seat_json("r1", &url, "seat-3")),
    ])
    .await;

    let mut client = connect(&http).await;
    assert!(matches!(next_event(&mut client).await, Event::Reconnecting { .. }));
    let back = next_event(&mut client).await;
    assert_eq!(back, Event::Reconnected { resumed: false }, "a new room is a new player");
    assert_eq!(http.request().await.line, "POST /matchmake HTTP/1.1");
    assert_eq!(http.request().await.line, "POST /rooms/r1/join HTTP/1.1");
    let again = http.request().await;
    assert_eq!(again.line, "POST /matchmake HTTP/1.1", "the gone room sends it to matchmaking");
    assert_eq!(hello(&mut hellos).await.seat.as_deref(), Some("seat-1"));
    assert_eq!(hello(&mut hellos).await.room.as_deref(), Some("r1"));
    assert_eq!(hello(&mut hellos).await.seat.as_deref(), Some("seat-3"));
    assert_eq!(client.welcome().resume_token, ResumeToken([3; 16]));
}

#[tokio::test]
async fn a_gone_room_and_a_refusing_matchmaker_close_the_client() {
    let (game, mut hellos) =
        game_server(vec![Step::Welcome { token: 1, then_close: true }, Step::Refuse(4005)]).await;
    let url = format!("ws://{game}/ws");
    let mut http = CannedHttp::start(vec![
        answer("200 OK", &seat_json("r1", &url, "seat-1")),
        answer("404 Not Found", r#"{"error": "no room r1"}"#),
        answer("400 Bad Request", r#"{"error": "no room type \"default\""}"#),
    ])
    .await;

    let mut client = connect(&http).await;
    assert!(matches!(next_event(&mut client).await, Event::Reconnecting { .. }));
    let closed = next_event(&mut client).await;
    let Event::Closed { reason, .. } = &closed else {
        panic!("a refused matchmaking should close the client: {closed:?}");
    };
    assert!(reason.contains("no room type"), "the reason should say why: {reason}");
    assert_eq!(http.request().await.line, "POST /matchmake HTTP/1.1");
    assert_eq!(http.request().await.line, "POST /rooms/r1/join HTTP/1.1");
    assert_eq!(http.request().await.line, "POST /matchmake HTTP/1.1");
    assert_eq!(hello(&mut hellos).await.seat.as_deref(), Some("seat-1"));
    assert_eq!(hello(&mut hellos).await.room.as_deref(), Some("r1"));
}
