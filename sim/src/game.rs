//! [`Game`]: how a game adds its gameplay to the simulation.
//!
//! A game is plain bevy_ecs: components, resources, and systems placed in the tick's
//! phases ([`SimSet`](crate::SimSet)). It runs at the fixed tick, deterministically,
//! and what it puts on actors is replicated to every client. A game builds every room of
//! its type, so it is called once per room: any `Fn(&mut Simulation)` is a game, a
//! closure included. A room's creation options are in the world as
//! [`RoomOptions`](crate::resources::RoomOptions) when the game builds it.
//!
//! A game is code the server does not control: [`build_contained`] keeps a panic in its
//! `build` from unwinding into the caller (the pool does the same for its ticks).

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

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

/// A game panicked while building a world.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the game panicked while building the world: {message}")]
pub struct GamePanicked {
    /// What the panic said.
    pub message: String,
}

/// Builds `game` into `simulation`, containing a panic: a bug in one game refuses its
/// room instead of unwinding through whoever asked for the room.
///
/// # Errors
/// [`GamePanicked`], with the panic's message; `simulation` is then unfit to run.
pub fn build_contained(game: &dyn Game, simulation: &mut Simulation) -> Result<(), GamePanicked> {
    panic::catch_unwind(AssertUnwindSafe(|| game.build(simulation)))
        .map_err(|payload| GamePanicked { message: panic_message(payload.as_ref()).to_owned() })
}

/// What a panic said, if it said it as text (`panic!` with or without formatting).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    match (payload.downcast_ref::<&str>(), payload.downcast_ref::<String>()) {
        (Some(message), _) => message,
        (_, Some(message)) => message,
        _ => "(no message)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimConfig;

    #[test]
    fn a_panic_in_build_comes_back_as_an_error_with_its_message() {
        let mut simulation = Simulation::new(SimConfig::default());
        let fine = build_contained(&|_: &mut Simulation| {}, &mut simulation);
        assert_eq!(fine, Ok(()));
        let broken = |_: &mut Simulation| panic!("no map named {:?}", "dust");
        let error = build_contained(&broken, &mut simulation).expect_err("it panicked");
        assert_eq!(error.message, "no map named \"dust\"");
    }
}
