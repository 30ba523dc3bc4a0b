//! A Colyseus client that joins without decoding state, following
//! `bench/peers/PROTOCOL.md`: reserve a seat over HTTP, connect, acknowledge JOIN_ROOM,
//! then count state patches and read the room's timestamp messages.

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Empty};
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

/// Joins the `bench` room of the server at `base` (`http://host:port`) and counts what
/// arrives until stopped.
pub(super) async fn run(
    base: &str,
    stats: &LiveStats,
    stop: &CancellationToken,
) -> Result<BotEnd, ConnectError> {
    let deadline = Instant::now() + CONNECT_TIMEOUT;
    let timed_out = |_| ConnectError::Timeout(CONNECT_TIMEOUT);
    let seat = timeout_at(deadline, reserve_seat(base)).await.map_err(timed_out)??;
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

/// `POST /matchmake/joinOrCreate/bench`.
async fn reserve_seat(base: &str) -> Result<Seat, ConnectError> {
    let failed = |reason: String| ConnectError::Matchmaking(reason);
    let request = hyper::Request::post(format!(
        "{}/matchmake/joinOrCreate/bench",
        base.trim_end_matches('/')
    ))
    .body(Empty::<Bytes>::new())
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
    use super::stamp_unix_us;

    #[test]
    fn reads_the_trailing_millisecond_stamp() {
        let mut frame = vec![0x11, 0x00];
        frame.extend_from_slice(&1_795_373_213_123.25_f64.to_le_bytes());
        assert_eq!(stamp_unix_us(&frame), Some(1_795_373_213_123_250));
        assert_eq!(stamp_unix_us(&frame[..5]), None, "too short");
    }
}
