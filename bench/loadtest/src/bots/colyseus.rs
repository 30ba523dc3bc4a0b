//! A Colyseus client that joins without decoding state, following
//! `bench/peers/PROTOCOL.md`: reserve a seat over HTTP, connect, acknowledge JOIN_ROOM,
//! then count state patches and read the room's timestamp messages.
//!
//! Rooms: by default a bot asks Colyseus's `joinOrCreate` for any `bench` room with a free
//! seat (the peer decides the rooms' size with `--max-clients`). A run spread over rooms
//! (`--rooms N`) names the room instead: bot `i` asks for slot `i % N`, which the peer
//! filters by (`filterBy(["room"])`), so slot `k`'s first bot creates its room with the
//! run's `--room-options` and the others join it, without racing other slots for seats.

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;
use tokio::time::{Instant, timeout_at};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use super::{
    BotEnd, CONNECT_TIMEOUT, ConnectError, Connected, close_reason, millis_stamp_us, next_or_stop,
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
/// names, or any with a free seat; then counts what arrives until stopped.
pub(super) async fn run_in_room(
    base: &str,
    room: Option<RoomChoice<'_>>,
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
    let (mut socket, _) = timeout_at(deadline, connect_async(url)).await.map_err(timed_out)??;
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
    loop {
        let frame = match next_or_stop(&mut socket, stats, stop).await {
            Ok(frame) => frame,
            Err(end) => return Ok(end),
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
    use super::{RoomChoice, join_options, stamp_unix_us};

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
