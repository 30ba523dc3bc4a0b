//! [`Game`]: how a game adds its gameplay to the simulation.
//!
//! A game is plain bevy_ecs: components, resources, and systems placed in the tick's
//! phases ([`SimSet`](crate::SimSet)). It runs at the fixed tick, deterministically,
//! and what it puts on actors is replicated to every client. A game builds every room of
//! its type, so it is called once per room: any `Fn(&mut Simulation)` is a game, a
//! closure included. A room's creation options are in the world as
//! [`RoomOptions`](crate::resources::RoomOptions) when the game builds it.

use crate::simulation::Simulation;

/// Gameplay to add to a simulation before its first tick, once per room.
pub trait Game: Send + Sync + 'static {
    /// Adds the game's components, resources and systems.
    fn build(&self, simulation: &mut Simulation);
}

impl<F> Game for F
where
    F: Fn(&mut Simulation) + Send + Sync + 'static,
{
    fn build(&self, simulation: &mut Simulation) {
        self(simulation);
    }
}
