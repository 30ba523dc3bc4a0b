//! [`Game`]: how a game adds its gameplay to the simulation.
//!
//! A game is plain bevy_ecs: components, resources, and systems placed in the tick's
//! phases ([`SimSet`](crate::SimSet)). It runs at the fixed tick, deterministically,
//! and what it puts on actors is replicated to every client. Any `FnOnce(&mut
//! Simulation)` is a game, so a closure will do; implement the trait on a type when the
//! game has options.

use crate::simulation::Simulation;

/// Gameplay to add to a simulation before its first tick.
pub trait Game: Send + 'static {
    /// Adds the game's components, resources and systems.
    fn build(self, simulation: &mut Simulation);
}

impl<F> Game for F
where
    F: FnOnce(&mut Simulation) + Send + 'static,
{
    fn build(self, simulation: &mut Simulation) {
        self(simulation);
    }
}
