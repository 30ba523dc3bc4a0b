//! A Colyseus client that joins without decoding state, following
//! `bench/peers/PROTOCOL.md`: reserve a seat over HTTP, connect, acknowledge JOIN_ROOM,
//! then count state patches and read the room's timestamp messages.
//!
//! Unless idle, it also steers its actor in the peer's `--players` room like a Tickwire bot
//! steers its own: a wandering direction, sent every input period as the room's input
//! message (`room.sendBytes(1, <f32 x, f32 y>)` in the Colyseus SDK). The passive room
//! closes a client that sends it, so bots against it must be idle.
//!
//! Rooms: by default a bot asks Colyseus's `joinOrCreate` for any `bench` room with a free
//! seat (the peer decides the rooms' size with `--max-clients`). A run spread over rooms
//! (`--rooms N`) names the room instead: bot `i` asks for slot `i % N`, which the peer
//! filters by (`filterBy(["room"])`), so slot `k`'s first bot creates its room with the
//! run's `--room-options` and the others join it, without racing other slots for seats.

use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use glam::Vec2;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;
use tokio::time::{Instant, timeout_at};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use super::play::Player;
use super::{
    BotEnd, CONNECT_TIMEOUT, ConnectError, Connected, close_politely, close_reason, connect,
    millis_stamp_us, next_binary,
};
use crate::stats::{LiveStats, unix_us_now};

/// Colyseus 0.18 message codes (the first byte of every message).
const JOIN_ROOM: u8 = 0x0A;
const ERROR: u8 = 0x0B;
const ROOM_STATE: u8 = 0x0E;
const ROOM_STATE_PATCH: u8 = 0x0F;
const ROOM_DATA_BYTES: u8 = 0x11;
/// The room's timestamp message: ROOM_DATA_BYTES, type 0, then an f64 LE of epoch ms.
const STAMP_LENGTH: usize = 10;
/// The `--players` room's input message: ROOM_DATA_BYTES, type 1, then the direction as
/// two f32 LE.
const INPUT_TYPE: u8 = 0x01;
const INPUT_LENGTH: usize = 10;

/// Whether a bot steers its actor, and how often it sends its input.
#[derive(Debug, Clone, Copy)]
pub(super) struct Inputs {
    /// The bot sends nothing (the passive room drops a client that sends an input).
    pub idle: bool,
    /// The time between two inputs.
    pub period: Duration,
}

/// The seat reservation's answer (the fields a client needs).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Seat {
    session_id: String,
    room_id: String,
    process_id: String,
}

/// The room a bot asks for when the run spreads its bots over rooms (`--rooms`).
#[derive(Debug, Clone, Copy)]
pub struct RoomChoice<'a> {
    /// The room's slot: bot `i` of a run over `rooms` rooms asks for `i % rooms`.
    pub slot: u32,
    /// What the room is created with (`--room-options`: a JSON object), if anything.
    pub options: Option<&'a str>,
}

/// Joins a `bench` room on the server at `base` (`http://host:port`): the one `room`
/// names, or any with a free seat; then counts what arrives, and steers its actor with
/// `inputs`, until stopped.
pub(super) async fn run_in_room(
    base: &str,
    room: Option<RoomChoice<'_>>,
    inputs: Inputs,
    stats: &LiveStats,
    stop: &CancellationToken,
) -> Result<BotEnd, ConnectError> {
    let deadline = Instant::now() + CONNECT_TIMEOUT;
    let timed_out = |_| ConnectError::Timeout(CONNECT_TIMEOUT);
    let body = join_options(room)?;
    let seat = timeout_at(deadline, reserve_seat(base, body)).await.map_err(timed_out)??;
    let authority = base
        .strip_prefix("http://")
        .ok_or_else(|| ConnectError::Matchmaking(format!("{base} is not an http:// URL")))?
        .trim_end_matches('/');
    let url = format!(
        "ws://{authority}/{}/{}?sessionId={}",
        seat.process_id, seat.room_id, seat.session_id
    );
    let mut socket = timeout_at(deadline, connect(url)).await.map_err(timed_out)??;
    match timeout_at(deadline, socket.next()).await.map_err(timed_out)? {
        Some(Ok(Message::Binary(frame))) if frame.first() == Some(&JOIN_ROOM) => {}
        Some(Ok(Message::Close(frame))) => {
            return Err(ConnectError::Handshake(close_reason(frame.as_ref())));
        }
        Some(Ok(other)) => {
            return Err(ConnectError::Handshake(format!("expected JOIN_ROOM, got {other:?}")));
        }
        Some(Err(error)) => return Err(error.into()),
        None => return Err(ConnectError::Handshake("connection ended".to_owned())),
    }
    socket.send(Message::Binary(Bytes::from_static(&[JOIN_ROOM]))).await?;
    let _connected = Connected::new(stats);
    let mut player = Player::new(inputs.period);
    loop {
        let frame = tokio::select! {
            () = stop.cancelled() => return Ok(close_politely(&mut socket).await),
            direction = player.next_input(), if !inputs.idle => {
                if let Err(error) = socket.send(Message::Binary(input_message(direction))).await {
                    return Ok(BotEnd::Lost(error.to_string()));
                }
                continue;
            }
            next = next_binary(&mut socket, stats) => match next {
                Ok(frame) => frame,
                Err(end) => return Ok(end),
            },
        };
        let received = unix_us_now();
        match frame.first().copied() {
            Some(ROOM_STATE | ROOM_STATE_PATCH) => stats.record_frame(frame.len(), None, received),
            Some(ROOM_DATA_BYTES) if frame.len() == STAMP_LENGTH => {
                let Some(sent) = stamp_unix_us(&frame) else {
                    return Ok(BotEnd::Lost("malformed timestamp message".to_owned()));
                };
                stats.record_stamp(frame.len(), sent, received);
            }
            Some(ERROR) => return Ok(BotEnd::Lost(format!("room error: {frame:02x?}"))),
            _ => stats.record_other(frame.len()),
        }
    }
}

/// The input message steering towards `direction`.
fn input_message(direction: Vec2) -> Bytes {
    let mut message = Vec::with_capacity(INPUT_LENGTH);
    message.extend_from_slice(&[ROOM_DATA_BYTES, INPUT_TYPE]);
    message.extend_from_slice(&direction.x.to_le_bytes());
    message.extend_from_slice(&direction.y.to_le_bytes());
    message.into()
}

/// The `joinOrCreate` body for `room`: its create options plus `"room": slot`; empty
/// without a room (any room will do).
fn join_options(room: Option<RoomChoice<'_>>) -> Result<Bytes, ConnectError> {
    let Some(room) = room else {
        return Ok(Bytes::new());
    };
    let mut options = match room.options {
        Some(text) => match serde_json::from_str(text) {
            Ok(serde_json::Value::Object(options)) => options,
            _ => {
                return Err(ConnectError::Matchmaking(format!(
                    "room options are not a JSON object: {text}"
                )));
            }
        },
        None => serde_json::Map::new(),
    };
    options.insert("room".to_owned(), room.slot.into());
    Ok(serde_json::Value::Object(options).to_string().into())
}

/// `POST /matchmake/joinOrCreate/bench` with `body` (JSON options, or empty).
async fn reserve_seat(base: &str, body: Bytes) -> Result<Seat, ConnectError> {
    let failed = |reason: String| ConnectError::Matchmaking(reason);
    let request = hyper::Request::post(format!(
        "{}/matchmake/joinOrCreate/bench",
        base.trim_end_matches('/')
    ))
    .header(hyper::header::CONTENT_TYPE, "application/json")
    .body(Full::new(body))
    .map_err(|error| failed(error.to_string()))?;
    let http = HttpClient::builder(TokioExecutor::new()).build_http();
    let response = http.request(request).await.map_err(|error| failed(error.to_string()))?;
    let status = response.status();
    let body = response.into_body().collect().await.map_err(|error| failed(error.to_string()))?;
    let body = body.to_bytes();
    if !status.is_success() {
        return Err(failed(format!("status {status}: {}", String::from_utf8_lossy(&body))));
    }
    serde_json::from_slice(&body).map_err(|error| failed(format!("seat reply: {error}")))
}

/// The f64 LE epoch-millisecond stamp in a timestamp message's last 8 bytes, in µs.
fn stamp_unix_us(frame: &[u8]) -> Option<u64> {
    millis_stamp_us(frame.get(frame.len().checked_sub(8)?..)?)
}

#[cfg(test)]
mod tests {
    use glam::Vec2;

    use super::{RoomChoice, input_message, join_options, stamp_unix_us};

    #[test]
    fn the_input_message_is_the_documented_frame() {
        // bench/peers/PROTOCOL.md §2f: direction (1, 0) and (0, -3).
        let east = [0x11, 0x01, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x00];
        assert_eq!(&input_message(Vec2::X)[..], &east);
        let south = [0x11, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0xc0];
        assert_eq!(&input_message(Vec2::new(0.0, -3.0))[..], &south);
    }

    #[test]
    fn a_room_choice_names_its_slot_beside_the_create_options() {
        assert!(join_options(None).expect("no room").is_empty(), "any room: no body");
        let body = join_options(Some(RoomChoice { slot: 7, options: None })).expect("slot");
        assert_eq!(&body[..], br#"{"room":7}"#);
        let options = Some(r#"{"npcs": 20, "max_clients": 5}"#);
        let body = join_options(Some(RoomChoice { slot: 3, options })).expect("options");
        let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON body");
        assert_eq!(body, serde_json::json!({"npcs": 20, "max_clients": 5, "room": 3}));
        assert!(
            join_options(Some(RoomChoice { slot: 0, options: Some("[1]") })).is_err(),
            "options that are not an object should be refused"
        );
    }

    #[test]
    fn reads_the_trailing_millisecond_stamp() {
        let mut frame = vec![0x11, 0x00];
        frame.extend_from_slice(&1_795_373_213_123.25_f64.to_le_bytes());
        assert_eq!(stamp_unix_us(&frame), Some(1_795_373_213_123_250));
        assert_eq!(stamp_unix_us(&frame[..5]), None, "too short");
    }
}
