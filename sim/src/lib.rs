//! The Tickwire simulation: one `bevy_ecs` world, stepped at a fixed tick.
//!
//! # Layout
//! - [`components`] and [`resources`]: the data gameplay systems read and write.
//! - [`systems`]: the built-in gameplay (players steer, NPCs wander, everything moves
//!   inside the arena), grouped in the [`SimSet`] phases.
//! - [`simulation`]: [`Simulation`], the world plus its schedule. It is also the
//!   deterministic test harness: feed [`SimCommand`]s, [`Simulation::step`], read a
//!   [`WorldSnapshot`]. No threads, no sockets, no clock.
//! - [`command`]: what the network side sends in ([`SimCommand`], [`SimSender`]).
//! - `input_order`: a tick's inputs in the order their actors sit in the world, so
//!   applying them walks memory forward.
//! - `frame_builder`: builds each [`WorldSnapshot`] from the previous frame's layout, so
//!   only a spawn or despawn costs a sort.
//! - [`WorldSnapshot`]: the immutable, quantised replicated state built after a snapshot tick.
//! - [`runner`]: one world's tick ([`WorldLoop`]: drain commands, step, publish) and the
//!   sim thread that runs it ([`SimThread`]).
//! - [`clock`]: absolute tick deadlines with bounded catch-up.
//! - [`pool`]: [`SimPool`], a fixed set of threads stepping many worlds, each at its own
//!   rate, earliest deadline first.
//! - [`autotune`]: trades snapshot rate, then tick rate, for headroom under load.
//! - [`metrics`]: what the sim thread reports (tick time, overruns, actors, settings).
//!
//! - [`game`]: [`Game`], how a game adds its own gameplay.
//!
//! # Writing gameplay
//! Gameplay is ordinary bevy_ecs. A system reads players' intent from [`components::Player`],
//! moves things through [`components::Velocity`] (the built-in `move_actors` applies it at
//! the fixed tick, inside the arena), spawns actors with [`components::actor`], and reads
//! the tick length from [`resources::ActiveSettings`]:
//!
//! ```
//! use bevy_ecs::prelude::*;
//! use tickwire_sim::components::{Player, Velocity};
//! use tickwire_sim::resources::ActiveSettings;
//! use tickwire_sim::{SimConfig, SimSet, Simulation};
//!
//! /// Players move twice as fast: runs after the built-in steering, before movement.
//! fn sprint(mut players: Query<(&Player, &mut Velocity)>) {
//!     for (_player, mut velocity) in &mut players {
//!         velocity.0 *= 2.0;
//!     }
//! }
//!
//! /// Per-second rates stay per-second at any tick rate.
//! fn tick_length(settings: Res<ActiveSettings>) -> f32 {
//!     settings.0.tick_seconds()
//! }
//!
//! let mut simulation = Simulation::new(SimConfig::default());
//! simulation.add_systems(SimSet::Receive, sprint.after(tickwire_sim::systems::steer_players));
//! simulation.step();
//! ```
//!
//! The server runs a game with `tickwire_server::run_game(listener, config, game, shutdown)`,
//! where a game is anything implementing [`Game`], a closure included.
//!
//! # Data flow
//! Sessions send [`SimCommand`]s through crossbeam channels; the sim thread drains them at
//! the start of each tick (never blocking), runs the schedule, and every
//! `broadcast_every` ticks hands an `Arc<WorldSnapshot>` to a publish callback. Nothing else
//! touches the world.

mod ack_order;
pub mod autotune;
pub mod batches;
pub mod clock;
pub mod command;
pub mod components;
mod frame_builder;
pub mod game;
mod input_order;
pub mod metrics;
pub mod pool;
pub mod rebuild;
pub mod resources;
pub mod runner;
pub mod simulation;
pub mod systems;

pub use autotune::{AutotuneConfig, Autotuner};
pub use batches::{BATCH_SEATS, Cadence};
pub use command::{Joined, SendRefused, SessionId, SimCommand, SimInbox, SimSender, sim_channels};
pub use game::{Game, GamePanicked, build_contained};
pub use metrics::{SimMetrics, WORLD_TICK_BUCKETS, WorldStats, WorldStatsSnapshot};
pub use pool::{Litter, SimPool, Ticking, WorldKey};
pub use rebuild::{BuildWorld, Rebuild};
pub use runner::{Publication, Publish, RunnerOptions, SimThread, WorldLoop, report_failure};
pub use simulation::{Applied, SimConfig, Simulation};
pub use systems::SimSet;

/// The replicated state of one snapshot tick: quantised, columnar, sorted by network id,
/// immutable once built. Shared (`Arc<WorldSnapshot>`) with every session; encoding happens on
/// the network side.
pub type WorldSnapshot = tickwire_protocol::WorldState;
