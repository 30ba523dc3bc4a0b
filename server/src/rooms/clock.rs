//! [`RoomClock`]: the time room lifecycles run on (seat expiry, resume places, the empty
//! timeout). Real time in production; tests drive a [`ManualClock`], so "empty for 30 s"
//! and "a join racing the disposal" are shown without sleeping. Ticks never use it: the
//! sim pool keeps real deadlines.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Where room lifecycles read the time.
pub trait RoomClock: Send + Sync + std::fmt::Debug {
    /// The time now.
    fn now(&self) -> Instant;
}

/// The real, monotonic time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl RoomClock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that moves only when told: for tests.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Instant>,
}

impl Default for ManualClock {
    fn default() -> Self {
        Self { now: Mutex::new(Instant::now()) }
    }
}

impl ManualClock {
    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *now += by;
    }
}

impl RoomClock for ManualClock {
    fn now(&self) -> Instant {
        *self.now.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
