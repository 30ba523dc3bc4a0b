//! One bot connection per task, in the protocol of the target server.
//!
//! Every bot follows the same life: connect (a failure is counted, not retried), count
//! what arrives into [`LiveStats`], and end when the run stops it or the connection ends,
//! in which case the reason is reported.

mod colyseus;
mod raw;
mod tickwire;

use std::time::Duration;

use thiserror::Error;
use tokio_tungstenite::tungstenite;
use tokio_util::sync::CancellationToken;

use crate::options::Target;
use crate::stats::LiveStats;

/// How long a connection may take to be ready (TCP, WebSocket and game handshake).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a bot never got connected.
#[derive(Debug, Error)]
pub enum ConnectError {
    /// The WebSocket connection failed.
    #[error("websocket: {0}")]
    WebSocket(#[from] tungstenite::Error),
    /// Matchmaking (Colyseus) failed.
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

/// One bot, from connect to end. `idle` bots send no input (Tickwire only).
pub async fn run_bot(
    target: Target,
    url: &str,
    idle: bool,
    stats: &LiveStats,
    stop: &CancellationToken,
) -> Result<BotEnd, ConnectError> {
    match target {
        Target::Tickwire => tickwire::run(url, idle, stats, stop).await,
        Target::Raw => raw::run(url, stats, stop).await,
        Target::Colyseus => colyseus::run(url, stats, stop).await,
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
