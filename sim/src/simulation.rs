//! [`Simulation`]: the world, its schedule, and the only code that changes them.
//!
//! It has no thread, socket or clock of its own, which makes it the deterministic
//! harness for tests: the same [`SimConfig`] and the same commands before the same ticks
//! always give the same frames.

use std::time::Duration;

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{IntoScheduleConfigs, SingleThreadedExecutor};
use bevy_ecs::system::ScheduleSystem;
use glam::Vec2;
use tickwire_protocol::{ActorKind, FIELD_SLOTS, GameEvent, Settings};
use tracing::{debug, info, warn};

use crate::WorldSnapshot;
use crate::ack_order::AckOrder;
use crate::command::{Joined, SessionId, SimCommand};
use crate::components::{Fields, Kind, NetId, Player, Position, Velocity, Wander, actor};
use crate::frame_builder::{FrameBuilder, actor_row};
use crate::resources::{
    ActiveSettings, Arena, GameEvents, NetIds, RoomLock, SessionActors, SimRng, Tick,
};
use crate::systems::{SimSet, move_actors, steer_players, wander_npcs};

/// How to build a world.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimConfig {
    /// The settings in force at start.
    pub settings: Settings,
    /// How many wandering NPCs to spawn.
    pub npcs: u32,
    /// Seed of the world's randomness.
    pub seed: u64,
    /// Arena width and height in world units.
    pub arena_size: Vec2,
    /// How many recent frames serve as delta baselines; a freed network id is not reused
    /// until this many frames have been built since.
    pub frame_history: usize,
    /// How long a dropped player's actor waits for the player to resume.
    pub resume_grace: Duration,
    /// The tick before the first step (0). Ticks wrap at `u32::MAX`; tests start near it
    /// to show everything holds across the wrap.
    pub start_tick: u32,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            settings: Settings::default(),
            npcs: 50,
            seed: 1,
            arena_size: Vec2::new(1000.0, 1000.0),
            // Two seconds of snapshots at the default 15 per second.
            frame_history: 32,
            resume_grace: Duration::from_secs(30),
            start_tick: 0,
        }
    }
}

/// What became of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// It took effect.
    Done,
    /// An input older than (or a replay of) one already applied: dropped.
    StaleInput,
    /// It no longer applies (its session is gone).
    Ignored,
    /// An input for a session whose connection dropped: ignored, whatever order it
    /// arrived in, so a detached actor stands still.
    DetachedInput,
}

/// The names of the game's replicated fields and event kinds, sent to every client. Not
/// resources: only the sim reads them, and a resource costs a world far more
/// ([`crate::resources`]).
#[derive(Debug, Default)]
struct ReplicatedNames {
    /// Per-actor field names, by slot.
    fields: Vec<String>,
    /// Event kind names, by kind.
    events: Vec<String>,
}

/// The world and its schedule.
pub struct Simulation {
    config: SimConfig,
    names: ReplicatedNames,
    world: World,
    schedule: Schedule,
    actor_query: QueryState<(
        &'static NetId,
        &'static Position,
        &'static Velocity,
        &'static Kind,
        Option<&'static Fields>,
    )>,
    /// Every player, kept between ticks: building a query state allocates, and the acks
    /// and the grace-window sweep read the players every tick.
    player_query: QueryState<(Entity, &'static Player)>,
    /// The previous frame's layout, so that a frame is built without sorting.
    frames: FrameBuilder,
    /// The previous frame's session order, so that input acks are ordered without sorting.
    ack_order: AckOrder,
}

impl Simulation {
    /// Builds the world: resources, the built-in systems, and `config.npcs` NPCs.
    pub fn new(config: SimConfig) -> Self {
        let mut world = World::new();
        world.insert_resource(Tick(config.start_tick));
        world.insert_resource(ActiveSettings(config.settings));
        world.insert_resource(Arena { size: config.arena_size });
        world.insert_resource(SimRng(fastrand::Rng::with_seed(config.seed)));
        world.insert_resource(NetIds::new(config.frame_history as u64));
        world.insert_resource(SessionActors::default());
        world.insert_resource(RoomLock::default());
        world.insert_resource(GameEvents::default());

        let mut schedule = Schedule::default();
        // One thread: the sim owns its thread, and a fixed order keeps it deterministic.
        schedule.set_executor(SingleThreadedExecutor::new());
        schedule.configure_sets((SimSet::Receive, SimSet::Simulate, SimSet::Publish).chain());
        schedule.add_systems(steer_players.in_set(SimSet::Receive));
        schedule.add_systems((wander_npcs, move_actors).chain().in_set(SimSet::Simulate));

        let actor_query = world.query::<(&NetId, &Position, &Velocity, &Kind, Option<&Fields>)>();
        let player_query = world.query::<(Entity, &Player)>();
        let names = ReplicatedNames::default();
        let frames = FrameBuilder::default();
        let ack_order = AckOrder::default();
        let mut simulation =
            Self { config, names, world, schedule, actor_query, player_query, frames, ack_order };
        for _ in 0..config.npcs {
            let position = simulation.random_position();
            let wander = Wander { next_turn_tick: config.start_tick };
            simulation.spawn_actor(position, ActorKind::Npc, wander);
        }
        simulation
    }

    /// The last tick simulated (`SimConfig::start_tick` before the first step).
    pub fn tick(&self) -> u32 {
        self.world.resource::<Tick>().0
    }

    /// The settings in force.
    pub fn settings(&self) -> Settings {
        self.world.resource::<ActiveSettings>().0
    }

    /// Whether the game has locked the room against new players ([`RoomLock`]).
    pub fn room_locked(&self) -> bool {
        self.world.get_resource::<RoomLock>().is_some_and(|lock| lock.locked)
    }

    /// Switches to new settings from the next step on, and logs the change and its reason.
    pub fn set_settings(&mut self, settings: Settings, reason: &str) {
        let old = std::mem::replace(&mut self.world.resource_mut::<ActiveSettings>().0, settings);
        if old != settings {
            info!(tick = self.tick(), ?old, new = ?settings, reason, "settings changed");
        }
    }

    /// Applies one command from the network side. Commands are applied in the order
    /// given, before the next step.
    pub fn apply(&mut self, command: SimCommand) -> Applied {
        match command {
            SimCommand::Join { session, reply } => {
                let joined = self.join(session);
                if reply.send(joined).is_err() {
                    debug!(session, "session left before its join was answered");
                    self.leave(session);
                }
            }
            SimCommand::Leave { session } => self.leave(session),
            SimCommand::Detach { session } => self.detach(session),
            SimCommand::Resume { previous, session, reply } => {
                let resumed = self.resume(previous, session);
                let was_resumed = resumed.is_some();
                if reply.send(resumed).is_err() && was_resumed {
                    debug!(session, "session left before its resume was answered");
                    self.detach(session);
                }
            }
            SimCommand::UpdateSettings { patch, reason } => {
                match patch.apply_to(&self.settings()) {
                    Ok(settings) => self.set_settings(settings, &reason),
                    Err(error) => warn!(%error, reason, "settings change refused"),
                }
            }
            SimCommand::Input { session, actor, input } => {
                let Some(mut player) = self.player_of(session, actor) else {
                    return Applied::Ignored; // The session left this tick; its late input is moot.
                };
                if player.detached_until.is_some() {
                    // Sent before the drop, drained after the detach (control goes first):
                    // it must not set the direction the detach cleared.
                    return Applied::DetachedInput;
                }
                if input.sequence <= player.last_sequence {
                    return Applied::StaleInput;
                }
                player.last_sequence = input.sequence;
                player.direction = input.direction.clamp_length_max(1.0);
            }
        }
        Applied::Done
    }

    /// The player component of `session`'s actor. `actor`, the entity the session's
    /// [`Joined`] named, is read first: one cache miss fewer per input than the session
    /// map. The map decides if `actor` is not (or no longer) the session's.
    fn player_of(&mut self, session: SessionId, actor: Option<Entity>) -> Option<Mut<'_, Player>> {
        let named = actor.filter(|&actor| {
            self.world.get::<Player>(actor).is_some_and(|player| player.session == session)
        });
        let entity = match named {
            Some(actor) => actor,
            None => *self.world.resource::<SessionActors>().0.get(&session)?,
        };
        self.world.get_mut::<Player>(entity)
    }

    /// Spawns the session's actor and says who it is.
    pub fn join(&mut self, session: SessionId) -> Joined {
        let position = self.random_position();
        let player =
            Player { session, direction: Vec2::ZERO, last_sequence: 0, detached_until: None };
        let (entity, actor_id) = self.spawn_actor(position, ActorKind::Player, player);
        self.world.resource_mut::<SessionActors>().0.insert(session, entity);
        Joined { actor_id, actor: entity, ..self.joined_template() }
    }

    fn joined_template(&self) -> Joined {
        Joined {
            field_names: self.names.fields.clone(),
            event_names: self.names.events.clone(),
            actor_id: 0,
            actor: Entity::PLACEHOLDER,
            tick: self.tick(),
            settings: self.settings(),
            arena_size: self.world.resource::<Arena>().size,
        }
    }

    /// Declares the game's event kinds, by name: an event of kind k is `names[k]`.
    pub fn replicate_events(&mut self, names: &[&str]) {
        self.names.events = names.iter().map(|&name| name.to_owned()).collect();
    }

    /// Each player's newest applied input sequence, by session, sorted by session.
    pub fn input_acks(&mut self) -> Vec<(SessionId, u32)> {
        let players = self.player_query.iter(&self.world);
        self.ack_order.sorted(players.map(|(_, player)| (player.session, player.last_sequence)))
    }

    /// The events gameplay sent since the last call, in order.
    pub fn take_events(&mut self) -> Vec<GameEvent> {
        std::mem::take(&mut self.world.resource_mut::<GameEvents>().0)
    }

    /// Declares the game's replicated per-actor fields ([`Fields`] slots), by name.
    ///
    /// # Errors
    /// More names than there are slots ([`FIELD_SLOTS`]).
    pub fn replicate_fields(&mut self, names: &[&str]) -> Result<(), String> {
        if names.len() > FIELD_SLOTS {
            return Err(format!("{} fields asked for; an actor has {FIELD_SLOTS}", names.len()));
        }
        self.names.fields = names.iter().map(|&name| name.to_owned()).collect();
        Ok(())
    }

    /// Removes the session's actor, if it has one.
    pub fn leave(&mut self, session: SessionId) {
        if let Some(entity) = self.world.resource_mut::<SessionActors>().0.remove(&session) {
            self.despawn_actor(entity);
        }
    }

    /// Stops the session's actor and keeps it for the grace window.
    pub fn detach(&mut self, session: SessionId) {
        let grace_ticks = (self.config.resume_grace.as_secs_f32()
            * f32::from(self.settings().tick_rate_hz))
        .ceil();
        let until = self.tick().wrapping_add(grace_ticks as u32);
        let Some(&entity) = self.world.resource::<SessionActors>().0.get(&session) else { return };
        if let Some(mut player) = self.world.get_mut::<Player>(entity) {
            player.detached_until = Some(until);
            player.direction = Vec2::ZERO;
        }
    }

    /// Gives `previous`'s actor to `session`, if it still exists.
    pub fn resume(&mut self, previous: SessionId, session: SessionId) -> Option<Joined> {
        let entity = self.world.resource_mut::<SessionActors>().0.remove(&previous)?;
        let mut player = self.world.get_mut::<Player>(entity)?;
        player.session = session;
        player.detached_until = None;
        // Inputs are numbered afresh by the new connection.
        player.last_sequence = 0;
        self.world.resource_mut::<SessionActors>().0.insert(session, entity);
        let actor_id = self.world.get::<NetId>(entity)?.0;
        Some(Joined { actor_id, actor: entity, ..self.joined_template() })
    }

    /// Runs one tick of the schedule, after removing actors whose grace window ran out.
    pub fn step(&mut self) {
        let mut tick = self.world.resource_mut::<Tick>();
        tick.0 = tick.0.wrapping_add(1);
        self.expire_detached();
        self.schedule.run(&mut self.world);
    }

    fn expire_detached(&mut self) {
        let tick = self.tick();
        let expired: Vec<(Entity, SessionId)> = self
            .player_query
            .iter(&self.world)
            .filter(|(_, player)| {
                player
                    .detached_until
                    .is_some_and(|until| tickwire_protocol::tick::is_after(tick, until))
            })
            .map(|(entity, player)| (entity, player.session))
            .collect();
        for (entity, session) in expired {
            debug!(session, "grace window over; removing the actor");
            self.world.resource_mut::<SessionActors>().0.remove(&session);
            self.despawn_actor(entity);
        }
    }

    /// Copies the replicated state, quantised, into an immutable snapshot sorted by network
    /// id, in the previous frame's layout unless actors came, went or moved between
    /// archetypes (see `frame_builder`). Called once per snapshot tick.
    pub fn snapshot(&mut self) -> WorldSnapshot {
        let steps_per_unit = self.settings().position_steps_per_unit;
        let tick = self.tick();
        let actors = self.actor_query.query(&self.world);
        let ids = actors.iter().map(|(id, ..)| id.0);
        let rows = actors.iter().map(|(id, position, velocity, kind, fields)| {
            actor_row(steps_per_unit, id, position, velocity, kind, fields)
        });
        let frame = self.frames.build(tick, steps_per_unit, ids, rows);
        self.world.resource_mut::<NetIds>().frame_built();
        frame
    }

    /// Hands back a frame that nobody holds any more (one [`Self::snapshot`] made): the
    /// next snapshot is written into its columns instead of new ones.
    pub fn recycle_frame(&mut self, frame: WorldSnapshot) {
        self.frames.recycle(frame);
    }

    /// Adds gameplay systems to a phase of the tick.
    pub fn add_systems<M>(
        &mut self,
        set: SimSet,
        systems: impl IntoScheduleConfigs<ScheduleSystem, M>,
    ) -> &mut Self {
        self.schedule.add_systems(systems.in_set(set));
        self
    }

    /// Direct access to the world, for gameplay setup and tests.
    pub fn world_mut(&mut self) -> &mut World {
        &mut self.world
    }

    fn spawn_actor(&mut self, position: Vec2, kind: ActorKind, role: impl Bundle) -> (Entity, u32) {
        let bundle = actor(&mut self.world.resource_mut::<NetIds>(), position, kind);
        let entity = self.world.spawn((bundle, role)).id();
        let id = self.world.get::<NetId>(entity).map_or(0, |id| id.0);
        (entity, id)
    }

    /// Despawns an actor; the component hooks free its network id and session.
    pub fn despawn_actor(&mut self, entity: Entity) {
        self.world.despawn(entity);
    }

    fn random_position(&mut self) -> Vec2 {
        let size = self.world.resource::<Arena>().size;
        let rng = &mut self.world.resource_mut::<SimRng>().0;
        Vec2::new(rng.f32() * size.x, rng.f32() * size.y)
    }
}
