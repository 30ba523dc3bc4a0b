//! Network limits and timings.

use std::time::Duration;

/// How sessions are run.
#[derive(Debug, Clone, PartialEq)]
pub struct NetConfig {
    /// A connection that has not sent a valid `Hello` by then is closed.
    pub handshake_timeout: Duration,
    /// How often the server pings each session to measure its round-trip time (a quiet
    /// client's heartbeat comes with each ping). At most half the idle timeout, so a live
    /// client answers twice before it would count as silent.
    pub ping_interval: Duration,
    /// Largest message a client may send; client messages are tens of bytes.
    pub max_message_bytes: usize,
    /// Per-connection read buffer, and the most one read takes from the socket. Small on
    /// purpose: it is held by every idle connection (tungstenite's default is 128 KiB),
    /// and client traffic is light: an input is about 40 bytes and a pong less, so each
    /// still arrives in one read; only a larger message (a `Hello` with tokens, at most
    /// `max_message_bytes`) takes a few, and the buffer grows to hold it while it arrives.
    pub read_buffer_bytes: usize,
    /// Kernel send buffer per connection. Bounded on purpose: what sits in it is already
    /// committed and goes stale while a slow client drains it; beyond it the session skips
    /// to the newest snapshot instead. `None` keeps the OS default (autotuned up to
    /// megabytes on Linux).
    pub send_buffer_bytes: Option<usize>,
    /// Most sessions at once; beyond it clients are told the server is full. Actors
    /// waiting for a resume count too, but make room for a newcomer, oldest first.
    pub max_sessions: usize,
    /// Most sessions from one IP address at once, counted the same way.
    pub max_sessions_per_address: usize,
    /// Most messages a client may send per second, on average (token bucket).
    pub max_messages_per_second: u32,
    /// Messages a client may send in a burst above the average.
    pub message_burst: u32,
    /// A session that sends nothing for this long, or whose write waits this long for a
    /// client that does not read, is closed (its actor kept for a resume). Live clients
    /// answer a ping every `ping_interval` and read what they are sent, so only dead or
    /// stuck ones are.
    pub idle_timeout: Duration,
    /// How long a dropped session's token stays redeemable; the server sets it to the
    /// sim's grace window, so tokens live exactly as long as the actors they resume.
    pub resume_grace: Duration,
    /// Browser origins allowed to connect (`https://game.example`); empty allows all.
    pub allowed_origins: Vec<String>,
    /// How long a closing session waits for its last messages to flush and for the
    /// peer's close reply.
    pub close_timeout: Duration,
}

impl NetConfig {
    /// The longest a session's own timer sleeps while nothing changes: half the idle
    /// timeout (so a quiet client is pinged twice, and answers, before it would count as
    /// silent), never shorter than the ping interval. Clients are told it in `Welcome`.
    /// Half rather than less: 10,000 idle connections then cost less CPU than Colyseus's
    /// 3-second pings (BENCHMARKS.md, idle).
    pub fn quiet_interval(&self) -> Duration {
        (self.idle_timeout / 2).max(self.ping_interval)
    }
}

impl Default for NetConfig {
    fn default() -> Self {
        Self {
            handshake_timeout: Duration::from_secs(5),
            // Every 2 s, as Mirror does (Colyseus: 3 s). Each ping costs a write and a read
            // per client: pinging every 3 s instead of every second took about 4% off the
            // small load's CPU (BENCHMARKS.md).
            ping_interval: Duration::from_secs(2),
            max_message_bytes: tickwire_protocol::decode::MAX_CLIENT_FRAME_BYTES,
            read_buffer_bytes: 128,
            send_buffer_bytes: Some(64 * 1024),
            max_sessions: 10_000,
            max_sessions_per_address: 64,
            // Inputs at up to 60 per second, pongs, and the occasional request.
            max_messages_per_second: 120,
            message_burst: 240,
            idle_timeout: Duration::from_secs(10),
            resume_grace: Duration::from_secs(30),
            allowed_origins: Vec::new(),
            close_timeout: Duration::from_secs(1),
        }
    }
}
