//! [`ServerConfig`]: everything [`crate::run`] needs, with embedded defaults so the
//! server runs with no config file.

use std::time::Duration;

use tickwire_net::NetConfig;
use tickwire_sim::SimConfig;

/// Server configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServerConfig {
    /// The world: settings, NPC count, seed, arena.
    pub sim: SimConfig,
    /// Session limits and timings.
    pub net: NetConfig,
    /// Inputs of all sessions that may wait for the next tick; beyond it inputs are dropped
    /// (and counted) rather than blocking a network thread or growing memory.
    pub input_queue_capacity: usize,
    /// How many late ticks the sim runs back to back before it skips ahead instead.
    pub max_catch_up_ticks: u32,
    /// How long shutdown waits for sessions to say goodbye.
    pub shutdown_grace: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            sim: SimConfig::default(),
            net: NetConfig::default(),
            input_queue_capacity: 16 * 1024,
            max_catch_up_ticks: 5,
            shutdown_grace: Duration::from_secs(3),
        }
    }
}
