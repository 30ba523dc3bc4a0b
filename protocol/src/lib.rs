//! The Tickwire wire protocol.
//!
//! `schema/tickwire.fbs` is the single source of truth; `scripts/gen-protocol` turns it
//! into [`wire`] (Rust) and the browser client's TypeScript. Nothing outside this crate
//! touches the generated code: the rest of the workspace speaks the owned types below.
//!
//! # Layout
//! - [`message`]: owned, validated message types ([`ClientMessage`], [`ServerMessage`],
//!   ...).
//! - [`settings`]: [`Settings`], their validation, and [`SettingsPatch`] for live changes.
//! - [`state`]: [`WorldState`], the quantised, columnar replicated world: the server's
//!   frame and the client's mirror.
//! - [`delta`]: [`Snapshot::diff`] (server) and [`WorldState::apply`] (client).
//! - [`synthetic`]: reproducible worlds with a chosen share of moving actors, for the
//!   benchmarks and the snapshot size report.
//! - [`decode`]: every inbound frame goes through the FlatBuffers verifier, with depth,
//!   table-count and size limits, before a single field is read.
//! - [`encode`]: builders from owned types to frames.
//! - [`close`]: close codes shared by the `Disconnect` message and the WebSocket close frame.
//! - [`untrusted`]: [`Untrusted`], text a peer sent escaped for a log line (both sides log
//!   what the other sent).
//! - [`tick`]: tick comparisons that hold across the `u32` wrap; the only way ticks are
//!   ordered anywhere.
//!
//! # Example
//! ```
//! use tickwire_protocol::{ClientMessage, Hello};
//!
//! let hello = ClientMessage::Hello(Hello::new());
//! let frame = hello.encode();
//! assert_eq!(ClientMessage::decode(&frame), Ok(hello));
//! ```

pub mod close;
pub mod decode;
pub mod delta;
pub mod encode;
mod id_list;
pub mod message;
pub mod settings;
pub mod state;
pub mod synthetic;
pub mod tick;
pub mod untrusted;

#[rustfmt::skip]
#[allow(clippy::all, clippy::unwrap_used, clippy::expect_used, missing_docs, unsafe_code, mismatched_lifetime_syntaxes)]
#[path = "generated/tickwire_generated.rs"]
mod generated;

/// The FlatBuffers code generated from `schema/tickwire.fbs`.
pub use generated::tickwire as wire;

pub use close::{CLOSE_CODES, CloseCode, CloseCodeInfo, Retry, retry_after};
pub use decode::DecodeError;
pub use delta::ApplyError;
pub use message::{
    ActorKind, ClientMessage, Disconnect, GameEvent, Hello, Input, Jumped, Moved, Ping, Pong,
    Refielded, ResumeToken, ServerMessage, Snapshot, SnapshotRate, ThrottleReason, Turned, Welcome,
};
pub use settings::{Settings, SettingsError, SettingsPatch};
pub use state::{ActorRow, FIELD_SLOTS, WorldState};
pub use untrusted::Untrusted;

/// The protocol version this build speaks (from the schema); a `Hello` with another
/// version is refused.
pub const PROTOCOL_VERSION: u16 = wire::ProtocolVersion::Current.0;
