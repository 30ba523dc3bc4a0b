//! One bot connection per task, in the protocol of the target server.
//!
//! Every bot follows the same life: connect (a failure is counted, not retried), count
//! what arrives into [`LiveStats`], and end when the run stops it or the connection ends,
//! in which case the reason is reported. Unless `--idle`, Tickwire and Colyseus bots also
//! steer an actor, with the same wandering steering (`play`).

mod colyseus;
mod play;
mod raw;
mod tickwire;

use std::time::Duration;

use bytes::Bytes;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use thiserror::Error;
use tickwire_client::{Seat, websocket_config};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async_with_config, tungstenite};
use tokio_util::sync::CancellationToken;

use crate::options::{LoadOptions, Target};
use crate::stats::LiveStats;
pub use colyseus::RoomChoice;

/// How long a connection may take to be ready (TCP, WebSocket and game handshake).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a bot never got connected.
#[derive(Debug, Error)]
pub enum ConnectError {
    /// The WebSocket connection failed.
    #[error("websocket: {0}")]
    WebSocket(#[from] tungstenite::Error),
    /// Matchmaking failed (Colyseus, or Tickwire rooms).
    #[error("matchmaking: {0}")]
    Matchmaking(String),
    /// The server answered, but not as the protocol says.
    #[error("handshake: {0}")]
    Handshake(String),
    /// The handshake did not finish within the connect timeout.
    #[error("no handshake within {0:?}")]
    Timeout(Duration),
}

/// How a connected bot's run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BotEnd {
    /// The run stopped it.
    Stopped,
    /// The connection ended on its own, for this reason.
    Lost(String),
}

/// Where a bot plays: for Tickwire, a `seat`'s room (else the default room at the URL);
/// for Colyseus, the room a [`RoomChoice`] names (else any with a free seat).
#[derive(Debug, Default)]
pub struct Placement<'a> {
    /// A Tickwire seat.
    pub seat: Option<Seat>,
    /// A Colyseus room slot.
    pub colyseus_room: Option<RoomChoice<'a>>,
}

/// One bot, from connect to end, against the server `options` name, where `placement`
/// says; it sends inputs unless `options.idle` (Tickwire bots at the cadence their server
/// sets, Colyseus bots every `options.input_period()`; raw bots never).
pub async fn run_bot(
    options: &LoadOptions,
    placement: Placement<'_>,
    stats: &LiveStats,
    stop: &CancellationToken,
) -> Result<BotEnd, ConnectError> {
    let url = &options.url;
    match options.target {
        Target::Tickwire => tickwire::run(url, placement.seat, options.idle, stats, stop).await,
        Target::Raw => raw::run(url, stats, stop).await,
        Target::Colyseus => {
            let inputs = colyseus::Inputs { idle: options.idle, period: options.input_period() };
            colyseus::run_in_room(url, placement.colyseus_room, inputs, stats, stop).await
        }
    }
}

/// Counts a connection in [`LiveStats::connected`] for as long as it lives.
struct Connected<'a>(&'a LiveStats);

impl<'a> Connected<'a> {
    fn new(stats: &'a LiveStats) -> Self {
        stats.connected.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self(stats)
    }
}

impl Drop for Connected<'_> {
    fn drop(&mut self) {
        self.0.connected.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A bot's WebSocket to a server.
type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens a WebSocket to `request` configured as every Tickwire client's
/// ([`websocket_config`]), whatever the target: the bots of every server read alike.
async fn connect<R>(request: R) -> Result<Socket, tungstenite::Error>
where
    R: IntoClientRequest + Unpin,
{
    let (socket, _response) =
        connect_async_with_config(request, Some(websocket_config()), false).await?;
    Ok(socket)
}

/// The next binary message from the server, counting any other message as traffic; or
/// how the connection ended. Cancel-safe: nothing is lost if a `select!` drops it.
async fn next_binary<S>(stream: &mut S, stats: &LiveStats) -> Result<Bytes, BotEnd>
where
    S: Stream<Item = Result<Message, tungstenite::Error>> + Unpin,
{
    loop {
        match stream.next().await {
            Some(Ok(Message::Binary(frame))) => return Ok(frame),
            Some(Ok(Message::Close(frame))) => {
                return Err(BotEnd::Lost(close_reason(frame.as_ref())));
            }
            Some(Ok(other)) => stats.record_other(other.len()),
            Some(Err(error)) => return Err(BotEnd::Lost(error.to_string())),
            None => return Err(BotEnd::Lost("connection ended".to_owned())),
        }
    }
}

/// As [`next_binary`], for a bot that only listens: on `stop`, closes the socket politely
/// and ends with [`BotEnd::Stopped`].
async fn next_or_stop<S>(
    socket: &mut S,
    stats: &LiveStats,
    stop: &CancellationToken,
) -> Result<Bytes, BotEnd>
where
    S: Stream<Item = Result<Message, tungstenite::Error>> + Sink<Message> + Unpin,
{
    tokio::select! {
        () = stop.cancelled() => Err(close_politely(socket).await),
        next = next_binary(socket, stats) => next,
    }
}

/// How a stopped bot leaves: a close frame (a failure to send it changes nothing, the run
/// is over), then [`BotEnd::Stopped`].
async fn close_politely<S>(sink: &mut S) -> BotEnd
where
    S: Sink<Message> + Unpin,
{
    let _ = sink.send(Message::Close(None)).await;
    BotEnd::Stopped
}

/// A close frame's code and reason as one line.
fn close_reason(frame: Option<&tungstenite::protocol::CloseFrame>) -> String {
    match frame {
        Some(frame) => format!("closed {}: {}", u16::from(frame.code), frame.reason),
        None => "closed without a reason".to_owned(),
    }
}

/// A peer's stamp (a little-endian f64 of Unix milliseconds) in Unix microseconds; `None`
/// for a slice that is not 8 bytes or not a plausible time.
fn millis_stamp_us(stamp: &[u8]) -> Option<u64> {
    let stamp: [u8; 8] = stamp.try_into().ok()?;
    let millis = f64::from_le_bytes(stamp);
    (millis.is_finite() && millis > 0.0).then_some((millis * 1000.0) as u64)
}
