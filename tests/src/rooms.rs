//! Helpers for room tests: the matchmaking API, and a raw player that keeps its room's
//! world from the snapshots it reads (every message decoded, nothing hidden by a client
//! library), so a test can see exactly what reaches one room's sessions.

use futures_util::{SinkExt, StreamExt};
use glam::Vec2;
use hyper::{Method, StatusCode};
use tickwire_protocol::{
    ClientMessage, Hello, Input, Pong, ServerMessage, Settings, Welcome, WorldState,
};
use tokio_tungstenite::tungstenite::Message;

use crate::{RawSocket, TestServer, WAIT, raw_hello, try_hello};

/// A seat, as the matchmaking API answers.
#[derive(Debug, Clone)]
pub struct SeatAnswer {
    /// The room's id.
    pub room: String,
    /// The room's type.
    pub name: String,
    /// Where to connect.
    pub url: String,
    /// The token for `Hello.seat`.
    pub seat: String,
}

impl TestServer {
    /// Asks the matchmaking API for a seat (`POST path` with `body`); the status and
    /// error text if it refuses.
    pub async fn seat(&self, path: &str, body: &str) -> Result<SeatAnswer, (StatusCode, String)> {
        let (status, text) = self.http(Method::POST, path, body, None).await;
        if !status.is_success() {
            return Err((status, text));
        }
        let answer: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("a seat should be JSON: {text}"));
        let field = |name: &str| {
            answer[name].as_str().unwrap_or_else(|| panic!("a seat should name its {name}: {text}"))
        };
        Ok(SeatAnswer {
            room: field("room").to_owned(),
            name: field("name").to_owned(),
            url: field("url").to_owned(),
            seat: field("seat").to_owned(),
        })
    }

    /// The rooms `GET /rooms?query` lists, as JSON.
    pub async fn rooms(&self, query: &str) -> Vec<serde_json::Value> {
        let (status, text) = self.http(Method::GET, &format!("/rooms?{query}"), "", None).await;
        assert_eq!(status, StatusCode::OK, "listing rooms should work: {text}");
        let listing: serde_json::Value = serde_json::from_str(&text).expect("a listing is JSON");
        listing["rooms"].as_array().cloned().unwrap_or_default()
    }
}

impl SeatAnswer {
    /// A `Hello` that uses this seat.
    pub fn hello(&self) -> Hello {
        Hello { seat: Some(self.seat.clone()), ..Hello::new() }
    }
}

/// A player on a raw socket that applies the snapshots it reads and, like any live
/// client, answers the pings it reads (in a still world it sends nothing else).
pub struct RawPlayer {
    socket: RawSocket,
    /// Its `Welcome`.
    pub welcome: Welcome,
    /// Its room's world as of the newest snapshot applied.
    pub world: WorldState,
    /// Every `Settings` message it read, in order.
    pub settings: Vec<Settings>,
    sequence: u32,
}

impl RawPlayer {
    /// Says `hello` and waits for `Welcome`.
    pub async fn join(server: &TestServer, hello: Hello) -> Self {
        let (socket, welcome) = raw_hello(server, hello).await;
        Self::welcomed(socket, welcome)
    }

    /// Says `hello`: the player once welcomed, or the close code and reason it was
    /// refused with.
    pub async fn try_join(server: &TestServer, hello: Hello) -> Result<Self, (u16, String)> {
        let (socket, welcome) = try_hello(server, hello).await?;
        Ok(Self::welcomed(socket, welcome))
    }

    fn welcomed(socket: RawSocket, welcome: Welcome) -> Self {
        Self { socket, welcome, world: WorldState::default(), settings: Vec::new(), sequence: 0 }
    }

    /// Reads until the next snapshot is applied; returns the world after it.
    pub async fn next_snapshot(&mut self, context: &str) -> &WorldState {
        let read = async {
            while let Some(message) = self.socket.next().await {
                let Ok(Message::Binary(frame)) = message else { continue };
                match ServerMessage::decode(&frame) {
                    Ok(ServerMessage::Snapshot(snapshot)) => {
                        self.world
                            .apply(&snapshot)
                            .unwrap_or_else(|error| panic!("{context}: bad snapshot: {error}"));
                        return;
                    }
                    Ok(ServerMessage::Settings(settings)) => self.settings.push(settings),
                    Ok(ServerMessage::Ping(ping)) => {
                        let pong = ClientMessage::Pong(Pong { nonce: ping.nonce }).encode();
                        // A send that fails means the connection ended: the next read says so.
                        let _ = self.socket.send(Message::Binary(pong)).await;
                    }
                    _ => {}
                }
            }
            panic!("{context}: the connection ended");
        };
        tokio::time::timeout(WAIT, read)
            .await
            .unwrap_or_else(|_| panic!("{context}: no snapshot within {WAIT:?}"));
        &self.world
    }

    /// Sends an input steering its actor in `direction`.
    pub async fn steer(&mut self, direction: Vec2) {
        self.sequence += 1;
        let input = Input { sequence: self.sequence, direction, ack_tick: self.world.tick };
        let frame = ClientMessage::Input(input).encode();
        self.socket.send(Message::Binary(frame)).await.expect("an input should be sent");
    }

    /// Says goodbye with a normal close (the actor leaves at once).
    pub async fn leave(mut self) {
        self.socket.close(None).await.expect("a goodbye should be sent");
        while let Some(Ok(_)) = self.socket.next().await {}
    }

    /// Drops the connection without a goodbye (the actor waits for a resume).
    pub fn drop_connection(self) {
        drop(self.socket);
    }
}
