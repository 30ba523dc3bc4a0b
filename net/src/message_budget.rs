//! A token bucket for the messages one client sends: an average rate and a burst. A
//! client that goes over is flooding (real clients send an input every few ticks and a
//! pong a second) and is closed.

use std::time::Instant;

/// One session's message allowance.
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

    /// The average rate allowed, in messages per second.
    pub(crate) fn per_second(&self) -> f64 {
        self.per_second
    }

    /// Takes one message's worth; `false` when the client is over its budget.
    pub(crate) fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.refilled_at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        self.refilled_at = now;
        if self.tokens < 1.0 {
            return false;
        }
        self.tokens -= 1.0;
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
        assert!((0..5).all(|_| budget.take(start)), "a burst up to the limit should pass");
        assert!(!budget.take(start), "beyond the burst the client should be over budget");
        assert!(
            budget.take(start + Duration::from_millis(100)),
            "a tenth of a second buys one message at 10/s"
        );
        assert!(!budget.take(start + Duration::from_millis(100)));
    }
}
