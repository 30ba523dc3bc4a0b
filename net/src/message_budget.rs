//! A token bucket for the WebSocket frames one client sends: an average rate and a burst.
//! A client that goes over is flooding (real clients send an input every few ticks and a
//! pong a second, each a single frame) and is closed.

use std::time::Instant;

/// One session's frame allowance.
#[derive(Debug)]
pub(crate) struct MessageBudget {
    per_second: f64,
    burst: f64,
    tokens: f64,
    refilled_at: Instant,
}

impl MessageBudget {
    /// A full bucket: `per_second` on average, `burst` at once.
    pub(crate) fn new(per_second: u32, burst: u32, now: Instant) -> Self {
        let burst = f64::from(burst.max(1));
        Self { per_second: f64::from(per_second), burst, tokens: burst, refilled_at: now }
    }

    /// The average rate allowed, in frames (messages) per second.
    pub(crate) fn per_second(&self) -> f64 {
        self.per_second
    }

    /// Takes `frames` frames' worth; `false` when the client is over its budget.
    pub(crate) fn take(&mut self, frames: u32, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.refilled_at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        self.refilled_at = now;
        let frames = f64::from(frames);
        if self.tokens < frames {
            return false;
        }
        self.tokens -= frames;
        true
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_is_allowed_a_flood_is_not_and_the_budget_refills() {
        let start = Instant::now();
        let mut budget = MessageBudget::new(10, 5, start);
        assert!((0..4).all(|_| budget.take(1, start)), "a burst up to the limit should pass");
        assert!(!budget.take(2, start), "two frames do not fit in what is left");
        assert!(budget.take(1, start), "one does");
        assert!(!budget.take(1, start), "beyond the burst the client should be over budget");
        assert!(
            budget.take(1, start + Duration::from_millis(100)),
            "a tenth of a second buys one frame at 10/s"
        );
        assert!(!budget.take(1, start + Duration::from_millis(100)));
    }
}
