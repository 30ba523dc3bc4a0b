//! The Tickwire wire protocol.
//!
//! `schema/tickwire.fbs` is the single source of truth; `scripts/gen-protocol` turns it
//! into [`wire`] (Rust) and the browser client's TypeScript. Nothing outside this crate
//! touches the generated code: the rest of the workspace speaks the owned types below.
//!
//! # Layout
//! - [`message`]: owned, validated message types ([`ClientMessage`], [`ServerMessage`],
//!   [`Settings`], ...).
//! - [`decode`]: every inbound frame goes through the FlatBuffers verifier, with depth,
//!   table-count and size limits, before a single field is read.
//! - [`encode`]: builders from owned types to frames.
//! - [`close`]: close codes shared by the `Disconnect` message and the WebSocket close frame.
//!
//! # Example
//! ```
//! use tickwire_protocol::{ClientMessage, Hello, PROTOCOL_VERSION};
//!
//! let hello = ClientMessage::Hello(Hello { protocol_version: PROTOCOL_VERSION });
//! let frame = hello.encode();
//! assert_eq!(ClientMessage::decode(&frame), Ok(hello));
//! ```

pub mod close;
pub mod decode;
pub mod encode;
pub mod message;

#[rustfmt::skip]
#[allow(clippy::all, clippy::unwrap_used, clippy::expect_used, missing_docs, unsafe_code, mismatched_lifetime_syntaxes)]
#[path = "generated/tickwire_generated.rs"]
mod generated;

/// The FlatBuffers code generated from `schema/tickwire.fbs`.
pub use generated::tickwire as wire;

pub use close::CloseCode;
pub use decode::DecodeError;
pub use message::{
    ActorKind, ActorState, ClientMessage, Disconnect, Hello, Input, Ping, Pong, ServerMessage,
    Settings, SettingsError, Snapshot, Welcome,
};

/// The protocol version this build speaks; a `Hello` with another version is refused.
pub const PROTOCOL_VERSION: u16 = 1;
