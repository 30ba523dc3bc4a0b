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
//!
//! **Freshness.** A snapshot written to the socket waits in the kernel's send queue until
//! the client has taken everything before it, so a slow reader would get state as old as
//! its queue is long (a 64 KiB buffer holds 16 s of a 4 KiB/s client's stream). Before
//! a snapshot the session looks at the queue (unless even everything written since the
//! last look, [`LOOK_INTERVAL`] ago at most, could not matter) and the throttle measures
//! the client's drain rate ([`DrainMeter`]); while the queue holds more than
//! [`MAX_QUEUE_DELAY`] of it (beyond the round trip), the snapshot is held back and counts
//! as congestion, so the interval grows before the buffer fills and what a client reads
//! is never much older than that. Only a client that cannot hold even the slowest
//! interval (it drains less than its snapshots need at [`MAX_CONGESTION_FACTOR`]) for a
//! whole patience period is too slow, and is closed saying so.

use std::time::{Duration, Instant};

use tickwire_protocol::{Settings, SnapshotRate, ThrottleReason};

use crate::drain::{DrainMeter, MIN_SPAN};

/// The most a congested session's interval grows, as a multiple of the broadcast interval.
pub(crate) const MAX_CONGESTION_FACTOR: u16 = 16;
/// How long writes must go unblocked before a congested session's interval halves.
pub(crate) const RECOVERY_PERIOD: Duration = Duration::from_secs(1);

/// The longest what is queued for a client may take to reach it, beyond the round trip:
/// past it the next snapshot is held back. This bounds the age of what a client reads.
pub(crate) const MAX_QUEUE_DELAY: Duration = Duration::from_millis(500);
/// The most that may be queued for a client whose drain rate is not measured yet.
pub(crate) const UNMEASURED_QUEUE_LIMIT: u32 = 8 * 1024;
/// The longest the send queue goes unlooked at while what it can hold is harmless: one
/// look per span the drain meter measures (a too-slow client is found by them). Reading
/// the queue is a syscall per session per snapshot, so it is skipped when the answer
/// cannot hold a snapshot back (see [`Throttle::needs_queue_look`]). Looks every 100 ms
/// were 2.7% of the small benchmark's server, for spans of 250 ms.
pub(crate) const LOOK_INTERVAL: Duration = MIN_SPAN;
/// How much of each new snapshot's size goes into the smoothed snapshot size.
const SIZE_SMOOTHING: f64 = 0.1;

/// One session's throttle state.
#[derive(Debug)]
pub(crate) struct Throttle {
    congestion_factor: u16,
    /// Since when writes have not blocked (while congested).
    unblocked_since: Option<Instant>,
    client_cap_per_second: u16,
    drain: DrainMeter,
    /// Bytes per snapshot written, smoothed: what a client needs per snapshot.
    snapshot_bytes: f64,
    /// Since when the client has drained less than the slowest interval needs.
    too_slow_since: Option<Instant>,
}

impl Default for Throttle {
    fn default() -> Self {
        Self {
            congestion_factor: 1,
            unblocked_since: None,
            client_cap_per_second: 0,
            drain: DrainMeter::default(),
            snapshot_bytes: 0.0,
            too_slow_since: None,
        }
    }
}

/// A client that cannot hold the slowest snapshot rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooSlow {
    /// What the client drains, in bytes per second.
    pub(crate) reads: u64,
    /// What its snapshots need at the slowest rate, in bytes per second.
    pub(crate) needs: u64,
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

    /// A look at the socket's send queue at `now`: `written` bytes written so far, of
    /// which `queued` are not acknowledged by the client yet.
    pub(crate) fn observe_queue(&mut self, now: Instant, written: u64, queued: u32) {
        self.drain.observe(now, written, queued);
    }

    /// Whether the send queue is short enough for another snapshot: what is queued
    /// reaches the client within [`MAX_QUEUE_DELAY`] beyond the `round_trip` (or, before
    /// its rate is measured, is under [`UNMEASURED_QUEUE_LIMIT`]).
    pub(crate) fn queue_allows(&self, round_trip: Duration) -> bool {
        self.allows_queued(u64::from(self.drain.queued()), round_trip)
    }

    /// Whether the send queue must be looked at before the next snapshot, at `now` with
    /// `written` bytes written: only if it was not looked at for [`LOOK_INTERVAL`], or if
    /// the most it can hold since the last look could hold the snapshot back. A client
    /// that keeps up is then looked at a few times a second, not once per snapshot, and
    /// the freshness bound is kept exactly.
    pub(crate) fn needs_queue_look(
        &self,
        now: Instant,
        written: u64,
        round_trip: Duration,
    ) -> bool {
        let Some(looked_at) = self.drain.looked_at() else { return true };
        now.saturating_duration_since(looked_at) >= LOOK_INTERVAL
            || !self.allows_queued(self.drain.queued_at_most(written), round_trip)
    }

    fn allows_queued(&self, queued: u64, round_trip: Duration) -> bool {
        match self.drain.delay_of(queued) {
            _ if queued == 0 => true,
            Some(delay) => delay <= MAX_QUEUE_DELAY + round_trip,
            None => queued <= u64::from(UNMEASURED_QUEUE_LIMIT),
        }
    }

    /// A snapshot of `bytes` was written.
    pub(crate) fn record_snapshot(&mut self, bytes: usize) {
        let bytes = bytes as f64;
        self.snapshot_bytes = if self.snapshot_bytes == 0.0 {
            bytes
        } else {
            self.snapshot_bytes + (bytes - self.snapshot_bytes) * SIZE_SMOOTHING
        };
    }

    /// Whether the client, throttled as far as it goes, has drained less than its
    /// snapshots need at that rate for `patience` by `now`.
    pub(crate) fn too_slow(
        &mut self,
        now: Instant,
        settings: &Settings,
        patience: Duration,
    ) -> Option<TooSlow> {
        let slowest_per_second = f64::from(settings.tick_rate_hz)
            / (f64::from(settings.broadcast_every.max(1)) * f64::from(MAX_CONGESTION_FACTOR));
        let needs = self.snapshot_bytes * slowest_per_second;
        let reads = self.drain.rate().filter(|&rate| {
            self.congestion_factor == MAX_CONGESTION_FACTOR
                && self.drain.queued() > 0
                && rate < needs
        });
        let Some(reads) = reads else {
            self.too_slow_since = None;
            return None;
        };
        let since = *self.too_slow_since.get_or_insert(now);
        (now.saturating_duration_since(since) >= patience)
            .then(|| TooSlow { reads: reads as u64, needs: needs.ceil() as u64 })
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

    /// A throttle whose client takes `rate` bytes a second, looked at every 50 ms for
    /// two seconds while `queued` bytes stay queued; returns the time after.
    fn measured(throttle: &mut Throttle, start: Instant, rate: u64, queued: u32) -> Instant {
        let mut now = start;
        let mut written = u64::from(queued);
        for _ in 0..40 {
            written += rate / 20;
            throttle.observe_queue(now, written, queued);
            now += Duration::from_millis(50);
        }
        now
    }

    #[test]
    fn the_queue_is_looked_at_when_it_could_matter_or_after_the_look_interval() {
        let mut throttle = Throttle::default();
        let start = Instant::now();
        let none = Duration::ZERO;
        assert!(throttle.needs_queue_look(start, 0, none), "never looked at");
        throttle.observe_queue(start, 1_000, 0);
        let soon = start + LOOK_INTERVAL / 2;
        assert!(!throttle.needs_queue_look(soon, 5_000, none), "4 KB more cannot hold one back");
        let limit = u64::from(UNMEASURED_QUEUE_LIMIT);
        assert!(
            throttle.needs_queue_look(soon, 1_000 + limit + 1, none),
            "more than the unmeasured limit written since: it could"
        );
        assert!(throttle.needs_queue_look(start + LOOK_INTERVAL, 1_000, none), "interval over");
        // A look that found bytes queued counts them in what the queue may hold.
        throttle.observe_queue(start, 1_000, 7_000);
        assert!(throttle.needs_queue_look(soon, 3_000, none), "7 KB queued + 2 KB written");
        assert!(!throttle.needs_queue_look(soon, 1_500, none), "7 KB queued + 0.5 KB written");
    }

    #[test]
    fn a_queue_longer_than_the_delay_bound_holds_the_next_snapshot_back() {
        let mut throttle = Throttle::default();
        assert!(throttle.queue_allows(Duration::ZERO), "nothing queued: send");
        throttle.observe_queue(Instant::now(), 20_000, 10_000);
        assert!(
            !throttle.queue_allows(Duration::ZERO),
            "10 KB queued for a client not measured yet is too much"
        );
        let mut throttle = Throttle::default();
        measured(&mut throttle, Instant::now(), 4000, 1500);
        assert!(throttle.queue_allows(Duration::ZERO), "1500 B at 4 KB/s arrive in 375 ms");
        let mut throttle = Throttle::default();
        measured(&mut throttle, Instant::now(), 4000, 3000);
        assert!(!throttle.queue_allows(Duration::ZERO), "3000 B at 4 KB/s take 750 ms");
        assert!(
            throttle.queue_allows(Duration::from_millis(300)),
            "the round trip is the network's, not the queue's"
        );
    }

    #[test]
    fn only_a_client_too_slow_for_the_slowest_rate_for_the_whole_patience_is_too_slow() {
        let patience = Duration::from_secs(10);
        let start = Instant::now();
        let mut throttle = Throttle::default();
        throttle.record_snapshot(1000); // 30 a second; at the slowest, 30 / 16: 1875 B/s.
        let settings = Settings { tick_rate_hz: 60, broadcast_every: 2, ..SETTINGS };
        let now = measured(&mut throttle, start, 1000, 5000);
        assert_eq!(throttle.too_slow(now, &settings, patience), None, "not throttled yet");
        for _ in 0..4 {
            throttle.write_blocked();
        }
        assert_eq!(throttle.too_slow(now, &settings, patience), None, "patience starts");
        let later = now + patience;
        assert_eq!(
            throttle.too_slow(later, &settings, patience),
            Some(TooSlow { reads: 1000, needs: 1875 }),
            "1000 B/s for a whole patience period cannot hold 1875 B/s"
        );
        let mut holds = Throttle::default();
        holds.record_snapshot(1000);
        let now = measured(&mut holds, start, 2000, 5000);
        for _ in 0..4 {
            holds.write_blocked();
        }
        holds.too_slow(now, &settings, patience);
        assert_eq!(
            holds.too_slow(now + patience, &settings, patience),
            None,
            "2000 B/s holds the slowest rate"
        );
    }
}
