//! The replicated state of one snapshot tick, immutable once built.
//!
//! A frame is built on the sim thread right after the schedule runs on a snapshot tick,
//! then shared (`Arc<Frame>`) with every session; encoding happens on the network side.

use tickwire_protocol::ActorState;

/// Replicated state as of one tick.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Frame {
    /// The tick this state is from.
    pub tick: u32,
    /// Every actor, sorted by network id.
    pub actors: Vec<ActorState>,
}
