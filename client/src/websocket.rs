//! How a Tickwire client's WebSocket reads: one configuration for the client's own socket
//! task and for every bot of the load tool, so what one measures is what the other runs.
//!
//! tungstenite fills the free room of its read buffer with zeros before every read
//! (`FrameCodec::read_in`), including the read that finds the socket empty and ends each
//! wakeup. Its default room is 128 KiB: at 200 connections and 30 snapshots a second,
//! that zeroing was 48–57% of the load tool's CPU (`perf`, small scenario), more than the
//! reading itself, and it made every client slower to take what arrived. A snapshot
//! rarely fills 8 KiB (a 1,000-actor delta is about 3 KiB); a larger message still
//! arrives whole, over more reads, as tungstenite grows the buffer for it.

use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Bytes a client asks for in one read of its socket.
const READ_BYTES: usize = 8 * 1024;

/// The WebSocket configuration every Tickwire client connects with.
#[must_use]
pub fn websocket_config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(READ_BYTES)
}
