//! Network limits and timings.

use std::time::Duration;

/// How sessions are run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NetConfig {
    /// A connection that has not sent a valid `Hello` by then is closed.
    pub handshake_timeout: Duration,
    /// How often the server pings each session to measure its round-trip time.
    pub ping_interval: Duration,
    /// Largest message a client may send; client messages are tens of bytes.
    pub max_message_bytes: usize,
    /// Per-connection read buffer. Small on purpose: client traffic is light, and this
    /// buffer is allocated for every idle connection (tungstenite's default is 128 KiB).
    pub read_buffer_bytes: usize,
    /// Kernel send buffer per connection. Bounded on purpose: what sits in it is already
    /// committed and goes stale while a slow client drains it; beyond it the session skips
    /// to the newest snapshot instead. `None` keeps the OS default (autotuned up to
    /// megabytes on Linux).
    pub send_buffer_bytes: Option<usize>,
    /// How long a closing session waits for its last messages to flush and for the
    /// peer's close reply.
    pub close_timeout: Duration,
}

impl Default for NetConfig {
    fn default() -> Self {
        Self {
            handshake_timeout: Duration::from_secs(5),
            ping_interval: Duration::from_secs(1),
            max_message_bytes: tickwire_protocol::decode::MAX_CLIENT_FRAME_BYTES,
            read_buffer_bytes: 4 * 1024,
            send_buffer_bytes: Some(64 * 1024),
            close_timeout: Duration::from_secs(1),
        }
    }
}
