//! A client of a raw broadcast server: every binary frame starts with the server's send
//! time, a little-endian f64 of Unix milliseconds.
//!
//! It says hello once, as every real client does (a join, a login, Tickwire's `Hello`),
//! though the raw servers ignore it. A TCP socket that sends data right after receiving
//! some enters delayed-ACK ping-pong mode and from then on acknowledges about every
//! second frame instead of every frame it reads. On loopback those ACKs are made inside
//! the server's own `send` and handed back to it: they added 22–25% to µWebSockets.js's
//! CPU in the small scenario (BENCHMARKS.md). A client that never sends a byte would
//! spare the transport ceiling a cost that no game's clients spare it.

use futures_util::SinkExt;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use super::{
    BotEnd, CONNECT_TIMEOUT, ConnectError, Connected, connect, millis_stamp_us, next_or_stop,
};
use crate::stats::{LiveStats, unix_us_now};

/// Connects to `url` and counts frames until stopped.
pub(super) async fn run(
    url: &str,
    stats: &LiveStats,
    stop: &CancellationToken,
) -> Result<BotEnd, ConnectError> {
    let mut socket = timeout(CONNECT_TIMEOUT, connect(url))
        .await
        .map_err(|_| ConnectError::Timeout(CONNECT_TIMEOUT))??;
    socket.send(Message::Binary(HELLO.into())).await?;
    let _connected = Connected::new(stats);
    loop {
        let frame = match next_or_stop(&mut socket, stats, stop).await {
            Ok(frame) => frame,
            Err(end) => return Ok(end),
        };
        stats.record_frame(frame.len(), sent_unix_us(&frame), unix_us_now());
    }
}

/// What the bot says once connected: about the size of a join or a Tickwire `Hello`.
const HELLO: &[u8] = &[0; 32];

/// The send time a raw frame starts with, in Unix microseconds; `None` if the frame is
/// too short or the stamp is not a plausible time.
fn sent_unix_us(frame: &[u8]) -> Option<u64> {
    millis_stamp_us(frame.get(..8)?)
}

#[cfg(test)]
mod tests {
    use super::sent_unix_us;

    #[test]
    fn reads_the_leading_millisecond_stamp() {
        let mut frame = 1_795_373_213_123.5_f64.to_le_bytes().to_vec();
        frame.extend_from_slice(&[7; 100]);
        assert_eq!(sent_unix_us(&frame), Some(1_795_373_213_123_500));
        assert_eq!(sent_unix_us(&frame[..7]), None, "too short for a stamp");
        assert_eq!(sent_unix_us(&f64::NAN.to_le_bytes()), None, "not a time");
    }
}
