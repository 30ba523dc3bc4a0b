//! Reconnection delays: exponential backoff with full jitter, so a server that comes back
//! is not hit by every client at the same instant.

use std::time::Duration;

/// The delay before each reconnection attempt.
#[derive(Debug)]
pub(crate) struct Backoff {
    first: Duration,
    cap: Duration,
    attempt: u32,
    rng: fastrand::Rng,
}

impl Backoff {
    pub(crate) fn new(first: Duration, cap: Duration, seed: u64) -> Self {
        Self { first, cap, attempt: 0, rng: fastrand::Rng::with_seed(seed) }
    }

    /// The next delay: uniformly random up to `first * 2^attempt`, capped.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let ceiling = self.first.saturating_mul(1u32 << self.attempt.min(16)).min(self.cap);
        self.attempt += 1;
        ceiling.mul_f64(self.rng.f64())
    }

    /// After a successful connection the delays start small again.
    pub(crate) fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_are_capped_jittered_and_reset() {
        let (first, cap) = (Duration::from_millis(100), Duration::from_secs(2));
        let mut backoff = Backoff::new(first, cap, 1);
        let delays: Vec<Duration> = (0..8).map(|_| backoff.next_delay()).collect();
        for (attempt, delay) in delays.iter().enumerate() {
            let ceiling = (first * (1 << attempt)).min(cap);
            assert!(
                *delay <= ceiling,
                "attempt {attempt}: {delay:?} should be at most {ceiling:?}"
            );
        }
        assert!(
            delays.windows(2).any(|pair| pair[0] != pair[1]),
            "delays should be jittered: {delays:?}"
        );
        backoff.reset();
        assert!(backoff.next_delay() <= first, "after a reset the delay should start small again");
    }
}
