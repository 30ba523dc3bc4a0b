//! The Tickwire network side: WebSocket sessions on a tokio runtime.
//!
//! # Layout
//! - [`Net`]: the shared state of all sessions (config, the sim's channels, the newest
//!   frame, shutdown) and the HTTP handler that upgrades `/ws` to a WebSocket.
//! - [`SharedFrame`]: a frame published by the sim plus its encoding, made once by the
//!   first session that needs it and shared by all.
//! - `session`: one task per connection: handshake, then read inputs, write snapshots,
//!   ping; every error ends only that session, with a close code and a reason.
//!
//! # Data flow
//! Sessions never touch the world. Inputs go to the sim through [`tickwire_sim::SimSender`];
//! frames come back through a `tokio::sync::watch` channel, which keeps only the newest,
//! so a slow session skips stale snapshots instead of queueing them.

mod config;
mod endpoint;
mod session;
mod shared_frame;

pub use config::NetConfig;
pub use endpoint::Net;
pub use shared_frame::SharedFrame;
