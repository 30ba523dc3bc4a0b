//! The Tickwire Rust client: what bots, the load tool and the tests use to play.
//!
//! [`Client::connect`] opens the WebSocket, sends `Hello` and waits for `Welcome`. A
//! background task then owns the socket: it answers the server's pings, decodes every
//! frame (verified, like the server does), and hands typed [`Event`]s to
//! [`Client::next_event`]. Events wait in a bounded queue: a caller that stops reading
//! stops the task reading the socket, which is exactly what a slow client looks like
//! to the server.
//!
//! The client keeps a mirror of the world ([`Client::world`], a quantised
//! [`protocol::WorldState`]): each full or delta snapshot is applied to it as its event is
//! taken, so the mirror always equals the server's state at the tick of the last
//! [`Event::Snapshot`]. Inputs acknowledge the mirror's tick; a delta that does not fit
//! (which a correct server never sends) triggers a request for a full snapshot.
//!
//! A lost connection is not the end: the client reconnects with exponential backoff and
//! jitter and resumes its session with the token from its last `Welcome`, keeping its
//! actor ([`Event::Reconnecting`], then [`Event::Reconnected`]). [`ClientBuilder`] sets
//! the auth token and the retry policy. [`Interpolator`] turns the mirror's states into
//! smooth positions for drawing.
//!
//! A client plays in one room: the server's default room, or one it got a [`Seat`] in
//! from the server's matchmaking API ([`Matchmaker`]: list, create, join, join or
//! create). Reconnects resume into the same room; a resume the room refuses is answered
//! once with a new seat in it ([`ClientBuilder`] tells how).
//!
//! # Layout
//! - `connection`: [`Client`] and [`ClientBuilder`], the caller's side.
//! - `driver`: the socket task: handshake, frames, reconnects.
//! - `seating`: what each reconnect's `Hello` carries, and when to ask for a new seat.
//! - `matchmaker`: the HTTP client of the matchmaking API.
//! - `backoff`, `interpolation`: reconnect delays; smooth positions for drawing.
//! - `websocket`: how a client's socket reads ([`websocket_config`]), shared with the
//!   load tool's bots.
//!
//! # Example
//! ```no_run
//! # async fn demo() -> Result<(), tickwire_client::ClientError> {
//! use tickwire_client::{Client, Event};
//!
//! let mut client = Client::connect("ws://127.0.0.1:8080/ws").await?;
//! println!("I am actor {}", client.welcome().actor_id);
//! client.send_input(glam::Vec2::X)?;
//! while let Some(event) = client.next_event().await {
//!     if let Event::Snapshot { tick, .. } = event {
//!         let me = client.world().position(client.welcome().actor_id);
//!         println!("tick {tick}: {} actors, I am at {me:?}", client.world().len());
//!     }
//! }
//! # Ok(()) }
//! ```

mod backoff;
mod connection;
mod driver;
mod interpolation;
mod matchmaker;
mod seating;
mod websocket;

pub use connection::{Client, ClientBuilder, ClientError, Event};
pub use interpolation::Interpolator;
pub use matchmaker::{Label, MatchError, MatchRequest, Matchmaker, Room, RoomState, Seat};
pub use tickwire_protocol as protocol;
pub use websocket::websocket_config;
