//! A published frame and its encoding, shared by every session.
//!
//! The sim publishes frames without encoding them (encoding is network work and stays off
//! the sim thread). The first session that sends a frame encodes it; every other session
//! sends the same `Bytes`, so a broadcast costs one encode, not one per client.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use tickwire_protocol::encode::encode_snapshot;
use tickwire_sim::Frame;

/// A frame and its lazily built snapshot encoding.
#[derive(Debug, Default)]
pub struct SharedFrame {
    frame: Arc<Frame>,
    encoded: OnceLock<Bytes>,
}

impl SharedFrame {
    /// Wraps a frame the sim published.
    pub fn new(frame: Arc<Frame>) -> Self {
        Self {
            frame,
            encoded: OnceLock::new(),
        }
    }

    /// The frame's tick.
    pub fn tick(&self) -> u32 {
        self.frame.tick
    }

    /// The frame as a full snapshot message, encoded on first use.
    pub fn snapshot_message(&self) -> Bytes {
        self.encoded
            .get_or_init(|| encode_snapshot(self.frame.tick, &self.frame.actors))
            .clone()
    }
}
