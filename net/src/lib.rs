//! The Tickwire network side: WebSocket sessions on a tokio runtime.
//!
//! # Layout
//! - [`Net`]: the shared state of all sessions (config, the sim's channels, the newest
//!   frame, shutdown) and the HTTP handler that upgrades `/ws` to a WebSocket.
//! - [`SnapshotPublisher`] / [`SnapshotRing`]: the recent frames that serve as delta
//!   baselines, and their encodings ([`SharedSnapshot`]), made once per baseline by the first
//!   session that needs one and shared by all.
//! - `admission`: session slots (total, per address; dropped sessions' actors hold theirs
//!   until a newcomer needs it), the origin allow-list, and the [`Authenticator`] hook,
//!   which says who a client is ([`Identity`]); `resume`: resume tokens, bound to that
//!   identity; `message_budget`: the per-client message rate limit.
//! - [`LogThrottle`]: one log line per interval for events outsiders can repeat.
//! - [`NetMetrics`]: sessions, traffic, snapshot sizes, skips, throttling, round trips.
//! - [`PeerSocket`]: each connection's address, as the server's HTTP loop hands it to
//!   requests; `send_queue`: what the kernel still holds for a client;
//!   `drain`: how fast a client takes it.
//! - `throttle`: each session's effective snapshot interval, from its socket's
//!   backpressure and send queue, and the client's own cap.
//! - `session`: one task per connection: handshake, then a reader (inputs, acks, pongs)
//!   and the session's own writing (pings, heartbeats, requests, blocked writes) side by
//!   side; every error ends only that session, with a close code and a reason.
//! - `fanout`: each room's writer shards, which write every new frame to the room's
//!   in-sync sessions without waking their tasks.
//! - Every log field that can carry what a peer sent goes through
//!   [`tickwire_protocol::Untrusted`], escaped to one line.
//!
//! - [`RoomDirectory`] / [`RoomLink`]: how a session finds the room its `Hello` is for
//!   (seat, resumed room, or the default room) and everything it uses of that room; the
//!   server's room registry implements them and counts places through [`Seating`].
//!
//! # Data flow
//! Sessions never touch a world. Inputs go to their room's sim through
//! [`tickwire_sim::SimSender`]; snapshots come back through a `tokio::sync::watch` channel of ring views, which keeps only
//! the newest, so a slow session skips stale snapshots instead of queueing them, and its
//! next snapshot is a delta from the last one it was sent.

mod admission;
mod config;
mod drain;
mod endpoint;
mod fanout;
mod log_throttle;
mod message_budget;
mod metrics;
mod peer_socket;
mod resume;
mod room;
mod send_queue;
mod session;
mod signed_tokens;
mod snapshot_ring;
mod throttle;
mod ws_frame;

pub use admission::{AllowAll, Authenticator, Identity};
pub use config::NetConfig;
pub use endpoint::Net;
pub use log_throttle::LogThrottle;
pub use metrics::NetMetrics;
pub use peer_socket::PeerSocket;
pub use room::{Arrival, Destination, Refusal, RoomDirectory, RoomLink, SeatId, Seating};
pub use signed_tokens::SignedTokens;
pub use snapshot_ring::{SharedSnapshot, SnapshotPublisher, SnapshotRing};
