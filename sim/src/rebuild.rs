//! [`Rebuild`]: how a room's world is built, kept so it can be built again.
//!
//! A parked world costs no CPU but still holds its bevy `World` and schedule (about
//! 70 KiB for a small room). A room whose players have all left may let its world go
//! while parked and get a fresh one, built the same way, when a player arrives: the new
//! world carries on from the old one's tick and settings (so frames keep counting up and
//! settings changed by an operator or the auto-tuner stay), with the game's initial state.

use crate::game::GamePanicked;
use crate::simulation::{SimConfig, Simulation};

/// Builds a world from a config: the game's `build`, with a panic contained.
pub type BuildWorld = dyn Fn(SimConfig) -> Result<Simulation, GamePanicked> + Send + Sync;

/// How a world is built, and from which config the next build starts.
pub struct Rebuild {
    build: Box<BuildWorld>,
    config: SimConfig,
}

impl Rebuild {
    /// `build` makes a world from `config`, now and whenever it is built again.
    pub fn new(config: SimConfig, build: Box<BuildWorld>) -> Self {
        Self { build, config }
    }

    /// A world built from the config.
    ///
    /// # Errors
    /// The game panicked while building it.
    pub fn build(&self) -> Result<Simulation, GamePanicked> {
        (self.build)(self.config)
    }

    /// `simulation` is being let go: the next build carries on from its tick and settings.
    pub(crate) fn released(&mut self, simulation: &Simulation) {
        self.config.start_tick = simulation.tick();
        self.config.settings = simulation.settings();
    }
}

impl std::fmt::Debug for Rebuild {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Rebuild").field("config", &self.config).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use tickwire_protocol::Settings;

    use super::*;

    #[test]
    fn a_world_built_again_carries_on_from_the_released_ones_tick_and_settings() {
        let config = SimConfig { npcs: 3, ..SimConfig::default() };
        let mut rebuild = Rebuild::new(config, Box::new(|config| Ok(Simulation::new(config))));
        let mut first = rebuild.build().expect("it builds");
        for _ in 0..5 {
            first.step();
        }
        let faster = Settings { tick_rate_hz: 40, ..first.settings() };
        first.set_settings(faster, "test");
        rebuild.released(&first);
        drop(first);
        let mut again = rebuild.build().expect("it builds again");
        assert_eq!((again.tick(), again.settings()), (5, faster));
        assert_eq!(again.snapshot().len(), 3, "the game's initial state: its three NPCs");
    }
}
