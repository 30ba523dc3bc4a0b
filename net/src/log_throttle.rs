//! [`LogThrottle`]: at most one log line per interval for an event an outsider can
//! repeat at will (failed accepts, refused requests, sessions closed for breaking a rule,
//! evicted ghosts), with the count of the lines left out.
//!
//! The event is still counted in its metric every time; only the log is thinned, so a
//! flood cannot turn into a disk-filling log.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Decides whether an occurrence of a repeated event is logged.
#[derive(Debug)]
pub struct LogThrottle {
    interval: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    last_logged: Option<Instant>,
    suppressed: u64,
}

impl LogThrottle {
    /// Logs at most once per `interval`.
    pub fn new(interval: Duration) -> Self {
        Self { interval, state: Mutex::default() }
    }

    /// `Some(n)` if this occurrence at `now` should be logged, `n` being how many were
    /// left out since the last logged one; `None` if it should not.
    pub fn admit(&self, now: Instant) -> Option<u64> {
        // Held for a few instructions, never across an await; a poisoned lock only means
        // another thread panicked mid-update of two plain numbers, which stay usable.
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let due = state
            .last_logged
            .is_none_or(|last| now.saturating_duration_since(last) >= self.interval);
        if due {
            state.last_logged = Some(now);
            Some(std::mem::take(&mut state.suppressed))
        } else {
            state.suppressed += 1;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_the_first_then_one_per_interval_with_the_count_left_out() {
        let throttle = LogThrottle::new(Duration::from_secs(1));
        let start = Instant::now();
        assert_eq!(throttle.admit(start), Some(0), "the first occurrence should be logged");
        for millis in [1, 200, 999] {
            assert_eq!(
                throttle.admit(start + Duration::from_millis(millis)),
                None,
                "occurrences within the interval should not be logged"
            );
        }
        assert_eq!(
            throttle.admit(start + Duration::from_secs(1)),
            Some(3),
            "the next logged one should say how many were left out"
        );
        assert_eq!(throttle.admit(start + Duration::from_secs(5)), Some(0));
    }
}
