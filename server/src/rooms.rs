//! Rooms: many worlds in one process, each with its own tick, settings, snapshots,
//! resume tokens, auto-tuner and places, found and joined through matchmaking.
//!
//! # Layout
//! - [`RoomTypes`]: what a game defines: room types by name, each a [`Game`] that builds
//!   every room of that type, with its capacity.
//! - [`RoomsConfig`]: the process's room rules (empty timeout, seat lifetime, room limit,
//!   sim threads, the default room).
//! - `registry`: the rooms that exist, their lifecycle, and seats; the network side finds
//!   rooms through it (it is the [`tickwire_net::RoomDirectory`]).
//! - `places`: who holds a place in one room (pure, manual time).
//! - `seat_token`: signed seat tokens.
//! - `exposition`: each room's series on `/metrics`.
//! - `heap_trim`: when the heap that parked and disposed rooms, or a wave of sessions,
//!   freed goes back to the OS.
//! - [`RoomClock`]: the time lifecycles run on ([`ManualClock`] in tests).
//!
//! # Lifecycle
//! A room is *creating* while the registry makes it (under the registry's lock, so
//! nobody sees a half-made room: a join-or-create either finds the finished room or makes
//! it), then *open*. Its world is built, under the same lock, when its first player
//! arrives (the default room's at start): a room whose seats expire unused costs no
//! world. A room is *locked* while every place is taken (or an operator locked it), so
//! matchmaking passes it by; *disposing* once it has been empty for the empty
//! timeout: it leaves the registry and the sim pool in one step under the same lock that
//! every join takes, so a join either lands before (and the room is not empty) or finds no
//! room (404, or a fresh room for a join-or-create): never a zombie.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::sync::Arc;
use std::time::Duration;

use tickwire_sim::Game;

mod clock;
pub(crate) mod exposition;
pub(crate) mod heap_trim;
mod places;
pub(crate) mod registry;
mod seat_token;

pub use clock::{ManualClock, RoomClock, SystemClock};

/// The type name of the built-in room type, and the id of the default room.
pub const DEFAULT_ROOM: &str = "default";

/// One kind of room a game offers.
pub struct RoomType {
    pub(crate) game: Arc<dyn Game>,
    pub(crate) max_clients: Option<usize>,
    pub(crate) keeps_world_when_empty: bool,
}

impl RoomType {
    /// `max_clients` players per room of this type. A room's creation options may ask for
    /// fewer, never more. Without it, a created room holds 16 unless its options ask for
    /// more (up to the server's `max_sessions`), and the default room holds
    /// `max_sessions`.
    pub fn max_clients(&mut self, max_clients: usize) -> &mut Self {
        self.max_clients = Some(max_clients.max(1));
        self
    }

    /// Rooms of this type keep their world while nobody is in them, for games whose rooms
    /// hold state beyond their players (a persistent map, a lobby's board). By default a
    /// room whose players have all left lets its world go once parked (2 s later), and
    /// the next player gets a fresh one built by the game, carrying on from the old one's
    /// tick and settings: an empty room then costs a few KiB instead of its whole world.
    /// The default room always keeps its world.
    pub fn keep_world_when_empty(&mut self) -> &mut Self {
        self.keeps_world_when_empty = true;
        self
    }
}

/// The room types a game defines, by name.
#[derive(Default)]
pub struct RoomTypes {
    pub(crate) types: BTreeMap<String, RoomType>,
}

impl RoomTypes {
    /// Defines (or redefines) the room type `name`: `game` builds every room of it.
    /// Names are lowercase letters, digits, `_` and `-`, at most 32 (checked at start).
    pub fn define(&mut self, name: impl Into<String>, game: impl Game) -> &mut RoomType {
        let room_type =
            RoomType { game: Arc::new(game), max_clients: None, keeps_world_when_empty: false };
        match self.types.entry(name.into()) {
            Entry::Occupied(mut defined) => {
                defined.insert(room_type);
                defined.into_mut()
            }
            Entry::Vacant(new) => new.insert(room_type),
        }
    }
}

/// The process's room rules.
#[derive(Debug, Clone)]
pub struct RoomsConfig {
    /// A room nobody holds a place in for this long is disposed.
    pub empty_timeout: Duration,
    /// How long a seat from the matchmaker stays reserved for its client.
    pub seat_ttl: Duration,
    /// Most rooms at once (the default room included); beyond it creating fails (503).
    pub max_rooms: usize,
    /// Threads stepping every room's world.
    pub sim_threads: usize,
    /// The room type whose room (id `default`) is created at start, never disposed, and
    /// joined by a `Hello` without a seat; `None`: no default room.
    pub default_room: Option<String>,
    /// Where lifecycles read the time.
    pub clock: Arc<dyn RoomClock>,
}

impl Default for RoomsConfig {
    fn default() -> Self {
        Self {
            empty_timeout: Duration::from_secs(30),
            seat_ttl: Duration::from_secs(15),
            max_rooms: 1000,
            sim_threads: std::thread::available_parallelism().map_or(1, usize::from),
            default_room: Some(DEFAULT_ROOM.to_owned()),
            clock: Arc::new(SystemClock),
        }
    }
}
