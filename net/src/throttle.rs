//! Per-session snapshot throttling: how often this client gets a snapshot.
//!
//! Two inputs set a session's interval, in ticks, always a multiple of `broadcast_every`:
//! - **congestion**: a snapshot write that stays blocked for longer than one snapshot
//!   interval means the socket's send buffer is full and the client is not keeping up.
//!   The interval doubles at once, while the write is still blocked (and again for each
//!   further interval it stays blocked), up to [`MAX_CONGESTION_FACTOR`] times the
//!   broadcast interval. After [`RECOVERY_PERIOD`] of writes that did not block, it halves again. Doubling at once
//!   and recovering one step per period is the hysteresis that keeps it from oscillating.
//! - **client cap**: the client asked for at most N snapshots per second.
//!
//! Whichever gives the longer interval wins, and the client is told (`SnapshotRate`) so
//! it can size its interpolation buffer. A throttled session only skips frames; it never
//! delays the tick or other sessions.

use std::time::{Duration, Instant};

use tickwire_protocol::{Settings, SnapshotRate, ThrottleReason};

/// The most a congested session's interval grows, as a multiple of the broadcast interval.
pub(crate) const MAX_CONGESTION_FACTOR: u16 = 16;
/// How long writes must go unblocked before a congested session's interval halves.
pub(crate) const RECOVERY_PERIOD: Duration = Duration::from_secs(1);

/// One session's throttle state.
#[derive(Debug)]
pub(crate) struct Throttle {
    congestion_factor: u16,
    /// Since when writes have not blocked (while congested).
    unblocked_since: Option<Instant>,
    client_cap_per_second: u16,
}

impl Default for Throttle {
    fn default() -> Self {
        Self { congestion_factor: 1, unblocked_since: None, client_cap_per_second: 0 }
    }
}

impl Throttle {
    /// The client asked for at most `max_per_second` snapshots per second (0: no cap).
    pub(crate) fn set_client_cap(&mut self, max_per_second: u16) {
        self.client_cap_per_second = max_per_second;
    }

    /// The session's snapshot interval under `settings`, and why it is what it is.
    pub(crate) fn rate(&self, settings: &Settings) -> SnapshotRate {
        let broadcast_every = settings.broadcast_every.max(1);
        let cap_factor = match self.client_cap_per_second {
            0 => 1,
            cap => {
                // Snapshots per second at the broadcast rate, over the cap, rounded up.
                let broadcasts_per_second =
                    f32::from(settings.tick_rate_hz) / f32::from(broadcast_every);
                (broadcasts_per_second / f32::from(cap)).ceil().clamp(1.0, f32::from(u16::MAX))
                    as u16
            }
        };
        let (factor, reason) = if cap_factor >= self.congestion_factor && cap_factor > 1 {
            (cap_factor, ThrottleReason::ClientCap)
        } else if self.congestion_factor > 1 {
            (self.congestion_factor, ThrottleReason::Congested)
        } else {
            (1, ThrottleReason::None)
        };
        SnapshotRate { every_ticks: broadcast_every.saturating_mul(factor), reason }
    }

    /// A snapshot write has been blocked for one more snapshot interval: the socket's
    /// send buffer is full and the client is not keeping up. Called while the write is
    /// still blocked, so the session is throttled at once. Returns whether the interval
    /// changed.
    pub(crate) fn write_blocked(&mut self) -> bool {
        self.unblocked_since = None;
        let before = self.congestion_factor;
        self.congestion_factor = (self.congestion_factor * 2).min(MAX_CONGESTION_FACTOR);
        self.congestion_factor != before
    }

    /// A snapshot write ended at `now`. After [`RECOVERY_PERIOD`] of writes that did not
    /// block, a congested interval halves. Returns whether the interval changed.
    pub(crate) fn write_done(&mut self, now: Instant) -> bool {
        if self.congestion_factor == 1 {
            return false;
        }
        let since = *self.unblocked_since.get_or_insert(now);
        if now.duration_since(since) < RECOVERY_PERIOD {
            return false;
        }
        self.congestion_factor /= 2;
        self.unblocked_since = Some(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETTINGS: Settings = Settings::DEFAULT;
    const INTERVAL: Duration = Duration::from_millis(66);

    #[test]
    fn an_unthrottled_session_gets_every_broadcast() {
        let rate = Throttle::default().rate(&SETTINGS);
        assert_eq!(rate, SnapshotRate { every_ticks: 2, reason: ThrottleReason::None });
    }

    #[test]
    fn blocked_writes_double_the_interval_and_quick_writes_bring_it_back_slowly() {
        let start = Instant::now();
        let mut throttle = Throttle::default();
        assert!(throttle.write_blocked(), "a blocked write should throttle");
        assert_eq!(
            throttle.rate(&SETTINGS),
            SnapshotRate { every_ticks: 4, reason: ThrottleReason::Congested }
        );
        for _ in 0..10 {
            throttle.write_blocked();
        }
        assert_eq!(
            throttle.rate(&SETTINGS).every_ticks,
            2 * MAX_CONGESTION_FACTOR,
            "throttling should be bounded"
        );
        let mut now = start;
        while now < start + RECOVERY_PERIOD {
            assert!(!throttle.write_done(now), "recovery should wait a full period");
            now += INTERVAL;
        }
        assert!(throttle.write_done(now), "a period of quick writes should halve it");
        assert_eq!(throttle.rate(&SETTINGS).every_ticks, MAX_CONGESTION_FACTOR);
        assert!(!throttle.write_done(now + INTERVAL), "one step per period, no more");
        throttle.write_blocked();
        assert!(
            !throttle.write_done(now + INTERVAL * 2),
            "a blocked write starts the recovery period again"
        );
    }

    #[test]
    fn a_client_cap_sets_the_interval_when_it_is_the_longer() {
        let mut throttle = Throttle::default();
        throttle.set_client_cap(2); // 15 broadcasts a second, at most 2: every 8th.
        assert_eq!(
            throttle.rate(&SETTINGS),
            SnapshotRate { every_ticks: 16, reason: ThrottleReason::ClientCap }
        );
        throttle.set_client_cap(100); // Above the broadcast rate: no effect.
        assert_eq!(
            throttle.rate(&SETTINGS),
            SnapshotRate { every_ticks: 2, reason: ThrottleReason::None }
        );
        throttle.set_client_cap(0);
        assert_eq!(throttle.rate(&SETTINGS).reason, ThrottleReason::None);
    }
}
