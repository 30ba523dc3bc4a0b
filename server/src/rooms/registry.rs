//! [`Registry`]: the rooms that exist, their places and lifecycle, and the seats the
//! matchmaker hands out. The network side finds rooms through it ([`RoomDirectory`]) and
//! counts places through each room's [`Seating`].
//!
//! One lock guards every room's places and the room map, and it is held only for
//! bookkeeping (and to build a room's world when its first player arrives, so a room is
//! never seen half made): a join, a seat's use and a disposal are each one step under it,
//! which is what keeps concurrent join-or-creates to one room at a time and disposals
//! from racing joins.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tickwire_net::{
    Arrival, Destination, NetMetrics, Refusal, RoomDirectory, RoomLink, SeatId, Seating,
    SnapshotPublisher,
};
use tickwire_protocol::{CloseCode, Settings};
use tickwire_sim::resources::RoomOptions;
use tickwire_sim::{
    AutotuneConfig, Autotuner, Game, Publication, Publish, Rebuild, RunnerOptions, SessionId,
    SimConfig, SimInbox, SimMetrics, SimPool, Simulation, WorldKey, WorldLoop, WorldSnapshot,
    WorldStats, WorldStatsSnapshot, build_contained, report_failure, sim_channels,
};
use tokio::sync::Notify;
use tracing::{info, info_span, warn};

use super::heap_trim::TrimPolicy;
use super::places::Places;
use super::seat_token::SeatSigner;
use super::{DEFAULT_ROOM, RoomType, RoomTypes, RoomsConfig};

/// Most label fields a room may carry, and the most bytes of JSON they may take.
const MAX_LABEL_FIELDS: usize = 16;
const MAX_LABEL_BYTES: usize = 1024;
/// The most bytes of JSON a room's creation options may take.
const MAX_OPTIONS_BYTES: usize = 4096;
/// A room's input queue holds this many inputs per place (ticks of inputs from every
/// player), at least `MIN_INPUT_QUEUE`, at most `input_queue_capacity`.
const INPUTS_PER_CLIENT: usize = 16;
const MIN_INPUT_QUEUE: usize = 64;
/// The capacity of a room created without `max_clients` in its options, when its type
/// sets none (its options may ask for up to the type's maximum).
const CREATED_ROOM_CAPACITY: usize = 16;
/// How long a room's world runs on after its last player left, before it is parked.
const PARK_AFTER: Duration = Duration::from_secs(2);

/// What every room's world is built from, besides its type and options.
pub(crate) struct WorldTemplate {
    pub(crate) sim: SimConfig,
    pub(crate) input_queue_capacity: usize,
    pub(crate) max_catch_up_ticks: u32,
    pub(crate) autotune: AutotuneConfig,
    pub(crate) sim_metrics: SimMetrics,
    pub(crate) net_metrics: NetMetrics,
    /// A room type's capacity when it sets none.
    pub(crate) max_clients: usize,
    /// The input cadence a room's settings must fit.
    pub(crate) max_client_messages_per_second: u32,
}

/// Why a matchmaking request failed; each maps to an HTTP status.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum MatchError {
    /// No such room type, bad options or label.
    #[error("{0}")]
    Invalid(String),
    /// No such room (or it was disposed).
    #[error("{0}")]
    NoRoom(String),
    /// The room is full or locked.
    #[error("{0}")]
    Unavailable(String),
    /// The process is at its room limit, or a world could not be built.
    #[error("{0}")]
    Exhausted(String),
}

impl MatchError {
    /// Room `id` does not exist.
    pub(crate) fn no_room(id: &str) -> Self {
        Self::NoRoom(format!("no room {id:?}"))
    }
}

/// A seat the matchmaker reserved, as its answer names it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct SeatGrant {
    pub(crate) room: String,
    pub(crate) name: String,
    pub(crate) seat: String,
    pub(crate) expires_in_ms: u64,
}

/// A room as listings show it (and as the directory carries it between processes).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct RoomInfo {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) clients: usize,
    pub(crate) max_clients: usize,
    pub(crate) label: Map<String, Value>,
    pub(crate) tick_rate_hz: u64,
    pub(crate) state: RoomState,
}

/// Whether matchmaking may place players in a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RoomState {
    /// It has free places.
    Open,
    /// Full, or locked by an operator.
    Locked,
}

/// A room's numbers at one moment, for `/metrics`.
#[derive(Debug, Clone)]
pub(crate) struct RoomStats {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) places: usize,
    pub(crate) max_clients: usize,
    pub(crate) outbound_bytes: u64,
    pub(crate) world: WorldStatsSnapshot,
}

/// One room's world, as the process's tick watchdog sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WorldPulse {
    pub(crate) room: String,
    /// Ticks it has run.
    pub(crate) ticks: u64,
    /// Whether the pool steps it (somebody plays in it).
    pub(crate) stepping: bool,
}

/// Every room's world and every player, at one moment.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pulse {
    pub(crate) worlds: Vec<WorldPulse>,
    /// `ROOM/SESSION` of every session holding a place, sorted; `None` if no session
    /// took, changed or freed a place since the caller's last pulse.
    pub(crate) players: Option<Vec<String>>,
}

/// A room's sessions, for the admin API.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct RoomClients {
    pub(crate) room: String,
    pub(crate) live: Vec<SessionId>,
    /// Dropped sessions still holding their place, with the milliseconds left.
    pub(crate) lingering: Vec<(SessionId, u64)>,
    pub(crate) seats_reserved: usize,
}

struct Room {
    name: String,
    label: Map<String, Value>,
    max_clients: usize,
    places: Places,
    /// Locked by an operator: matchmaking passes it by (as when the game locks it).
    locked: bool,
    /// The default room: never disposed, takes sessions without a seat.
    permanent: bool,
    link: Arc<RoomLink>,
    /// The settings the world started with, until its first snapshot carries those in force.
    initial_settings: Settings,
    stats: Arc<WorldStats>,
    /// Its world's key in the sim pool, once built.
    world: Option<WorldKey>,
    /// What its world is built from, until it is: when somebody first plays in the room.
    recipe: Option<Box<WorldRecipe>>,
    /// Whether the pool steps its world: only while somebody plays in it.
    stepping: bool,
    /// Since when nobody has played in it, if nobody does.
    unplayed_since: Option<Instant>,
    /// Creation order, for choosing among equally full rooms.
    order: u64,
}

impl Room {
    /// Parks the room's world once nobody has played in it for [`PARK_AFTER`] (it costs
    /// no CPU then; the delay lets it act on the last players' leaving and publish it) and
    /// steps it again as soon as somebody does (building it the first time). Returns
    /// whether it parked it just now.
    fn step_while_played(&mut self, id: &str, registry: &Registry, now: Instant) -> bool {
        if self.places.anyone_playing(now) {
            self.unplayed_since = None;
            self.play(id, registry);
            return false;
        }
        let since = *self.unplayed_since.get_or_insert(now);
        if let Some(world) = self.world
            && self.stepping
            && now.saturating_duration_since(since) >= PARK_AFTER
        {
            registry.pool.park(world);
            self.stepping = false;
            return true;
        }
        false
    }

    /// Steps the room's world from now, building it first if it is not built yet.
    fn play(&mut self, id: &str, registry: &Registry) {
        if self.stepping {
            return;
        }
        match (self.world, self.recipe.take()) {
            (Some(world), _) => registry.pool.unpark(world),
            (None, Some(recipe)) => {
                match registry.start_world(id, &self.name, *recipe, &self.stats) {
                    Some(world) => self.world = Some(world),
                    None => return,
                }
            }
            // Its game failed while building it: nothing to step.
            (None, None) => return,
        }
        self.stepping = true;
    }

    /// The tick rate in force: its world's, or the one it will start at.
    fn tick_rate_hz(&self) -> u64 {
        match self.world {
            Some(_) => self.stats.tick_rate_hz(),
            None => u64::from(self.initial_settings.tick_rate_hz),
        }
    }

    fn is_full(&mut self, now: Instant) -> bool {
        self.places.taken(now) >= self.max_clients
    }

    /// Locked by an operator or by the game: matchmaking passes it by.
    fn is_locked(&self) -> bool {
        self.locked || self.stats.locked_by_game()
    }

    fn info(&mut self, id: &str, now: Instant) -> RoomInfo {
        let clients = self.places.taken(now);
        RoomInfo {
            id: id.to_owned(),
            name: self.name.clone(),
            clients,
            max_clients: self.max_clients,
            label: self.label.clone(),
            tick_rate_hz: self.tick_rate_hz(),
            state: if self.is_locked() || clients >= self.max_clients {
                RoomState::Locked
            } else {
                RoomState::Open
            },
        }
    }
}

#[derive(Default)]
struct State {
    rooms: HashMap<String, Room>,
    /// The process drains: no new rooms, seats or seatless players.
    draining: bool,
    next_seat: u64,
    next_order: u64,
    /// When the heap that parked and disposed rooms, or a wave of sessions, freed goes
    /// back to the OS.
    trim: TrimPolicy,
}

/// Every room of the process.
pub(crate) struct Registry {
    state: Mutex<State>,
    types: RoomTypes,
    template: WorldTemplate,
    config: RoomsConfig,
    pool: SimPool,
    signer: SeatSigner,
    /// The default room's id: `default`, or `default-PROCESS` in a cluster.
    default_id: String,
    /// What every room id ends with: `-PROCESS` in a cluster (so any process can tell a
    /// room's owner from its id), else nothing.
    id_suffix: String,
    /// Told whenever rooms or their places change (the directory republishes).
    changed: Arc<Notify>,
    /// Itself, for the rooms' [`Seating`] (which must not keep the registry alive).
    this: Weak<Registry>,
}

impl Registry {
    /// A registry with the default room, if configured, already open.
    ///
    /// # Errors
    /// Sim threads that cannot start, or a default room that cannot be built.
    /// In a cluster, `process` names this process: room ids end with `-PROCESS`.
    pub(crate) fn start(
        types: RoomTypes,
        template: WorldTemplate,
        config: RoomsConfig,
        process: Option<&str>,
    ) -> Result<Arc<Self>, MatchError> {
        if let Some(name) = types.types.keys().find(|name| !valid_type_name(name)) {
            return Err(MatchError::Invalid(format!(
                "room type name {name:?}: use 1 to 32 lowercase letters, digits, `_` or `-`"
            )));
        }
        let pool = SimPool::new(config.sim_threads)
            .map_err(|error| MatchError::Exhausted(format!("cannot start sim threads: {error}")))?;
        let mut key = [0u8; 32];
        getrandom::fill(&mut key)
            .map_err(|error| MatchError::Exhausted(format!("no randomness for seats: {error}")))?;
        let signer = SeatSigner::new(&key)
            .map_err(|_| MatchError::Exhausted("cannot key seat signatures".into()))?;
        let id_suffix = process.map(|process| format!("-{process}")).unwrap_or_default();
        let registry = Arc::new_cyclic(|this| Self {
            state: Mutex::default(),
            types,
            template,
            config,
            pool,
            signer,
            default_id: format!("{DEFAULT_ROOM}{id_suffix}"),
            id_suffix,
            changed: Arc::default(),
            this: this.clone(),
        });
        let now = registry.config.clock.now();
        registry.open_default_room(&mut registry.lock(), now)?;
        Ok(registry)
    }

    /// Opens the default room, if there is one, and builds its world at once: it takes
    /// seatless players, and the process's metrics are its world's.
    fn open_default_room(&self, state: &mut State, now: Instant) -> Result<(), MatchError> {
        let Some(name) = self.config.default_room.as_deref() else { return Ok(()) };
        let id = self.default_id.clone();
        self.open_room(state, id.clone(), name, Map::new(), Map::new(), now)?;
        let room = state.rooms.get_mut(&id).ok_or_else(|| MatchError::no_room(&id))?;
        room.permanent = true;
        room.play(&id, self);
        if room.stats.failed() {
            return Err(MatchError::Exhausted(
                "the default room's game panicked while building its world (see the log)".into(),
            ));
        }
        Ok(())
    }

    /// The default room's id (whether or not there is one).
    pub(crate) fn default_id(&self) -> &str {
        &self.default_id
    }

    /// Whether a room of type `name` labelled `label` could be made here: the type is
    /// defined and the label within its limits (every process of a cluster runs the same
    /// game, so this answers for all of them).
    pub(crate) fn check_request(
        &self,
        name: &str,
        label: &Map<String, Value>,
    ) -> Result<(), MatchError> {
        if !self.types.types.contains_key(name) {
            return Err(MatchError::Invalid(format!("no room type {name:?}")));
        }
        check_label(label)
    }

    /// Woken whenever a room is made or disposed, or places change.
    pub(crate) fn changes(&self) -> Arc<Notify> {
        Arc::clone(&self.changed)
    }

    /// How many rooms may exist at once.
    pub(crate) fn max_rooms(&self) -> usize {
        self.config.max_rooms
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update leaves the state consistent before anything that can panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The rooms of type `name` (any, if `None`), oldest first.
    pub(crate) fn list(&self, name: Option<&str>) -> Vec<RoomInfo> {
        let now = self.config.clock.now();
        let mut state = self.lock();
        self.sweep_locked(&mut state, now);
        let mut rooms: Vec<_> = state
            .rooms
            .iter_mut()
            .filter(|(_, room)| name.is_none_or(|name| room.name == name))
            .map(|(id, room)| (room.order, room.info(id, now)))
            .collect();
        rooms.sort_by_key(|(order, _)| *order);
        rooms.into_iter().map(|(_, info)| info).collect()
    }

    /// Creates a room of type `name` and reserves a seat in it.
    pub(crate) fn create(
        &self,
        name: &str,
        label: Map<String, Value>,
        options: Map<String, Value>,
    ) -> Result<SeatGrant, MatchError> {
        let now = self.config.clock.now();
        let mut state = self.lock();
        self.sweep_locked(&mut state, now);
        refuse_while_draining(&state)?;
        let id = self.new_room_id(&state)?;
        self.open_room(&mut state, id.clone(), name, label, options, now)?;
        self.reserve(&mut state, &id, now)
    }

    /// Reserves a seat in room `id`.
    pub(crate) fn join(&self, id: &str) -> Result<SeatGrant, MatchError> {
        let now = self.config.clock.now();
        let mut state = self.lock();
        self.sweep_locked(&mut state, now);
        refuse_while_draining(&state)?;
        let room = state.rooms.get_mut(id).ok_or_else(|| MatchError::no_room(id))?;
        if room.is_locked() {
            return Err(MatchError::Unavailable(format!("room {id:?} is locked")));
        }
        if room.is_full(now) {
            let max = room.max_clients;
            return Err(MatchError::Unavailable(format!("room {id:?} is full ({max} players)")));
        }
        self.reserve(&mut state, id, now)
    }

    /// Reserves a seat in the fullest open room of type `name` whose label has every
    /// field of `filter`, or creates one (labelled `filter`) if there is none.
    pub(crate) fn join_or_create(
        &self,
        name: &str,
        filter: Map<String, Value>,
        options: Map<String, Value>,
    ) -> Result<SeatGrant, MatchError> {
        let now = self.config.clock.now();
        let mut state = self.lock();
        self.sweep_locked(&mut state, now);
        refuse_while_draining(&state)?;
        let id = match best_open_room(&mut state, name, &filter, now) {
            Some(id) => id,
            None => {
                let id = self.new_room_id(&state)?;
                self.open_room(&mut state, id.clone(), name, filter, options, now)?;
                id
            }
        };
        self.reserve(&mut state, &id, now)
    }

    /// Reserves a seat in the fullest open room of type `name` whose label has every
    /// field of `filter`, if there is one (and the process is not draining).
    pub(crate) fn join_existing(
        &self,
        name: &str,
        filter: &Map<String, Value>,
    ) -> Option<SeatGrant> {
        let now = self.config.clock.now();
        let mut state = self.lock();
        self.sweep_locked(&mut state, now);
        if state.draining {
            return None;
        }
        let id = best_open_room(&mut state, name, filter, now)?;
        self.reserve(&mut state, &id, now).ok()
    }

    /// Room `id`'s link and the settings in force (for the admin API).
    pub(crate) fn settings(&self, id: &str) -> Option<(Arc<RoomLink>, Settings)> {
        let link =
            self.lock().rooms.get(id).map(|room| (Arc::clone(&room.link), room.initial_settings));
        link.map(|(link, initial)| {
            let in_force = link.snapshots().borrow().newest().map(|snapshot| *snapshot.settings());
            (link, in_force.unwrap_or(initial))
        })
    }

    /// Steps room `id`'s world for a moment if nobody plays in it (parked, or never
    /// built), so that what was just sent to it (an operator's settings change) takes
    /// effect now and shows in its settings, rather than waiting in its inbox for the next
    /// player. Nobody arriving, it parks again [`PARK_AFTER`] later.
    pub(crate) fn stir(&self, id: &str) {
        let now = self.config.clock.now();
        let mut state = self.lock();
        let Some(room) = state.rooms.get_mut(id) else { return };
        if !room.stepping {
            room.play(id, self);
            room.unplayed_since = Some(now);
        }
    }

    /// Room `id`'s sessions and seats.
    pub(crate) fn clients(&self, id: &str) -> Option<RoomClients> {
        let now = self.config.clock.now();
        let mut state = self.lock();
        let room = state.rooms.get_mut(id)?;
        room.places.taken(now);
        let (live, lingering) = room.places.sessions();
        let lingering = lingering
            .into_iter()
            .map(|(session, until)| {
                let left = until.saturating_duration_since(now).as_millis();
                (session, u64::try_from(left).unwrap_or(u64::MAX))
            })
            .collect();
        Some(RoomClients {
            room: id.to_owned(),
            live,
            lingering,
            seats_reserved: room.places.seats_reserved(),
        })
    }

    /// Locks or unlocks room `id` for matchmaking; `false` if there is no such room.
    pub(crate) fn set_locked(&self, id: &str, locked: bool) -> bool {
        let mut state = self.lock();
        let Some(room) = state.rooms.get_mut(id) else { return false };
        room.locked = locked;
        info!(room = id, locked, "room lock changed by an operator");
        true
    }

    /// Stops taking new rooms, seats and seatless players; the rooms run on.
    pub(crate) fn drain(&self) {
        self.lock().draining = true;
        info!("draining: no new rooms or players; the rooms run until empty");
    }

    /// Whether any room holds anybody: a player, a dropped player's place, or a seat.
    pub(crate) fn anyone_inside(&self) -> bool {
        let now = self.config.clock.now();
        self.lock().rooms.values_mut().any(|room| room.places.taken(now) > 0)
    }

    /// Every room's numbers, for `/metrics`, by id.
    pub(crate) fn stats(&self) -> Vec<RoomStats> {
        let now = self.config.clock.now();
        let mut state = self.lock();
        let mut rooms: Vec<_> = state
            .rooms
            .iter_mut()
            .map(|(id, room)| RoomStats {
                id: id.clone(),
                name: room.name.clone(),
                places: room.places.taken(now),
                max_clients: room.max_clients,
                outbound_bytes: room.link.outbound_bytes(),
                world: WorldStatsSnapshot {
                    tick_rate_hz: room.tick_rate_hz(),
                    ..room.stats.snapshot()
                },
            })
            .collect();
        rooms.sort_by(|a, b| a.id.cmp(&b.id));
        rooms
    }

    /// Every room's world and player, for [`crate::process_state`]. `listed` holds the
    /// rooms' session stamps (`Places::sessions_version`) as of the caller's last list of
    /// players: the players are listed again only when one moved. Stamps are unique
    /// across the process, so their set alone says whether any room's sessions changed.
    pub(crate) fn pulse(&self, listed: &mut Vec<u64>) -> Pulse {
        let state = self.lock();
        let worlds = state
            .rooms
            .iter()
            .map(|(id, room)| WorldPulse {
                room: id.clone(),
                ticks: room.stats.ticks(),
                stepping: room.stepping,
            })
            .collect();
        let mut versions: Vec<u64> =
            state.rooms.values().map(|room| room.places.sessions_version()).collect();
        versions.sort_unstable();
        if versions == *listed {
            return Pulse { worlds, players: None };
        }
        *listed = versions;
        let mut players = Vec::new();
        for (id, room) in &state.rooms {
            let (live, lingering) = room.places.sessions();
            let sessions =
                live.into_iter().chain(lingering.into_iter().map(|(session, _)| session));
            players.extend(sessions.map(|session| format!("{id}/{session}")));
        }
        players.sort_unstable();
        Pulse { worlds, players: Some(players) }
    }

    /// Parks rooms nobody plays in and disposes every room that has been empty for the
    /// empty timeout; returns whether the heap they, or a wave of sessions, freed is now
    /// worth trimming ([`super::heap_trim`]). Called once a second.
    pub(crate) fn sweep(&self) -> bool {
        let now = self.config.clock.now();
        let mut state = self.lock();
        self.sweep_locked(&mut state, now);
        state.trim.due(now)
    }

    fn sweep_locked(&self, state: &mut State, now: Instant) {
        let timeout = self.config.empty_timeout;
        let (mut parked, mut sessions) = (0, 0);
        let expired: Vec<String> = state
            .rooms
            .iter_mut()
            .filter_map(|(id, room)| {
                parked += usize::from(room.step_while_played(id, self, now));
                sessions += room.places.sessions_held();
                let empty = room.places.empty_for(now);
                let expired = !room.permanent && empty.is_some_and(|empty| empty >= timeout);
                (expired || room.stats.failed()).then(|| id.clone())
            })
            .collect();
        state.trim.freed(parked + expired.len());
        state.trim.sessions_held(sessions);
        for id in expired {
            self.changed.notify_one();
            let Some(room) = state.rooms.remove(&id) else { continue };
            if let Some(world) = room.world {
                self.pool.remove(world);
            }
            if !room.stats.failed() {
                info!(room = %id, name = %room.name, "room disposed: empty for the empty timeout");
            } else if room.permanent {
                let name = &room.name;
                warn!(room = %id, name, "room disposed: its game failed; a fresh one replaces it");
                if let Err(error) = self.open_default_room(state, now) {
                    warn!(room = %id, %error, "the default room could not be replaced");
                }
            } else {
                warn!(room = %id, name = %room.name, "room disposed: its game failed");
            }
        }
    }

    fn reserve(&self, state: &mut State, id: &str, now: Instant) -> Result<SeatGrant, MatchError> {
        let seat = SeatId(state.next_seat);
        state.next_seat += 1;
        let room = state.rooms.get_mut(id).ok_or_else(|| MatchError::no_room(id))?;
        room.places.reserve(seat, now + self.config.seat_ttl, now);
        self.changed.notify_one();
        Ok(SeatGrant {
            room: id.to_owned(),
            name: room.name.clone(),
            seat: self.signer.sign(id, seat, unix_seconds() + self.config.seat_ttl.as_secs() + 1),
            expires_in_ms: u64::try_from(self.config.seat_ttl.as_millis()).unwrap_or(u64::MAX),
        })
    }

    fn new_room_id(&self, state: &State) -> Result<String, MatchError> {
        if state.rooms.len() >= self.config.max_rooms {
            let max = self.config.max_rooms;
            return Err(MatchError::Exhausted(format!(
                "this server is at its limit of {max} rooms"
            )));
        }
        loop {
            let random = random_id().map_err(|error| {
                MatchError::Exhausted(format!("no randomness for a room id: {error}"))
            })?;
            let id = format!("{random}{}", self.id_suffix);
            if !state.rooms.contains_key(&id) {
                return Ok(id);
            }
        }
    }

    /// Builds room `id` of type `name` and opens it.
    fn open_room(
        &self,
        state: &mut State,
        id: String,
        name: &str,
        label: Map<String, Value>,
        options: Map<String, Value>,
        now: Instant,
    ) -> Result<(), MatchError> {
        check_label(&label)?;
        let room_type = self
            .types
            .types
            .get(name)
            .ok_or_else(|| MatchError::Invalid(format!("no room type {name:?}")))?;
        let type_max = room_type.max_clients.unwrap_or(self.template.max_clients);
        // A match is small unless asked otherwise; the default room takes everyone.
        let capacity = match room_type.max_clients {
            _ if id == self.default_id => type_max,
            Some(max) => max,
            None => CREATED_ROOM_CAPACITY.min(type_max),
        };
        let mut shape = RoomShape::from_options(&options, &self.template, capacity, type_max)?;
        if id != self.default_id {
            // Each room its own world; the configured seed decides the default room's.
            shape.sim.seed = getrandom::u64().map_or(shape.sim.seed, |seed| shape.sim.seed ^ seed);
        }
        let stats = Arc::new(WorldStats::default());
        let initial_settings = shape.sim.settings;
        let (link, recipe) = self.link_room(&id, name, room_type, &shape, options);
        let order = state.next_order;
        state.next_order += 1;
        let room = Room {
            name: name.to_owned(),
            label,
            max_clients: shape.max_clients,
            places: Places::new(now),
            locked: false,
            permanent: false,
            link,
            initial_settings,
            stats,
            world: None,
            recipe: Some(Box::new(recipe)),
            stepping: false,
            unplayed_since: None,
            order,
        };
        info!(room = %id, name, max_clients = room.max_clients, "room created");
        self.changed.notify_one();
        state.rooms.insert(id, room);
        Ok(())
    }

    /// Links room `id` for sessions (its sim channels and snapshot feed) and returns what
    /// its world will be built from.
    fn link_room(
        &self,
        id: &str,
        name: &str,
        room_type: &RoomType,
        shape: &RoomShape,
        options: Map<String, Value>,
    ) -> (Arc<RoomLink>, WorldRecipe) {
        let template = &self.template;
        let sim = shape.sim;
        // The bound on queued inputs, sized to the room (no memory until inputs arrive).
        let inputs = (shape.max_clients.saturating_mul(INPUTS_PER_CLIENT))
            .clamp(MIN_INPUT_QUEUE, template.input_queue_capacity.max(MIN_INPUT_QUEUE));
        let (sender, inbox) = sim_channels(inputs);
        // The ring holds exactly the snapshots the sim keeps ids quarantined for.
        let (publisher, snapshots) = SnapshotPublisher::new(sim.frame_history);
        let net_metrics = template.net_metrics.for_room();
        let publish = RoomFrames { publisher, metrics: net_metrics.clone() };
        let seating = Arc::new(RoomSeating { registry: self.this.clone(), room: id.to_owned() });
        let link = RoomLink::new(id, name, sender, snapshots, net_metrics, seating);
        let seats = u32::try_from(shape.max_clients).unwrap_or(u32::MAX);
        let game = Arc::clone(&room_type.game);
        let keeps_world = room_type.keeps_world_when_empty || id == self.default_id;
        (link, WorldRecipe { game, sim, options, inbox, publish, seats, keeps_world })
    }

    /// Builds room `id`'s world from its recipe and puts it in the sim pool, due now.
    /// `None` if its game panicked while building it: the room is marked failed (and is
    /// disposed at the next sweep), its frames end, and the panic is logged and counted.
    fn start_world(
        &self,
        id: &str,
        name: &str,
        recipe: WorldRecipe,
        stats: &Arc<WorldStats>,
    ) -> Option<WorldKey> {
        let template = &self.template;
        let WorldRecipe { game, sim, options, inbox, publish: mut frames, seats, keeps_world } =
            recipe;
        let started = Instant::now();
        let metrics = if id == self.default_id {
            template.sim_metrics.clone()
        } else {
            template.sim_metrics.without_settings()
        };
        let runner = RunnerOptions {
            max_catch_up_ticks: template.max_catch_up_ticks,
            metrics,
            autotuner: Some(Autotuner::new(
                template.autotune,
                frames.metrics.outbound_bytes(),
                started,
            )),
            stats: Arc::clone(stats),
            seats,
            span: info_span!("room", id),
        };
        let (room, type_name) = (id.to_owned(), name.to_owned());
        let rebuild = Rebuild::new(
            sim,
            Box::new(move |config| {
                let mut simulation = Simulation::new(config);
                let room_options =
                    RoomOptions::new(room.clone(), type_name.clone(), options.clone());
                simulation.world_mut().insert_resource(room_options);
                build_contained(game.as_ref(), &mut simulation)?;
                Ok(simulation)
            }),
        );
        let simulation = match rebuild.build() {
            Ok(simulation) => simulation,
            Err(failure) => {
                let tick = sim.start_tick;
                let report = || report_failure(&runner, &mut frames, tick, &failure.message);
                runner.span.in_scope(report);
                return None;
            }
        };
        let world = WorldLoop::new(simulation, inbox, frames, runner, started);
        let world = if keeps_world { world } else { world.released_while_parked(rebuild) };
        Some(self.pool.insert(world, started))
    }

    /// Whether room `id`'s game failed (it is disposed at the next sweep).
    fn has_failed(&self, id: &str) -> bool {
        self.lock().rooms.get(id).is_some_and(|room| room.stats.failed())
    }

    /// Runs `change` on room `id`'s places at the lifecycle clock's now (and whether the
    /// process drains), then steps or parks its world as it is played in or not.
    fn with_places<T>(
        &self,
        id: &str,
        change: impl FnOnce(&mut Room, Instant, bool) -> T,
    ) -> Option<T> {
        let now = self.config.clock.now();
        let mut guard = self.lock();
        let state = &mut *guard;
        let room = state.rooms.get_mut(id)?;
        let changed = change(room, now, state.draining);
        let parked = room.step_while_played(id, self, now);
        state.trim.freed(usize::from(parked));
        self.changed.notify_one();
        Some(changed)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let rooms = std::mem::take(&mut self.lock().rooms);
        for world in rooms.into_values().filter_map(|room| room.world) {
            self.pool.remove(world);
        }
    }
}

impl RoomDirectory for Registry {
    fn find(&self, seat: Option<&str>, room: Option<&str>) -> Result<Destination, Refusal> {
        let state = self.lock();
        let refused = |reason: &str| Refusal::new(CloseCode::SeatRefused, reason);
        let (id, seat) = match (seat, room) {
            (Some(token), _) => {
                let (id, seat) = self
                    .signer
                    .verify(token, unix_seconds())
                    .ok_or_else(|| refused("invalid seat: ask the matchmaker for a new one"))?;
                (id, Some(seat))
            }
            (None, Some(id)) => (id, None),
            (None, None) => match &self.config.default_room {
                Some(_) => (self.default_id.as_str(), None),
                None => {
                    return Err(refused(
                        "this server has no default room: join through the matchmaker",
                    ));
                }
            },
        };
        let room = state.rooms.get(id).ok_or_else(|| {
            refused("the room is gone (or never was): ask the matchmaker for a new seat")
        })?;
        Ok(Destination { room: Arc::clone(&room.link), seat })
    }
}

/// What a room's world is built from. A room gets its world when somebody first plays in
/// it (the default room at start): one made through matchmaking that nobody joins (its
/// seats expire) costs no bevy `World`, schedule, NPCs or auto-tuner, only its link and
/// this. The creation options were checked when it was made ([`RoomShape`]).
struct WorldRecipe {
    game: Arc<dyn Game>,
    sim: SimConfig,
    /// The creation options, for the world's [`RoomOptions`].
    options: Map<String, Value>,
    /// The sim channels' receiving end: commands sent before the world is built wait in it.
    inbox: SimInbox,
    publish: RoomFrames,
    /// How many clients the room holds: its world's weight in its tick batch.
    seats: u32,
    /// Whether its world stays while parked (the default room, or its type says so);
    /// otherwise it is let go and built afresh for the next player.
    keeps_world: bool,
}

/// Where a room's world publishes: its snapshot ring, counted in its metrics.
struct RoomFrames {
    publisher: SnapshotPublisher,
    metrics: NetMetrics,
}

impl Publish for RoomFrames {
    fn publish(&mut self, publication: Publication) {
        self.metrics.snapshot_published(self.publisher.publish(publication));
    }

    /// Parked, nobody is in the room (a dropped player's resume keeps it stepped), so no
    /// session holds a baseline: only the newest frame stays, for the next one's delta.
    fn parked(&mut self) {
        self.publisher.keep_newest_only();
    }

    fn failed(&mut self) {
        self.publisher.fail();
    }

    fn spare_frame(&mut self) -> Option<WorldSnapshot> {
        self.publisher.spare_frame()
    }
}

/// One room's places, as its sessions report them.
struct RoomSeating {
    registry: Weak<Registry>,
    room: String,
}

impl Seating for RoomSeating {
    fn arrive(&self, session: SessionId, arrival: Arrival) -> Result<(), Refusal> {
        let gone = || {
            Refusal::new(
                CloseCode::SeatRefused,
                "the room is gone: ask the matchmaker for a new seat",
            )
        };
        let registry = self.registry.upgrade().ok_or_else(gone)?;
        registry
            .with_places(&self.room, |room, now, draining| match arrival {
                Arrival::Resumed { previous, seat } => {
                    room.places.resume(previous, session, seat, now);
                    Ok(())
                }
                Arrival::Seated(seat) => room.places.seat(seat, session, now).map_err(|_| {
                    Refusal::new(
                        CloseCode::SeatRefused,
                        "the seat expired or was used: ask the matchmaker for a new one",
                    )
                }),
                Arrival::Unseated if draining => Err(Refusal::new(
                    CloseCode::ServerFull,
                    "this server is draining: try again later",
                )),
                Arrival::Unseated if !room.permanent => Err(Refusal::new(
                    CloseCode::SeatRefused,
                    "no resume possible and no seat: ask the matchmaker for a seat in this room",
                )),
                Arrival::Unseated => {
                    if room.places.admit(session, room.max_clients, now) {
                        Ok(())
                    } else {
                        let max = room.max_clients;
                        Err(Refusal::new(
                            CloseCode::RoomFull,
                            format!("the room is full ({max} players)"),
                        ))
                    }
                }
            })
            .unwrap_or_else(|| Err(gone()))?;
        if registry.has_failed(&self.room) {
            // Its game panicked building the world this arrival asked for.
            return Err(Refusal::new(
                CloseCode::InternalError,
                "the room's game failed: ask the matchmaker for another room",
            ));
        }
        Ok(())
    }

    fn linger(&self, session: SessionId, grace: Duration) {
        if let Some(registry) = self.registry.upgrade() {
            registry.with_places(&self.room, |room, now, _| {
                room.places.linger(session, now + grace, now)
            });
        }
    }

    fn depart(&self, session: SessionId) {
        if let Some(registry) = self.registry.upgrade() {
            registry.with_places(&self.room, |room, now, _| room.places.depart(session, now));
        }
    }
}

/// What a room's creation options set: its capacity, and its world's NPCs and tick rate.
/// Other fields are the game's (in [`RoomOptions`]).
struct RoomShape {
    max_clients: usize,
    sim: SimConfig,
}

impl RoomShape {
    fn from_options(
        options: &Map<String, Value>,
        template: &WorldTemplate,
        capacity: usize,
        type_max: usize,
    ) -> Result<Self, MatchError> {
        if serde_json::to_string(options).map_or(usize::MAX, |json| json.len()) > MAX_OPTIONS_BYTES
        {
            return Err(MatchError::Invalid(format!(
                "options larger than {MAX_OPTIONS_BYTES} bytes"
            )));
        }
        let number = |key: &str, max: u64| -> Result<Option<u64>, MatchError> {
            match options.get(key) {
                None => Ok(None),
                Some(value) => value
                    .as_u64()
                    .filter(|number| (1..=max).contains(number) || (key == "npcs" && *number == 0))
                    .map(Some)
                    .ok_or_else(|| {
                        MatchError::Invalid(format!(
                            "options.{key}: expected a whole number up to {max}"
                        ))
                    }),
            }
        };
        let mut sim = template.sim;
        let max_clients =
            number("max_clients", type_max as u64)?.map_or(capacity, |max| max as usize);
        if let Some(npcs) = number("npcs", 10_000)? {
            sim.npcs = npcs as u32;
        }
        if let Some(rate) = number("tick_rate_hz", u64::from(Settings::MAX_TICK_RATE_HZ))? {
            sim.settings.tick_rate_hz = rate as u16;
        }
        sim.settings
            .validate_with_budget(template.max_client_messages_per_second)
            .map_err(|error| MatchError::Invalid(format!("options: {error}")))?;
        Ok(Self { max_clients, sim })
    }
}

/// The fullest open room of type `name` whose label has every field of `filter` (the
/// oldest of equals); never the default room.
fn best_open_room(
    state: &mut State,
    name: &str,
    filter: &Map<String, Value>,
    now: Instant,
) -> Option<String> {
    state
        .rooms
        .iter_mut()
        .filter(|(_, room)| room.name == name && !room.permanent && !room.is_locked())
        .filter(|(_, room)| label_matches(&room.label, filter))
        .filter_map(|(id, room)| {
            let taken = room.places.taken(now);
            (taken < room.max_clients).then_some((taken, std::cmp::Reverse(room.order), id))
        })
        .max()
        .map(|(_, _, id)| id.clone())
}

fn refuse_while_draining(state: &State) -> Result<(), MatchError> {
    if state.draining {
        return Err(MatchError::Exhausted(
            "this server is draining: it takes no new rooms or players".into(),
        ));
    }
    Ok(())
}

/// Whether `label` has every field of `filter` with an equal value.
pub(crate) fn label_matches(label: &Map<String, Value>, filter: &Map<String, Value>) -> bool {
    filter.iter().all(|(key, wanted)| label.get(key) == Some(wanted))
}

fn check_label(label: &Map<String, Value>) -> Result<(), MatchError> {
    let bytes = serde_json::to_string(label).map_or(usize::MAX, |json| json.len());
    if label.len() > MAX_LABEL_FIELDS || bytes > MAX_LABEL_BYTES {
        return Err(MatchError::Invalid(format!(
            "a label has at most {MAX_LABEL_FIELDS} fields and {MAX_LABEL_BYTES} bytes of JSON"
        )));
    }
    Ok(())
}

fn valid_type_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || b"_-".contains(&byte))
}

/// The wall clock in Unix seconds, for seat tokens' expiry (the lifecycle clock may be a
/// test's manual one; a token's expiry is a bound, the room's places decide exactly).
fn unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// Eight characters of lowercase base32: 40 random bits, short enough for a URL (room
/// and process ids).
pub(crate) fn random_id() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 5];
    getrandom::fill(&mut bytes)?;
    Ok(data_encoding::BASE32_NOPAD.encode(&bytes).to_ascii_lowercase())
}
