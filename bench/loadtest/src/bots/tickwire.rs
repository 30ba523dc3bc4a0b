//! A Tickwire bot: handshakes asking for snapshot timing, steers its actor like a
//! wandering player at the input cadence the server sets, acks snapshots, answers pings.
//!
//! Snapshots are verified and their tick read, but not applied: a load process must keep
//! up with thousands of connections, and the browser and Rust clients' own tests cover
//! applying them.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tickwire_client::Seat;
use tickwire_protocol::decode::snapshot_tick;
use tickwire_protocol::{ClientMessage, Hello, Input, Pong, ServerMessage, Settings};
use tokio::time::{Instant, timeout_at};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use super::play::Player;
use super::{
    BotEnd, CONNECT_TIMEOUT, ConnectError, Connected, close_politely, close_reason, connect,
    next_binary,
};
use crate::stats::{LiveStats, unix_us_now};

/// Connects to the default room at `url`, or to `seat`'s room, and plays until stopped.
pub(super) async fn run(
    url: &str,
    seat: Option<Seat>,
    idle: bool,
    stats: &LiveStats,
    stop: &CancellationToken,
) -> Result<BotEnd, ConnectError> {
    let deadline = Instant::now() + CONNECT_TIMEOUT;
    let timed_out = |_| ConnectError::Timeout(CONNECT_TIMEOUT);
    let (url, seat) = match seat {
        Some(seat) => (seat.url, Some(seat.seat)),
        None => (url.to_owned(), None),
    };
    let socket = timeout_at(deadline, connect(url)).await.map_err(timed_out)??;
    let (mut sink, mut stream) = socket.split();
    let hello = ClientMessage::Hello(Hello { timing: true, seat, ..Hello::new() });
    sink.send(Message::Binary(hello.encode())).await?;
    let welcome = loop {
        match timeout_at(deadline, stream.next()).await.map_err(timed_out)? {
            Some(Ok(Message::Binary(frame))) => match ServerMessage::decode(&frame) {
                Ok(ServerMessage::Welcome(welcome)) => break welcome,
                Ok(ServerMessage::Disconnect(refused)) => {
                    return Err(ConnectError::Handshake(format!(
                        "refused {}: {}",
                        refused.code, refused.reason
                    )));
                }
                Ok(other) => {
                    return Err(ConnectError::Handshake(format!(
                        "expected Welcome, got {other:?}"
                    )));
                }
                Err(error) => return Err(ConnectError::Handshake(error.to_string())),
            },
            Some(Ok(Message::Close(frame))) => {
                return Err(ConnectError::Handshake(close_reason(frame.as_ref())));
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => return Err(error.into()),
            None => return Err(ConnectError::Handshake("connection ended".to_owned())),
        }
    };
    let _connected = Connected::new(stats);

    let mut player = Player::new(input_period(&welcome.settings));
    let mut sequence: u32 = 0;
    let mut newest_tick: u32 = 0;
    // The stamp of the snapshot that comes next: (tick, published µs).
    let mut stamp: Option<(u32, u64)> = None;
    loop {
        let frame = tokio::select! {
            () = stop.cancelled() => return Ok(close_politely(&mut sink).await),
            direction = player.next_input(), if !idle => {
                sequence = sequence.wrapping_add(1);
                let input = Input { sequence, direction, ack_tick: newest_tick };
                if let Err(error) = sink.send(Message::Binary(ClientMessage::Input(input).encode())).await {
                    return Ok(BotEnd::Lost(error.to_string()));
                }
                continue;
            }
            next = next_binary(&mut stream, stats) => match next {
                Ok(frame) => frame,
                Err(end) => return Ok(end),
            },
        };
        let received = unix_us_now();
        match snapshot_tick(&frame) {
            Ok(Some(tick)) => {
                let sent = stamp.take().filter(|&(stamped, _)| stamped == tick).map(|(_, at)| at);
                stats.record_frame(frame.len(), sent, received);
                newest_tick = tick;
                continue;
            }
            Ok(None) => {}
            Err(error) => return Ok(BotEnd::Lost(format!("malformed snapshot: {error}"))),
        }
        match ServerMessage::decode(&frame) {
            Ok(ServerMessage::SnapshotTiming { tick, published_unix_us }) => {
                stats
                    .stamp_bytes
                    .fetch_add(frame.len() as u64, std::sync::atomic::Ordering::Relaxed);
                stamp = Some((tick, published_unix_us));
            }
            Ok(ServerMessage::Ping(ping)) => {
                stats.record_other(frame.len());
                let pong = ClientMessage::Pong(Pong { nonce: ping.nonce });
                if let Err(error) = sink.send(Message::Binary(pong.encode())).await {
                    return Ok(BotEnd::Lost(error.to_string()));
                }
            }
            Ok(ServerMessage::Settings(settings)) => {
                stats.record_other(frame.len());
                player.set_period(input_period(&settings));
            }
            Ok(ServerMessage::Disconnect(disconnect)) => {
                return Ok(BotEnd::Lost(format!(
                    "closed {}: {}",
                    disconnect.code, disconnect.reason
                )));
            }
            Ok(_) => stats.record_other(frame.len()),
            Err(error) => return Ok(BotEnd::Lost(format!("malformed message: {error}"))),
        }
    }
}

/// How often the server wants inputs.
fn input_period(settings: &Settings) -> Duration {
    Duration::from_secs_f32(f32::from(settings.input_every) * settings.tick_seconds())
}
